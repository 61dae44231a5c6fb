"""`diagnose`: the read-only report of REF §6.2, from real run records and link timestamps.

Sections: gap metrics (+ reason x risk), job freshness, top fail reasons, 24 h volume, links
and origins created (+ integrity warnings), and recommendations an operator can act on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from idgap.claims.diagnose import claims_section
from idgap.clock import park_day
from idgap.config import Settings
from idgap.gaps.health import JOB_KINDS, freshness, review_backlog, system_status
from idgap.gaps.query import ensure_current_ages, money
from idgap.gaps.read import as_utc, gap_summary, matched_since
from idgap.gaps.recommendations import recommendations
from idgap.gaps.rules import DRIVERS, LEADS
from idgap.identity.consistency import audit_origins
from idgap.store.tables import (
    cabinet_leads,
    identity_links,
    identity_origin,
    identity_unmatched,
    lead_status,
    runs,
)

TOP_REASONS = 10
UNKNOWN_SAMPLE = 5


def diagnose(conn: sa.Connection, *, now: dt.datetime, settings: Settings) -> dict[str, Any]:
    """Everything an operator needs to judge the gap and the recovery job, as plain data."""
    today = park_day(now, settings.timezone)
    ensure_current_ages(conn, today=today)
    gap = gap_summary(conn, filters=None, today=today)
    report: dict[str, Any] = {
        "generated_at": now,
        "currency": settings.currency,
        "gap": {"totals": gap["totals"], "breakdown": gap["breakdown"]},
        "job": job_freshness(conn, now=now),
        "fail_reasons": fail_reasons(conn),
        "volume_24h": volume_24h(conn, now=now, unresolved=gap["totals"]["unresolved"]),
        "links": links_and_origins(conn, now=now),
        "integrity": integrity(conn),
        "review_queue": review_backlog(conn),
        "claims": claims_section(conn),
    }
    report["recommendations"] = recommendations(report, settings=settings)
    # the status is health's (web, API), computed once; the recommendations say what to do
    report["health"] = system_status(conn, now=now, integrity=report["integrity"])
    report["status"] = report["health"]["status"]
    return report


def job_freshness(conn: sa.Connection, *, now: dt.datetime) -> dict[str, Any]:
    """Runs of the recovery job and `idgap match`: counts, last run, hours since last completed."""
    by_status: dict[str, int] = dict(
        conn.execute(
            sa.select(runs.c.status, sa.func.count())
            .where(runs.c.kind.in_(JOB_KINDS))
            .group_by(runs.c.status)
        ).all()
    )
    last = conn.execute(
        sa.select(runs.c.id, runs.c.kind, runs.c.status, runs.c.started_at, runs.c.finished_at,
                  runs.c.error)
        .where(runs.c.kind.in_(JOB_KINDS))
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(1)
    ).first()  # fmt: skip
    since = now - dt.timedelta(hours=24)
    recent = conn.execute(
        sa.select(sa.func.count()).where(runs.c.kind.in_(JOB_KINDS), runs.c.started_at >= since)
    ).scalar_one()
    fresh = freshness(conn, now=now)
    return {
        "total_runs": sum(by_status.values()),
        "by_status": {k: int(v) for k, v in by_status.items()},
        "runs_last_24h": int(recent),
        "last_run": None if last is None else {
            "id": last.id, "kind": last.kind, "status": last.status,
            "started_at": as_utc(last.started_at), "finished_at": as_utc(last.finished_at),
            "error": last.error,
        },
        "last_completed_at": fresh["last_completed_at"],
        "hours_since_last_completed": fresh["hours"],
        "state": fresh["state"],
    }  # fmt: skip


def fail_reasons(conn: sa.Connection) -> list[dict[str, Any]]:
    """Open review/unmatched rows by reason and outcome, with their age and money at stake."""
    u, ls = identity_unmatched, lead_status
    count = sa.func.count()
    stmt = (
        sa.select(u.c.reason_code, u.c.outcome, count, sa.func.min(u.c.snapshot_date),
                  sa.func.sum(ls.c.amount_at_stake))
        .select_from(u.outerjoin(ls, sa.and_(u.c.source_table == LEADS,
                                             ls.c.lead_id == u.c.source_pk)))
        .where(u.c.status == "OPEN")
        .group_by(u.c.reason_code, u.c.outcome)
        .order_by(count.desc(), u.c.reason_code)
        .limit(TOP_REASONS)
    )  # fmt: skip
    return [
        {"reason_code": reason, "outcome": outcome, "count": int(n),
         "oldest_date": _as_date(oldest), "amount_at_stake": money(stake)}
        for reason, outcome, n, oldest, stake in conn.execute(stmt)
    ]  # fmt: skip


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, str):  # SQLite aggregates return text
        return dt.date.fromisoformat(value[:10])
    return value if isinstance(value, dt.date) else None


def _stat(stats: dict, key: str) -> int:
    """A run's count, whether the job stored it flat or under `writes`."""
    value = stats.get(key)
    if value is None and isinstance(stats.get("writes"), dict):
        value = stats["writes"].get(key)
    return int(value or 0)


