"""System health (REF §5.4) watching the recovery job, and unlinked driver activity (§5.3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from idgap.gaps.alerts import alert_counts
from idgap.gaps.rules import DRIVERS
from idgap.store.tables import identity_links, identity_unmatched, persons, runs, summary_daily

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


def _status(last: sa.Row | None, hours: float | None, alerts: int) -> tuple[str, list[str]]:
    """ERROR / WARNING / OK with the reasons, REF §5.4's UI rule applied to the recovery job."""
    errors, warnings = [], []
    if last is not None and last.status == "failed":
        errors.append(f"last {last.kind} run #{last.id} failed")
    if hours is None:
        errors.append("the recovery job never completed a run")
    elif hours > ERROR_HOURS:
        errors.append(f"no completed recovery run for {hours:.0f} h (> {ERROR_HOURS} h)")
    elif hours > WARNING_HOURS:
        warnings.append(f"no completed recovery run for {hours:.0f} h (> {WARNING_HOURS} h)")
    if alerts:
        warnings.append(f"{alerts} active gap alerts")
    if errors:
        return "ERROR", errors + warnings
    return ("WARNING", warnings) if warnings else ("OK", [])


def data_health(conn: sa.Connection, *, now: dt.datetime) -> dict[str, Any]:
    """One row of health figures: last job run, backlog, alerts, persons and links."""
    last = _last_run(conn)
    completed = _last_completed_at(conn)
    minutes = None if completed is None else int((now - completed).total_seconds() // 60)
    hours = None if minutes is None else minutes / 60.0
    alerts = alert_counts(conn)
    n_alerts = sum(alerts.values())
    open_by_reason = _counts_by(
        conn, identity_unmatched.c.reason_code, identity_unmatched.c.status == "OPEN"
    )
    status, reasons = _status(last, hours, n_alerts)
    return {
        "calculated_at": now,
        "status": status,
        "overall_status": status,
        "status_reasons": reasons,
        "last_run_id": last.id if last else None,
        "last_run_kind": last.kind if last else None,
        "last_run_started_at": _as_utc(last.started_at) if last else None,
        "last_run_completed_at": _as_utc(last.finished_at) if last else None,
        "last_run_status": last.status.upper() if last else "NO_RUNS",
        "last_run_error_message": last.error if last else None,
        "last_completed_run_at": completed,
        "minutes_since_last_completed_run": minutes,
        "hours_since_last_completed_run": None if minutes is None else minutes // 60,
        "unmatched_open_count": sum(open_by_reason.values()),
        "unmatched_open_by_reason": open_by_reason,
        "unmatched_open_by_outcome": _counts_by(
            conn, identity_unmatched.c.outcome, identity_unmatched.c.status == "OPEN"
        ),
        "active_alerts_count": n_alerts,
        "active_alerts_by_severity": alerts,
        "total_persons": conn.execute(
            sa.select(sa.func.count()).select_from(persons).where(persons.c.status == "active")
        ).scalar_one(),
        "total_links": conn.execute(
            sa.select(sa.func.count()).select_from(identity_links)
        ).scalar_one(),
        "links_by_source": _counts_by(conn, identity_links.c.source_table),
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
