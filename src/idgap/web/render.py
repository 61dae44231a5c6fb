"""Templates and the Spanish formatting helpers they use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Undefined
from starlette.templating import Jinja2Templates

from idgap.clock import DEFAULT_TIMEZONE
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


def fmt_datetime(value: Any, tz: ZoneInfo | None = None) -> str:
    """'01/12/2026 15:04' in the park's time zone (naive values are UTC, as the store keeps)."""
    if _missing(value) or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(tz or dt.UTC).strftime("%d/%m/%Y %H:%M")
    return fmt_date(value)


def fmt_hours(value: Any) -> str:
    if _missing(value):
        return "—"
    return f"{float(value):,.1f} h"


def fmt_stat(value: Any, key: str = "") -> str:
    """A run statistic: seconds as '6,9 s' / '2 min 5 s', booleans as sí/no, counts 1,234."""
    if _missing(value):
        return "—"
    if isinstance(value, bool):
        return "sí" if value else "no"
    if key in labels.SECONDS_STATS and isinstance(value, int | float):
        seconds = float(value)
        if seconds < 60:
            return f"{seconds:.1f} s"
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):  # 0.999 stays 0.999 (a threshold), 2000.0 reads 2,000
        return f"{value:.6g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def days_between(later: Any, earlier: Any) -> int | None:
    a, b = to_date(later), to_date(earlier)
    return (a - b).days if a and b else None


def short(value: Any, n: int = 8) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= n else text[:n] + "…"


def url_with(base: str, params: Mapping[str, Any], **changes: Any) -> str:
    """`base` with the current query params, some changed; empty values are dropped."""
    merged = {**params, **changes}
    query = {k: v for k, v in merged.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def make_templates(timezone: str = DEFAULT_TIMEZONE) -> Jinja2Templates:
    from idgap.web.review_view import evidence_view  # review_view imports this module

    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    tz = ZoneInfo(timezone)
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters.update(
        int=fmt_int,
        money=fmt_money,
        pct=fmt_pct,
        score=fmt_score,
        date=fmt_date,
        datetime=lambda value: fmt_datetime(value, tz),
        hours=fmt_hours,
        stat=fmt_stat,
        short=short,
        label=lambda code, kind: labels.label(kind, code),
        count=labels.count,
        plural=labels.plural,
        actor=labels.actor,
        candidate_evidence=evidence_view,
    )
    env.globals.update(
        GAP_REASON_LABEL=GAP_REASON_LABEL,
        RISK_LABEL=RISK_LABEL,
        REASON_CODE_LABEL=REASON_CODE_LABEL,
        RUN_STATUS_LABEL=RUN_STATUS_LABEL,
        ALERT_LABEL=ALERT_LABEL,
        FINDING=labels.FINDING,
        RECOMMENDATION=labels.RECOMMENDATION,
        say=labels.say,
        plural=labels.plural,
        intake_message=labels.intake_message,
        history_reason=labels.history_reason,
        url_with=url_with,
        days_between=days_between,
        timezone=timezone,
    )
    return templates
