"""`idgap backfill-origins`: origins for persons that have links but none, and repairs of
legacy origins that are inconsistent (not among the person's links, or against the rule).

The reference needed a one-off script for its 536 lead links without origin (REF §6.3);
here it is the same origin rule as everywhere, under the job lock, with a run row; every
change is a row of the origin history carrying the old value.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from idgap.clock import utc_now
from idgap.config import Settings
from idgap.identity.changes import ChangeSet
from idgap.identity.consistency import audit_origins
from idgap.recovery.heartbeat import Heartbeat
from idgap.recovery.job import persons_without_origin, start_run
from idgap.recovery.lock import recovery_lock
from idgap.source_tables import SourceTable
from idgap.store.runs import finish_run
from idgap.store.tables import cabinet_leads, identity_links

UNKNOWN_SHOWN = 50


def unknown_lead_links(conn: sa.Connection) -> list[str]:
    """Lead links that point to a lead absent from the leads table."""
    lk = identity_links
    q = (
        sa.select(lk.c.source_pk)
        .outerjoin(cabinet_leads, cabinet_leads.c.lead_id == lk.c.source_pk)
        .where(lk.c.source_table == SourceTable.LEADS, cabinet_leads.c.lead_id.is_(None))
        .order_by(lk.c.source_pk)
    )
    return list(conn.execute(q).scalars())


def run_backfill_origins(
    engine: sa.Engine,
    *,
    settings: Settings,
    now_fn: Callable[[], dt.datetime] = utc_now,
    dry_run: bool = False,
    triggered_by: str = "cli",
) -> dict[str, Any]:
    started = time.perf_counter()
    with recovery_lock(engine):
        run_id = None
        if not dry_run:
            with engine.begin() as conn:
                run_id = start_run(
                    conn, kind="backfill_origins", now=now_fn(), triggered_by=triggered_by,
                    params={},
                )  # fmt: skip
        try:
            with (
                Heartbeat(engine, run_id, interval_s=settings.run_heartbeat_s),
                engine.begin() as conn,
            ):
                now = now_fn()
                missing = persons_without_origin(conn)
                audit = audit_origins(conn)
                people = sorted(set(missing) | set(audit.to_repair))
                changes = ChangeSet(conn, by="backfill-origins", now=now, run_id=run_id,
                                    reason="backfill by the origin rule (missing or inconsistent origin)")  # fmt: skip  # noqa: E501
                changes.touch_persons(people)
                done = changes.finish(settings)
                unknown = unknown_lead_links(conn)
                if dry_run:
                    conn.rollback()
        except Exception as exc:
            finish_run(engine, run_id, now=now_fn(), stats={}, error=f"{type(exc).__name__}: {exc}")
            raise
        stats = {
            "persons_without_origin": len(missing),
            "origins_not_among_links": len(audit.not_among_links),
            "origins_contradicting_rule": len(audit.contradicting_rule),
            "origins_created": done.origins_created,
            "origins_repaired": done.origins_updated,
            "leads_refreshed": done.leads_refreshed,
            "links_to_unknown_leads": len(unknown),
            "elapsed": round(time.perf_counter() - started, 2),
        }
        finish_run(engine, run_id, now=now_fn(), stats=stats, error=None)
    return {
        "run_id": run_id,
        "dry_run": dry_run,
        **stats,
        "unknown_lead_links": unknown[:UNKNOWN_SHOWN],
    }
