"""`run_recovery`: the gap killer. One job, set-based, batched, locked, idempotent (SPEC §6).

0. bring the persisted driver index up to date (only changed drivers re-normalised);
1. close holes of existing links: migrations, driver links, missing origins (one transaction);
2. decide every record without identity that is due (retry rule), in one engine call,
   claim-window and newest first, `limit` applied after that filtering;
3. write the decisions in atomic batches (a kill loses at most the batch in flight);
4. the `runs` row: running -> completed/failed, stats, heartbeat per batch; a run left
   `running` by a killed process is marked `interrupted` by the next run (we hold the lock).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.clock import park_day, utc_now
from idgap.config import Settings
from idgap.errors import JobLocked
from idgap.gaps.snapshots import record_snapshot
from idgap.gaps.status import refresh_followups
from idgap.identity.changes import ChangeSet, linked_driver_ids
from idgap.identity.writer import WRITTEN_TABLES, WriteStats, apply_decisions
from idgap.matching.engine import RULESETS, match_candidates
from idgap.matching.prepared import prepare_index
from idgap.matching.settings import MatchSettings
from idgap.recovery.heartbeat import Heartbeat
from idgap.recovery.index_store import load_driver_index
from idgap.recovery.lock import LOCKED_KINDS, recovery_lock
from idgap.recovery.repair import RepairStats, link_migrations, repair_driver_links
from idgap.recovery.sources import trips_frame, work_list
from idgap.store import runs as store_runs
from idgap.store.bulk import refresh_statistics, statistics_due
from idgap.store.runs import finish_run, timed_stage
from idgap.store.tables import identity_links, identity_origin, lead_status, runs

Progress = Callable[[str, int, int], None]


@dataclass
class RunReport:
    run_id: int | None
    kind: str
    dry_run: bool
    processed: int = 0  # records decided in step 2
    without_identity: int = 0
    skipped_unchanged: int = 0  # without identity, but nothing changed since their decision
    writes: WriteStats = field(default_factory=WriteStats)
    origins_backfilled: int = 0
    driver_links_repaired: int = 0
    migrations_linked: int = 0
    index_version: str | None = None
    index_changed: int = 0
    batches: int = 0
    elapsed_seconds: float = 0.0
    # wall seconds per stage: index, repair, read, match, write, gap_status (write excludes it)
    timings: dict[str, float] = field(default_factory=dict)
    started_at: dt.datetime | None = None
    unfinished_since: dt.datetime | None = None  # a killed/failed run before this one started

    @contextlib.contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        with timed_stage(self.timings, stage):
            yield

    def stats(self) -> dict[str, Any]:
        """The flat stats stored on the run row."""
        w = self.writes
        return {
            "processed": self.processed,
            "matched": w.matched,
            "review": w.review,
            "unmatched": w.unmatched,
            "origins_created": w.origins_created + self.origins_backfilled,
            "driver_links_created": w.driver_links_created + self.driver_links_repaired,
            "persons_created": w.persons_created,
            "migrations_linked": self.migrations_linked,
            "driver_links_repaired": self.driver_links_repaired,
            "origins_backfilled": self.origins_backfilled,
            "without_identity": self.without_identity,
            "skipped_unchanged": self.skipped_unchanged,
            "skipped_already_linked": w.skipped_already_linked,
            "index_version": self.index_version,
            "index_changed": self.index_changed,
            "batches": self.batches,
            "elapsed": self.elapsed_seconds,
            "by_reason": dict(sorted(w.by_reason.items())),
            "by_rule": dict(sorted(w.by_rule.items())),
            "timings": dict(self.timings),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "dry_run": self.dry_run,
            **self.stats(),
            "elapsed_seconds": self.elapsed_seconds,
            "writes": asdict(self.writes),
        }


def match_settings(settings: Settings) -> MatchSettings:
    return MatchSettings(
        target_park_id=settings.park_id,
        name_threshold=settings.name_similarity_threshold,
        name_gap=settings.name_gap_threshold,
        hire_window=(-settings.hire_window_before_days, settings.hire_window_after_days),
        target_precision=settings.target_precision,
    )


def unfinished_since(conn: sa.Connection) -> dt.datetime | None:
    """When the oldest job run after the last completed one started: a run that was killed
    or failed may have committed batches whose search keys and claims were never refreshed."""
    r = runs
    jobs = r.c.kind.in_(LOCKED_KINDS)
    last_ok = sa.select(sa.func.max(r.c.started_at)).where(jobs, r.c.status == "completed")
    done = conn.execute(last_ok).scalar_one_or_none()
    oldest = sa.select(sa.func.min(r.c.started_at)).where(jobs, r.c.status != "completed")
    if done is not None:
        oldest = oldest.where(r.c.started_at > done)
    return conn.execute(oldest).scalar_one_or_none()


def start_run(
    conn: sa.Connection, *, kind: str, now: dt.datetime, triggered_by: str, params: dict
) -> int:
    """A job run's row (`store.runs`), after marking the runs killed processes left running."""
    store_runs.mark_interrupted(conn, kinds=LOCKED_KINDS, now=now)
    return store_runs.start_run(conn, kind=kind, now=now, triggered_by=triggered_by, params=params)


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
    """Run the job once; raises JobLocked when another run holds the lock."""
    started = time.perf_counter()
    with recovery_lock(engine):
        report = RunReport(None, kind, dry_run)
        if not dry_run:
            with engine.begin() as conn:
                params = {
                    "limit": limit, "ruleset": settings.ruleset,
                    "match_settings": match_settings(settings).to_dict(),
                }  # fmt: skip
                report.unfinished_since = unfinished_since(conn)
                report.started_at = now_fn()
                report.run_id = start_run(
                    conn, kind=kind, now=report.started_at, triggered_by=triggered_by,
                    params=params,
                )  # fmt: skip
            if on_start:  # the run row is committed: callers may now report its id
                on_start(report.run_id)
        try:
            with Heartbeat(engine, report.run_id, interval_s=settings.run_heartbeat_s):
                _run(engine, report, settings=settings, now_fn=now_fn, limit=limit,
                     progress=progress)  # fmt: skip
                if not dry_run:
                    if progress:
                        progress("search keys and claims", 0, 1)
                    with report.timed("gap_status"):
                        _followups(engine, report, settings=settings, now=now_fn())
        except Exception as exc:
            report.elapsed_seconds = round(time.perf_counter() - started, 2)
            error = f"{type(exc).__name__}: {exc}"[:500]
            finish_run(engine, report.run_id, now=now_fn(), stats=report.stats(), error=error)
            raise
        report.elapsed_seconds = round(time.perf_counter() - started, 2)
        if not dry_run:
            with engine.begin() as conn:
                record_snapshot(conn, today=park_day(now_fn(), settings.timezone))
            finish_run(engine, report.run_id, now=now_fn(), stats=report.stats(), error=None)
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
    if progress:
        progress("driver index", 0, 1)
    with report.timed("index"), engine.begin() as conn:  # kept even by a dry run's index
        index, info = load_driver_index(conn, now=now_fn())
        if report.dry_run:
            conn.rollback()
    report.index_version, report.index_changed = info.version, info.n_changed + info.n_removed
    persons_of_drivers: list[str] = []  # what ct4's R3b needs; read before each matching step
    prepared = prepare_index(index, name_keys=False)  # once for every matching step below

    def match(cands: pl.DataFrame, trips: pl.DataFrame | None = None) -> pl.DataFrame:
        return match_candidates(
            cands, prepared, ruleset=settings.ruleset, settings=match_settings(settings),
            index_version=info.version, linked_drivers=persons_of_drivers, trips=trips,
        )  # fmt: skip

    def read_linked_drivers() -> None:
        if settings.ruleset == "ct4":
            with engine.connect() as conn:
                persons_of_drivers[:] = linked_driver_ids(conn)

    with report.timed("read"):
        read_linked_drivers()
    if progress:
        progress("repairing links and origins", 0, 1)
    with report.timed("repair"):
        _repair(engine, report, settings=settings, now=now_fn(), match=match)
    work = _due_work(engine, report, version=info.version, settings=settings,
                     today=park_day(now_fn(), settings.timezone), limit=limit)  # fmt: skip
    if work.height == 0:
        return
    if progress:
        progress("matching", 0, work.height)
    with report.timed("read"):
        read_linked_drivers()  # step 1 may have given drivers a person
        with engine.connect() as conn:  # the activity evidence: trips in the leads' windows
            trips = trips_frame(conn, work, days=max(match_settings(settings).activity_windows))
    with report.timed("match"):
        decisions = match(work, trips)
    # the driver index (~1 GB at 1,000,000 drivers) is not needed to write: let it go (the
    # `match` closure holds `prepared`, so it is dropped by assignment, not `del`)
    index = prepared = None  # type: ignore[assignment]  # noqa: F841
    del trips, work
    with report.timed("write"):
        _write(engine, report, decisions, settings=settings, now_fn=now_fn, progress=progress)
    status = round(report.writes.gap_status_seconds, 2)
    report.timings["gap_status"] = status
    report.timings["write"] = round(report.timings["write"] - status, 2)


