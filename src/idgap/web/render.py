"""Templates and the Spanish formatting helpers they use."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Undefined
from starlette.templating import Jinja2Templates

from idgap.web import labels

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# the templates' names for the label tables (web/labels.py holds every Spanish label)
GAP_REASON_LABEL = labels.GAP_REASON
RISK_LABEL = labels.RISK
REASON_CODE_LABEL = labels.REASON_CODE
RUN_STATUS_LABEL = labels.RUN_STATUS
ALERT_LABEL = labels.ALERT


def _missing(value: Any) -> bool:
    return value is None or isinstance(value, Undefined)


def fmt_int(value: Any) -> str:
    if _missing(value):
        return "—"
    return f"{int(value):,}"


def fmt_money(value: Any, currency: str = "S/") -> str:
    if _missing(value):
        return "—"
    return f"{currency} {float(value):,.2f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    if _missing(value):
        return "—"
    return f"{float(value):.{digits}f} %"


def fmt_score(value: Any) -> str:
    if _missing(value):
        return "—"
    return f"{float(value):.2f}"


def to_date(value: Any) -> dt.date | None:
    if _missing(value) or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def fmt_date(value: Any) -> str:
    day = to_date(value)
    return day.strftime("%d/%m/%Y") if day else "—"


def fmt_datetime(value: Any) -> str:
    if _missing(value) or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%d/%m/%Y %H:%M") + (" UTC" if value.tzinfo else "")
    return fmt_date(value)


def days_between(later: Any, earlier: Any) -> int | None:
    a, b = to_date(later), to_date(earlier)
    return (a - b).days if a and b else None


def fmt_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str, sort_keys=True)


def short(value: Any, n: int = 8) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= n else text[:n] + "…"


HIDDEN_STATS = {"run_id", "kind", "dry_run", "index_version"}


def stat_pairs(stats: Any) -> list[tuple[str, Any]]:
    """A run's stats as (name, value) pairs; nested dicts one level deep as 'group.name'."""
    if not isinstance(stats, Mapping):
        return []
    pairs: list[tuple[str, Any]] = []
    for key, value in stats.items():
        if key in HIDDEN_STATS or value in (None, "", [], {}):
            continue
        if isinstance(value, Mapping):
            pairs.extend(
                (f"{key}.{k}", v) for k, v in value.items() if not isinstance(v, Mapping | list)
            )
        elif not isinstance(value, list):
            pairs.append((key, value))
    return pairs


def url_with(base: str, params: Mapping[str, Any], **changes: Any) -> str:
    """`base` with the current query params, some changed; empty values are dropped."""
    merged = {**params, **changes}
    query = {k: v for k, v in merged.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters.update(
        int=fmt_int,
        money=fmt_money,
        pct=fmt_pct,
        score=fmt_score,
        date=fmt_date,
        datetime=fmt_datetime,
        pretty_json=fmt_json,
        short=short,
        label=lambda code, kind: labels.label(kind, code),
        count=labels.count,
        plural=labels.plural,
    )
    env.globals.update(
        GAP_REASON_LABEL=GAP_REASON_LABEL,
        RISK_LABEL=RISK_LABEL,
        REASON_CODE_LABEL=REASON_CODE_LABEL,
        RUN_STATUS_LABEL=RUN_STATUS_LABEL,
        ALERT_LABEL=ALERT_LABEL,
        url_with=url_with,
        days_between=days_between,
        stat_pairs=stat_pairs,
    )
    return templates
