"""System health (REF §5.4) watching the recovery job, and unlinked driver activity (§5.3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from idgap.gaps.alerts import alert_counts
from idgap.gaps.query import money
from idgap.gaps.rules import DRIVERS, LEADS
from idgap.store.tables import (
    identity_links,
    identity_unmatched,
    lead_status,
    persons,
    runs,
    summary_daily,
)

JOB_KINDS = ("recover", "match")
WARNING_HOURS = 24
ERROR_HOURS = 72


def _as_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _last_run(conn: sa.Connection) -> sa.Row | None:
    stmt = (
        sa.select(runs.c.id, runs.c.kind, runs.c.status, runs.c.started_at, runs.c.finished_at,
                  runs.c.error)
        .where(runs.c.kind.in_(JOB_KINDS))
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(1)
    )  # fmt: skip
    return conn.execute(stmt).first()


def _last_completed_at(conn: sa.Connection) -> dt.datetime | None:
    stmt = sa.select(sa.func.max(runs.c.finished_at)).where(
        runs.c.kind.in_(JOB_KINDS), runs.c.status == "completed"
    )
    value = conn.execute(stmt).scalar_one()
    if isinstance(value, str):  # SQLite aggregates lose the column type
        value = dt.datetime.fromisoformat(value)
    return _as_utc(value)


def _counts_by(conn: sa.Connection, col: sa.Column, *where: sa.ColumnElement[bool]) -> dict:
    stmt = sa.select(col, sa.func.count()).where(*where).group_by(col).order_by(col)
    return {key: int(n) for key, n in conn.execute(stmt)}


def review_backlog(conn: sa.Connection) -> dict[str, Any]:
    """The review queue's size: every OPEN row, whatever its outcome (what /revision shows).

    The one definition of "pending review" for the queue page, health, diagnose and the API.
    """
    u, ls = identity_unmatched, lead_status
    open_ = u.c.status == "OPEN"
    stake = conn.execute(
        sa.select(sa.func.sum(ls.c.amount_at_stake))
        .select_from(u.join(ls, sa.and_(u.c.source_table == LEADS, ls.c.lead_id == u.c.source_pk)))
        .where(open_)
    ).scalar_one()
    by_outcome = _counts_by(conn, u.c.outcome, open_)
    return {
        "open": sum(by_outcome.values()),
        "by_outcome": by_outcome,
        "by_reason": _counts_by(conn, u.c.reason_code, open_),
        "amount_at_stake": money(stake),
    }


def freshness(conn: sa.Connection, *, now: dt.datetime) -> dict[str, Any]:
    """Hours since the recovery job last completed, and what that means (NUNCA / STALE / OK)."""
    completed = _last_completed_at(conn)
    hours = None if completed is None else round((now - completed).total_seconds() / 3600.0, 1)
    state = "NUNCA" if hours is None else "STALE" if hours > WARNING_HOURS else "OK"
    return {"last_completed_at": completed, "hours": hours, "state": state}


def _finding(level: str, code: str, text: str, **params: Any) -> dict[str, Any]:
    return {"level": level, "code": code, "params": params, "text": text}


def job_findings(last: sa.Row | None, hours: float | None) -> list[dict[str, Any]]:
    """REF §5.4 for the recovery job: a failed last run or > 72 h is an error, > 24 h a warning."""
    out = []
    if last is not None and last.status == "failed":
        text = f"last {last.kind} run #{last.id} failed"
        out.append(_finding("error", "run_failed", text, run_id=last.id, kind=last.kind))
    if hours is None:
        out.append(_finding("error", "never_completed", "the recovery job never completed a run"))
        return out
    for level, limit in (("error", ERROR_HOURS), ("warning", WARNING_HOURS)):
        if hours > limit:
            text = f"no completed recovery run for {hours:.0f} h (> {limit} h)"
            out.append(_finding(level, "stale", text, hours=hours, limit=limit))
            break
    return out


INTEGRITY_FINDINGS = {  # integrity() key -> finding code and English text
    "lead_links_without_driver_link": "lead links have no driver link",
    "persons_with_lead_links_without_origin": "persons with lead links have no origin",
    "lead_links_to_unknown_leads": "lead links name an unknown lead",
}


def bookkeeping_findings(alerts: int, integrity: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    if alerts:
        out.append(_finding("warning", "active_alerts", f"{alerts} active gap alerts", n=alerts))
    for key, text in INTEGRITY_FINDINGS.items():
        n = int(integrity.get(key) or 0)
        if n:
            out.append(_finding("warning", key, f"{n} {text}", n=n))
    return out


def overall_status(findings: list[dict[str, Any]]) -> str:
    levels = {f["level"] for f in findings}
    return "ERROR" if "error" in levels else "WARNING" if "warning" in levels else "OK"


def system_status(
    conn: sa.Connection, *, now: dt.datetime, integrity: dict[str, Any] | None = None
) -> dict[str, Any]:
    """OK / WARNING / ERROR and why: the one status of health (web, API) and `idgap diagnose`."""
    if integrity is None:
        from idgap.gaps.diagnose import integrity as integrity_of  # diagnose imports this module

        integrity = integrity_of(conn)
    fresh = freshness(conn, now=now)
    alerts = sum(alert_counts(conn).values())
    findings = job_findings(_last_run(conn), fresh["hours"]) + bookkeeping_findings(
        alerts, integrity
    )
    findings.sort(key=lambda f: f["level"] != "error")
    return {"status": overall_status(findings), "findings": findings, "freshness": fresh}


def data_health(conn: sa.Connection, *, now: dt.datetime) -> dict[str, Any]:
    """One row of health figures: last job run, backlog, alerts, persons and links."""
    last = _last_run(conn)
    completed = _last_completed_at(conn)
    minutes = None if completed is None else int((now - completed).total_seconds() // 60)
    alerts = alert_counts(conn)
    backlog = review_backlog(conn)
    system = system_status(conn, now=now)
    return {
        "calculated_at": now,
        "status": system["status"],
        "overall_status": system["status"],
        "status_reasons": [f["text"] for f in system["findings"]],
        "findings": system["findings"],
        "job_freshness_hours": system["freshness"]["hours"],
        "last_run_id": last.id if last else None,
        "last_run_kind": last.kind if last else None,
        "last_run_started_at": _as_utc(last.started_at) if last else None,
        "last_run_completed_at": _as_utc(last.finished_at) if last else None,
        "last_run_status": last.status.upper() if last else "NO_RUNS",
        "last_run_error_message": last.error if last else None,
        "last_completed_run_at": completed,
        "minutes_since_last_completed_run": minutes,
        "hours_since_last_completed_run": None if minutes is None else minutes // 60,
        "unmatched_open_count": backlog["open"],
        "unmatched_open_by_reason": backlog["by_reason"],
        "unmatched_open_by_outcome": backlog["by_outcome"],
        "review_amount_at_stake": backlog["amount_at_stake"],
        "active_alerts_count": sum(alerts.values()),
        "active_alerts_by_severity": alerts,
        **identity_counts(conn),
    }


def identity_counts(conn: sa.Connection) -> dict[str, Any]:
    """Active persons, links and links per source table."""
    active = sa.select(sa.func.count()).select_from(persons).where(persons.c.status == "active")
    by_source = _counts_by(conn, identity_links.c.source_table)
    return {
        "total_persons": int(conn.execute(active).scalar_one()),
        "total_links": sum(by_source.values()),
        "links_by_source": by_source,
    }


def unlinked_activity(conn: sa.Connection, *, limit: int = 30) -> dict[str, Any]:
    """Per activity day (newest first, by date): drivers with trips but no person, and their trips.

    Only the `limit` most recent activity days are scanned (the activity_date index).
    """
    sd = summary_daily
    newest = conn.execute(sa.select(sa.func.max(sd.c.activity_date))).scalar_one()
    if newest is None:
        return {"items": [], "total": 0}
    if isinstance(newest, str):
        newest = dt.date.fromisoformat(newest)
    since = newest - dt.timedelta(days=max(1, limit) - 1)
    linked = sa.exists().where(
        identity_links.c.source_table == DRIVERS, identity_links.c.source_pk == sd.c.driver_id
    )
    stmt = (
        sa.select(
            sd.c.activity_date,
            sa.func.count(sa.distinct(sd.c.driver_id)),
            sa.func.sum(sd.c.count_orders_completed),
        )
        .where(sd.c.activity_date >= since, ~linked)
        .group_by(sd.c.activity_date)
        .order_by(sd.c.activity_date.desc())
    )
    items = [
        {
            "activity_date": day,
            "drivers_without_identity_count": int(n_drivers),
            "trips_from_unlinked_drivers": int(trips or 0),
        }
        for day, n_drivers, trips in conn.execute(stmt)
    ]
    return {"items": items, "total": len(items)}