def _due_work(
    engine: sa.Engine,
    report: RunReport,
    *,
    version: str,
    settings: Settings,
    today: dt.date,
    limit: int | None,
) -> pl.DataFrame:
    """Step 2's candidates (the retry rule's work list, `limit` applied after it), counted
    on the report."""
    with report.timed("read"), engine.connect() as conn:
        wl = work_list(
            conn, version=version, today=today, window_days=settings.claim_window_days,
            ruleset_version=RULESETS[settings.ruleset],
        )  # fmt: skip
    report.without_identity, report.skipped_unchanged = wl.without_identity, wl.skipped_unchanged
    work = wl.candidates if limit is None else wl.candidates.head(max(limit, 0))
    report.processed = work.height
    return work


def _followups(
    engine: sa.Engine, report: RunReport, *, settings: Settings, now: dt.datetime
) -> None:
    """Once per run, after the batches: search keys and claims of every lead whose gap status
    this run (or a killed or failed run before it) rewrote. A kill before this step is caught
    up by the next run (`unfinished_since`)."""
    since = min(d for d in (report.started_at, report.unfinished_since) if d is not None)
    ls = lead_status
    with engine.begin() as conn:
        leads = list(
            conn.execute(sa.select(ls.c.lead_id).where(ls.c.updated_at >= since)).scalars()
        )
        if leads:
            day = park_day(now, settings.timezone)
            refresh_followups(conn, leads, today=day, settings=settings, now=now)


