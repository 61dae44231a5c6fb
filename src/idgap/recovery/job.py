"""`run_recovery`: the gap killer. One job, set-based, batched, locked, idempotent."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.clock import utc_now
from idgap.config import Settings
from idgap.errors import JobLocked
from idgap.gaps.snapshots import record_snapshot
from idgap.gaps.status import refresh_lead_status
from idgap.identity.origin import ensure_origins
from idgap.identity.writer import WriteStats, apply_decisions
from idgap.matching.engine import match_candidates
from idgap.matching.settings import MatchSettings
from idgap.recovery.lock import recovery_lock
from idgap.recovery.repair import link_migrations, repair_driver_links
from idgap.recovery.sources import driver_index, work_list
from idgap.store.tables import identity_links, identity_origin, runs

Progress = Callable[[str, int, int], None]


@dataclass
class RunReport:
    run_id: int | None
    kind: str
    dry_run: bool
    processed: int = 0
    writes: WriteStats = field(default_factory=WriteStats)
    origins_backfilled: int = 0
    driver_links_repaired: int = 0
    migrations_linked: int = 0
    index_version: str | None = None
    elapsed_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def match_settings(settings: Settings) -> MatchSettings:
    return MatchSettings(
        target_park_id=settings.park_id,
        name_threshold=settings.name_similarity_threshold,
        name_gap=settings.name_gap_threshold,
        hire_window=(-settings.hire_window_before_days, settings.hire_window_after_days),
    )


def _mark_interrupted(conn: sa.Connection, now: dt.datetime) -> None:
    """We hold the lock, so any run still marked running was killed."""
    conn.execute(
        runs.update()
        .where(
            runs.c.status == "running", runs.c.kind.in_(["recover", "match", "backfill_origins"])
        )
        .values(
            status="interrupted", finished_at=now, error="process ended before the run finished"
        )
    )


def run_recovery(
    engine: sa.Engine,
    *,
    settings: Settings,
    now_fn: Callable[[], dt.datetime] = utc_now,
    limit: int | None = None,
    dry_run: bool = False,
    kind: str = "recover",
    triggered_by: str = "cli",
    progress: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
) -> RunReport:
    started = time.perf_counter()
    with recovery_lock(engine):
        now = now_fn()
        report = RunReport(None, kind, dry_run)
        if not dry_run:
            with engine.begin() as conn:
                _mark_interrupted(conn, now)
                report.run_id = conn.execute(
                    runs.insert()
                    .values(
                        kind=kind,
                        status="running",
                        started_at=now,
                        heartbeat_at=now,
                        triggered_by=triggered_by,
                        params={"limit": limit, "ruleset": settings.ruleset},
                    )
                    .returning(runs.c.id)
                ).scalar_one()
            if on_start:  # the run row is committed: callers may now report its id
                on_start(report.run_id)
        try:
            _run(engine, report, settings=settings, now_fn=now_fn, limit=limit, progress=progress)
        except Exception as exc:
            if not dry_run:
                with engine.begin() as conn:
                    conn.execute(
                        runs.update()
                        .where(runs.c.id == report.run_id)
                        .values(
                            status="failed",
                            finished_at=now_fn(),
                            error=f"{type(exc).__name__}: {exc}"[:500],
                            stats=report.to_dict(),
                        )
                    )
            raise
        report.elapsed_seconds = round(time.perf_counter() - started, 2)
        if not dry_run:
            with engine.begin() as conn:
                record_snapshot(conn, today=now_fn().date())
                conn.execute(
                    runs.update()
                    .where(runs.c.id == report.run_id)
                    .values(
                        status="completed",
                        finished_at=now_fn(),
                        heartbeat_at=now_fn(),
                        stats=report.to_dict(),
                    )
                )
        return report


def _run(
    engine: sa.Engine,
    report: RunReport,
    *,
    settings: Settings,
    now_fn: Callable[[], dt.datetime],
    limit: int | None,
    progress: Progress | None,
) -> None:
    dry = report.dry_run
    # 1. bookkeeping holes first: migrations, driver links and origins of existing links
    with engine.begin() as conn:
        now = now_fn()
        report.migrations_linked = link_migrations(conn, now=now, run_id=report.run_id, dry_run=dry)
        report.driver_links_repaired = repair_driver_links(
            conn, now=now, run_id=report.run_id, dry_run=dry
        )
        o = ensure_origins(
            conn,
            _persons_without_origin(conn),
            now=now,
            run_id=report.run_id,
            changed_by="recovery",
            reason="missing origin for existing links",
            dry_run=dry,
        )
        report.origins_backfilled = o.created
        if not dry and (report.migrations_linked or report.driver_links_repaired or o.created):
            refresh_lead_status(conn, None, today=now.date(), settings=settings, now=now)
        if dry:
            conn.rollback()
    # 2. re-match what needs it, set-based
    with engine.connect() as conn:
        index, version = driver_index(conn, now=now_fn())
        conn.commit()
        work = work_list(
            conn, version=version, today=now_fn().date(), window_days=settings.claim_window_days
        )
    report.index_version = version
    if limit is not None:
        work = work.head(limit)
    report.processed = work.height
    if work.height == 0:
        return
    if progress:
        progress("matching", 0, work.height)
    decisions = match_candidates(
        work,
        index,
        ruleset=settings.ruleset,
        settings=match_settings(settings),
        index_version=version,
    )
    # 3. write in atomic batches; a kill loses at most the batch in flight
    size = max(settings.recovery_batch_size, 1)
    for start in range(0, decisions.height, size):
        batch = decisions.slice(start, size)
        if dry:
            _count_only(report.writes, batch)
        else:
            with engine.begin() as conn:
                now = now_fn()
                report.writes.add(
                    apply_decisions(conn, batch, run_id=report.run_id, now=now, settings=settings)
                )
                conn.execute(
                    runs.update().where(runs.c.id == report.run_id).values(heartbeat_at=now)
                )
        if progress:
            progress("writing", min(start + size, decisions.height), decisions.height)


def _count_only(stats: WriteStats, batch: pl.DataFrame) -> None:
    for outcome, reason in batch.select("outcome", "reason_code").iter_rows():
        setattr(stats, outcome, getattr(stats, outcome) + 1)
        stats.by_reason[reason] = stats.by_reason.get(reason, 0) + 1


def _persons_without_origin(conn: sa.Connection) -> list[str]:
    lk, og = identity_links, identity_origin
    q = (
        sa.select(lk.c.person_key)
        .distinct()
        .outerjoin(og, og.c.person_key == lk.c.person_key)
        .where(og.c.person_key.is_(None))
    )
    return list(conn.execute(q).scalars())


_background: dict[str, threading.Thread] = {}


def start_background_run(engine: sa.Engine, *, settings: Settings, triggered_by: str) -> int | None:
    """Start a run in a thread (API, dashboard) and return its run id once its row exists.

    Raises JobLocked when one is already running.
    """
    ready, failure, started = threading.Event(), [], []

    def on_start(run_id: int) -> None:
        started.append(run_id)
        ready.set()

    def target() -> None:
        try:
            run_recovery(
                engine,
                settings=settings,
                triggered_by=triggered_by,
                progress=lambda *_: ready.set(),
                on_start=on_start,
            )
        except JobLocked as exc:
            failure.append(exc)
        except Exception:  # noqa: BLE001, S110 - the failure is recorded in the run row
            pass
        finally:
            ready.set()

    with recovery_lock(engine):  # fail fast in the caller if a run holds the lock
        pass
    t = threading.Thread(target=target, name="idgap-recovery", daemon=True)
    t.start()
    _background["last"] = t
    ready.wait(timeout=5)
    if failure:
        raise failure[0]
    return started[0] if started else None
