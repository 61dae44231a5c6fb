"""Run heartbeats: a live run stamps `runs.heartbeat_at` every few seconds from a thread; a run
whose heartbeat is older than `IDGAP_RUN_STALE_AFTER_S` was killed (or hangs) and is marked
`interrupted` by the next status read or run - so the UI never shows a dead run as running.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from types import TracebackType

import sqlalchemy as sa

from idgap.clock import utc_now
from idgap.recovery.lock import LOCKED_KINDS
from idgap.store.tables import runs

log = logging.getLogger(__name__)


class Heartbeat:
    """Context manager: stamp the run's heartbeat every `interval_s` while the block runs."""

    def __init__(
        self,
        engine: sa.Engine,
        run_id: int | None,
        *,
        interval_s: float,
        now_fn: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.engine, self.run_id, self.interval_s, self.now_fn = engine, run_id, interval_s, now_fn
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                runs.update()
                .where(runs.c.id == self.run_id, runs.c.status == "running")
                .values(heartbeat_at=self.now_fn())
            )

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.beat()
            except sa.exc.SQLAlchemyError as exc:  # a busy store skips a beat, never the run
                log.warning("run %s heartbeat skipped: %s", self.run_id, exc)

    def __enter__(self) -> Heartbeat:
        if self.run_id is not None:
            self._thread = threading.Thread(
                target=self._loop, name=f"idgap-heartbeat-{self.run_id}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 30)


def mark_stale_runs(conn: sa.Connection, *, now: dt.datetime, stale_after_s: float) -> int:
    """Mark `interrupted` every running job run (the kinds that beat) whose last sign of life
    is older than the limit."""
    cutoff = now - dt.timedelta(seconds=stale_after_s)
    last_seen = sa.func.coalesce(runs.c.heartbeat_at, runs.c.started_at)
    running = sa.and_(runs.c.status == "running", runs.c.kind.in_(LOCKED_KINDS))
    # read first: a status read must not take the write lock (SQLite) when nothing is stale
    stale = list(conn.execute(sa.select(runs.c.id).where(running, last_seen < cutoff)).scalars())
    if not stale:
        return 0
    result = conn.execute(
        runs.update()
        .where(runs.c.id.in_(stale), running)
        .values(
            status="interrupted",
            finished_at=now,
            error=f"no heartbeat for more than {int(stale_after_s)} s: the process ended or hangs",
        )
    )
    return max(result.rowcount or 0, 0)
