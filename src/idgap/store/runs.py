"""The one run recorder: every import and job run is a `runs` row, running -> completed/failed.

A job run (recover, match, backfill) first marks runs a killed process left `running` as
`interrupted` (`mark_interrupted`: it holds the recovery lock, so none of them can still be
alive); an import does not take that lock and leaves job runs alone. A claims settlement is
recorded once done, in the transaction that settled it (`record_completed_run`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from idgap.store.tables import runs


def start_run(
    conn: sa.Connection, *, kind: str, now: dt.datetime, triggered_by: str, params: dict[str, Any]
) -> int:
    """Insert the `running` row of a new run; -> its id (visible once `conn` commits)."""
    return int(
        conn.execute(
            runs.insert()
            .values(kind=kind, status="running", started_at=now, heartbeat_at=now,
                    triggered_by=triggered_by, params=params)
            .returning(runs.c.id)
        ).scalar_one()
    )  # fmt: skip


def finish_run(
    engine: sa.Engine,
    run_id: int | None,
    *,
    now: dt.datetime,
    stats: dict[str, Any],
    error: str | None,
) -> None:
    """Close the run in its own transaction: failed with `error`, else completed."""
    if run_id is None:
        return
    with engine.begin() as conn:
        conn.execute(
            runs.update()
            .where(runs.c.id == run_id)
            .values(status="failed" if error else "completed", finished_at=now,
                    heartbeat_at=now, stats=stats, error=error)
        )  # fmt: skip


def record_completed_run(
    conn: sa.Connection, *, kind: str, now: dt.datetime, triggered_by: str, stats: dict[str, Any]
) -> None:
    """A run that starts and ends inside the caller's transaction (e.g. settling payments)."""
    conn.execute(
        runs.insert()
        .values(kind=kind, status="completed", started_at=now, finished_at=now,
                heartbeat_at=now, triggered_by=triggered_by, stats=stats)
    )  # fmt: skip


def mark_interrupted(conn: sa.Connection, *, kinds: Sequence[str], now: dt.datetime) -> int:
    """Runs of `kinds` still marked running were killed (the caller holds their lock)."""
    result = conn.execute(
        runs.update()
        .where(runs.c.status == "running", runs.c.kind.in_(kinds))
        .values(
            status="interrupted", finished_at=now, error="process ended before the run finished"
        )
    )
    return max(result.rowcount or 0, 0)


@contextlib.contextmanager
def timed_stage(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the wall seconds of the block to `timings[stage]` (a run's `stats.timings`)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        spent = time.perf_counter() - started
        timings[stage] = round(timings.get(stage, 0.0) + spent, 2)