def volume_24h(conn: sa.Connection, *, now: dt.datetime, unresolved: int) -> dict[str, Any]:
    since = now - dt.timedelta(hours=24)
    rows = conn.execute(
        sa.select(runs.c.stats).where(runs.c.kind.in_(JOB_KINDS), runs.c.started_at >= since)
    ).scalars()
    totals = dict.fromkeys(("processed", "matched", "review", "unmatched"), 0)
    n_runs = 0
    for stats in rows:
        n_runs += 1
        for key in totals:
            totals[key] += _stat(stats or {}, key)
    return {
        "runs": n_runs,
        **totals,
        "matched_links_24h": matched_since(conn, since),
        "unresolved": unresolved,
        "nothing_processed": unresolved > 0 and totals["processed"] == 0,
    }


def _count(conn: sa.Connection, stmt: sa.Select) -> int:
    return int(conn.execute(stmt).scalar_one())


def links_and_origins(conn: sa.Connection, *, now: dt.datetime) -> dict[str, Any]:
    lk, og = identity_links, identity_origin
    day, week = now - dt.timedelta(hours=24), now - dt.timedelta(days=7)
    n_links = sa.select(sa.func.count()).where(lk.c.source_table == LEADS)
    n_origins = sa.select(sa.func.count()).select_from(og)
    by_tag = conn.execute(sa.select(og.c.origin_tag, sa.func.count()).group_by(og.c.origin_tag))
    return {
        "lead_links_total": _count(conn, n_links),
        "lead_links_24h": matched_since(conn, day),
        "lead_links_7d": matched_since(conn, week),
        "driver_links_total": _count(
            conn, sa.select(sa.func.count()).where(lk.c.source_table == DRIVERS)
        ),
        "origins_total": _count(conn, n_origins),
        "origins_24h": _count(conn, n_origins.where(og.c.created_at >= day)),
        "origins_7d": _count(conn, n_origins.where(og.c.created_at >= week)),
        "origins_by_tag": {tag: int(n) for tag, n in by_tag},
    }


def integrity(conn: sa.Connection) -> dict[str, Any]:
    """Holes the recovery job or a backfill should close; never expected after a clean run."""
    lk, og = identity_links, identity_origin
    dl = identity_links.alias("driver_link")
    has_driver = sa.exists().where(dl.c.source_table == DRIVERS, dl.c.person_key == lk.c.person_key)
    has_origin = sa.exists().where(og.c.person_key == lk.c.person_key)
    known_lead = sa.exists().where(cabinet_leads.c.lead_id == lk.c.source_pk)
    lead_link = lk.c.source_table == LEADS
    unknown = (
        conn.execute(
            sa.select(lk.c.source_pk).where(lead_link, ~known_lead).order_by(lk.c.source_pk)
        )
        .scalars()
        .all()
    )
    audit = audit_origins(conn)
    return {
        "origins_not_among_links": len(audit.not_among_links),
        "origins_contradicting_rule": len(audit.contradicting_rule),
        "inconsistent_origin_sample": audit.to_repair[:UNKNOWN_SAMPLE],
        "lead_links_without_driver_link": _count(
            conn, sa.select(sa.func.count()).where(lead_link, ~has_driver)
        ),
        "persons_with_lead_links_without_origin": _count(
            conn,
            sa.select(sa.func.count(sa.distinct(lk.c.person_key))).where(lead_link, ~has_origin),
        ),
        "lead_links_to_unknown_leads": len(unknown),
        "unknown_lead_ids": list(unknown[:UNKNOWN_SAMPLE]),
    }
