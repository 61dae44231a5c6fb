"""Read models over lead_status for the API, the dashboard and the CLI (SPEC §5, REF §5, §7.1).

Every function takes a Connection and returns plain data (dicts, lists, dates), so the API,
the web pages and `idgap diagnose` show the same numbers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from idgap.errors import InputError
from idgap.gaps.alerts import gap_alerts
from idgap.gaps.health import JOB_KINDS, data_health, freshness, unlinked_activity
from idgap.gaps.query import GapFilters, ensure_current_ages, money, ratio_pct
from idgap.gaps.rules import LEADS
from idgap.store.tables import identity_links, lead_status, runs

__all__ = [
    "gap_summary", "gap_items", "gap_alerts", "data_health", "unlinked_activity",
    "recovery_status", "JOB_KINDS", "STALE_HOURS",
]  # fmt: skip

ls = lead_status
STALE_HOURS = 24.0
MAX_PAGE_SIZE = 1000
ITEM_COLUMNS = (
    "lead_id", "lead_date", "person_key", "driver_id", "has_identity", "has_driver", "has_origin",
    "gap_reason", "origin_detail", "gap_age_days", "risk_level", "trips_14d", "milestones_reached",
    "expected_amount", "amount_at_stake", "last_outcome", "last_reason_code", "resolved_at",
)  # fmt: skip
RISK_RANK = sa.case((ls.c.risk_level == "high", 0), (ls.c.risk_level == "medium", 1), else_=2)
SORTABLE: dict[str, sa.ColumnElement[Any]] = {
    "lead_id": ls.c.lead_id, "lead_date": ls.c.lead_date, "gap_age_days": ls.c.gap_age_days,
    "trips_14d": ls.c.trips_14d, "amount_at_stake": ls.c.amount_at_stake,
    "expected_amount": ls.c.expected_amount, "gap_reason": ls.c.gap_reason,
    "risk_level": -RISK_RANK,  # ascending = low -> high, so "-risk_level" puts high first
}  # fmt: skip

FiltersArg = GapFilters | Mapping[str, Any] | None


def gap_summary(
    conn: sa.Connection, *, filters: FiltersArg = None, today: dt.date
) -> dict[str, Any]:
    """Totals (counts, % unresolved, high risk, money) and the reason x risk breakdown."""
    ensure_current_ages(conn, today=today)
    where = GapFilters.of(filters).clauses()
    stmt = (
        sa.select(
            ls.c.gap_reason, ls.c.risk_level, sa.func.count(),
            sa.func.sum(ls.c.expected_amount), sa.func.sum(ls.c.amount_at_stake),
        )
        .where(*where)
        .group_by(ls.c.gap_reason, ls.c.risk_level)
    )  # fmt: skip
    breakdown, total, resolved, high, expected, at_stake = [], 0, 0, 0, 0.0, 0.0
    for reason, risk, count, exp, stake in conn.execute(stmt):
        breakdown.append(
            {"gap_reason": reason, "risk_level": risk, "count": int(count),
             "amount_at_stake": money(0.0 if reason == "resolved" else stake)}
        )  # fmt: skip
        total += count
        high += count if risk == "high" else 0
        if reason == "resolved":
            resolved += count
            expected += float(exp or 0)
        else:
            at_stake += float(stake or 0)
    breakdown.sort(key=lambda r: (r["gap_reason"] == "resolved", -r["count"], r["risk_level"]))
    totals = {
        "total_leads": total,
        "unresolved": total - resolved,
        "resolved": resolved,
        "pct_unresolved": ratio_pct(total - resolved, total),
        "high_risk": high,
        "expected_amount_resolved": money(expected),
        "amount_at_stake_unresolved": money(at_stake),
    }
    return {
        "totals": totals,
        "breakdown": breakdown,
        "money": {"expected_resolved": money(expected), "at_stake": money(at_stake)},
        "as_of": today,
    }


def _order_by(sort: str | None) -> list[sa.ColumnElement[Any]]:
    if not sort:
        return [ls.c.gap_age_days.desc(), ls.c.lead_date.desc(), ls.c.lead_id]
    key = sort.lstrip("-")
    if key not in SORTABLE:
        raise InputError(f"unknown sort {sort!r}; use one of {', '.join(sorted(SORTABLE))}")
    col = SORTABLE[key]
    return [col.desc() if sort.startswith("-") else col.asc(), ls.c.lead_id]


def gap_order(sort: str | None) -> list[sa.ColumnElement[Any]]:
    """The gap table's order in one ORDER BY (exports): `sort`, else unresolved first."""
    if sort:
        return _order_by(sort)
    return [sa.case((ls.c.gap_reason == "resolved", 1), else_=0), *_order_by(None)]