def _repair(
    engine: sa.Engine,
    report: RunReport,
    *,
    settings: Settings,
    now: dt.datetime,
    match: Callable[[pl.DataFrame], pl.DataFrame],
) -> None:
    """Step 1 in one transaction (one change-set): migrations, driver links, missing origins,
    gap status."""
    rs = RepairStats()
    with engine.begin() as conn:
        changes = ChangeSet(conn, by="recovery", now=now, run_id=report.run_id,
                            reason="origin for existing links")  # fmt: skip
        link_migrations(changes, rs)
        repair_driver_links(changes, rs, match=match)
        changes.touch_persons(persons_without_origin(conn))
        done = changes.finish(settings)
        report.migrations_linked = rs.migrations_linked
        report.driver_links_repaired = rs.driver_links
        report.origins_backfilled = done.origins_created
        if report.dry_run:
            conn.rollback()


def _write(
    engine: sa.Engine,
    report: RunReport,
    decisions: pl.DataFrame,
    *,
    settings: Settings,
    now_fn: Callable[[], dt.datetime],
    progress: Progress | None,
) -> None:
    """Atomic batches, each committed with the run's heartbeat.

    A dry run writes every batch in ONE transaction and rolls it back at the end, so its
    counts are exactly what a real run would write (two leads of one driver in different
    batches make one person, not two).
    """
    size = max(settings.recovery_batch_size, 1)
    dry = engine.connect() if report.dry_run else None
    try:
        for start in range(0, decisions.height, size):
            batch = decisions.slice(start, size)
            analyze = statistics_due(report.batches + 1)
            if dry is not None:  # a savepoint-free, growing transaction, never committed
                report.writes.add(
                    apply_decisions(dry, batch, run_id=None, now=now_fn(), settings=settings)
                )  # a dry run's follow-ups would be rolled back too: none
                if analyze:
                    refresh_statistics(dry, WRITTEN_TABLES)
            else:
                with engine.begin() as conn:
                    now = now_fn()
                    report.writes.add(
                        apply_decisions(
                            conn,
                            batch,
                            run_id=report.run_id,
                            now=now,
                            settings=settings,
                            followups=False,
                        )  # fmt: skip
                    )
                    conn.execute(
                        runs.update().where(runs.c.id == report.run_id).values(heartbeat_at=now)
                    )
                    if analyze:
                        refresh_statistics(conn, WRITTEN_TABLES)
            report.batches += 1
            if progress:
                progress("writing", min(start + size, decisions.height), decisions.height)
    finally:
        if dry is not None:
            dry.rollback()
            dry.close()


def persons_without_origin(conn: sa.Connection) -> list[str]:
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
                engine, settings=settings, triggered_by=triggered_by, on_start=on_start,
                progress=lambda *_: ready.set(),
            )  # fmt: skip
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