def gap_items(
    conn: sa.Connection,
    *,
    filters: FiltersArg = None,
    page: int = 1,
    page_size: int = 100,
    sort: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """One page of leads. Default order: unresolved first, then oldest gap, newest lead."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(f"page must be >= 1 and page_size between 1 and {MAX_PAGE_SIZE}")
    if today is not None:
        ensure_current_ages(conn, today=today)
    where = GapFilters.of(filters).clauses()
    total = conn.execute(sa.select(sa.func.count()).select_from(ls).where(*where)).scalar_one()
    offset = (page - 1) * page_size
    if sort:
        rows = _page(conn, where, _order_by(sort), offset, page_size)
    else:
        rows = _unresolved_first(conn, where, offset, page_size)
    return {
        "items": rows,
        "meta": {
            "page": page,
            "page_size": page_size,
            "total": total,
            "total_pages": max(1, math.ceil(total / page_size)),
        },
    }


def _page(
    conn: sa.Connection, where: list, order: list, offset: int, limit: int
) -> list[dict[str, Any]]:
    cols = [ls.c[c] for c in ITEM_COLUMNS]
    stmt = sa.select(*cols).where(*where).order_by(*order).offset(offset).limit(limit)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _unresolved_first(
    conn: sa.Connection, where: list, offset: int, limit: int
) -> list[dict[str, Any]]:
    """Two index-friendly queries instead of sorting the whole table on an expression."""
    order = _order_by(None)
    open_where = [*where, ls.c.gap_reason != "resolved"]
    count = sa.select(sa.func.count()).select_from(ls)
    n_open = conn.execute(count.where(*open_where)).scalar_one()
    rows: list[dict[str, Any]] = []
    if offset < n_open:
        rows = _page(conn, open_where, order, offset, limit)
    if len(rows) < limit:
        done_offset = max(0, offset - n_open)
        done_where = [*where, ls.c.gap_reason == "resolved"]
        rows += _page(conn, done_where, order, done_offset, limit - len(rows))
    return rows


def _last_completed_run(conn: sa.Connection) -> sa.Row | None:
    stmt = (
        sa.select(runs.c.id, runs.c.kind, runs.c.finished_at)
        .where(runs.c.kind.in_(JOB_KINDS), runs.c.status == "completed")
        .order_by(runs.c.finished_at.desc())
        .limit(1)
    )
    return conn.execute(stmt).first()


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC
    return value


def hours_since(now: dt.datetime, then: dt.datetime | None) -> float | None:
    then = as_utc(then)
    return None if then is None else round((now - then).total_seconds() / 3600.0, 1)


def matched_since(conn: sa.Connection, since: dt.datetime) -> int:
    """Lead links created since `since` by matching or by hand (legacy imports excluded)."""
    link = identity_links
    stmt = sa.select(sa.func.count()).where(
        link.c.source_table == LEADS, link.c.linked_at >= since, link.c.linked_by != "legacy"
    )
    return int(conn.execute(stmt).scalar_one())


STATE_LABELS = {
    "ACTIVO": "✅ ACTIVO",
    "NO_CONFIGURADO": "❌ NO CONFIGURADO",
    "SIN_SENAL": "⚠️ SIN SEÑAL",
    "COMPLETO": "✅ COMPLETO",
}


def recovery_status(conn: sa.Connection, *, now: dt.datetime) -> dict[str, Any]:
    """The job tiles (REF §8.1) from real timestamps: links' linked_at and runs' finished_at."""
    matched = matched_since(conn, now - dt.timedelta(hours=24))
    last = _last_completed_run(conn)
    ever_ran = conn.execute(sa.select(runs.c.id).where(runs.c.kind.in_(JOB_KINDS)).limit(1)).first()
    unresolved = conn.execute(
        sa.select(sa.func.count()).select_from(ls).where(ls.c.gap_reason != "resolved")
    ).scalar_one()
    running = conn.execute(
        sa.select(runs.c.id, runs.c.started_at)
        .where(runs.c.kind.in_(JOB_KINDS), runs.c.status == "running")
        .order_by(runs.c.started_at.desc())
        .limit(1)
    ).first()
    fresh_state = freshness(conn, now=now)  # the same hours health and diagnose show
    fresh = fresh_state["hours"]
    if matched > 0:
        state = "ACTIVO"
    elif ever_ran is None:
        state = "NO_CONFIGURADO"
    elif unresolved > 0:
        state = "SIN_SENAL"
    else:
        state = "COMPLETO"
    return {
        "matched_last_24h": matched,
        "last_job_run": as_utc(last.finished_at) if last else None,
        "last_job_run_id": last.id if last else None,
        "last_job_kind": last.kind if last else None,
        "job_freshness_hours": fresh,
        "stale": fresh is None or fresh > STALE_HOURS,
        "freshness_state": fresh_state["state"],
        "state": state,
        "state_label": STATE_LABELS[state],
        "unresolved": int(unresolved),
        "running_run_id": running.id if running else None,
    }
