"""Never two runs at once: a lock the operating system or the database releases on kill -9.

PostgreSQL: `pg_try_advisory_lock` on a dedicated connection held for the whole run (the
server drops it with the session). SQLite file: an exclusive `flock` on `<dbfile>.recovery.lock`
(the kernel drops it with the process). In-memory SQLite: a process-local lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from idgap.errors import JobLocked
from idgap.store.db import is_sqlite
from idgap.store.tables import runs

ADVISORY_KEY = 0x1D6A9  # one job, one key
LOCKED_KINDS = ("recover", "match", "backfill_origins")
_memory_lock = threading.Lock()


def busy_message(engine: sa.Engine) -> str:
    """Name the run that holds the lock, when its row is already there."""
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(runs.c.id, runs.c.started_at)
                .where(runs.c.status == "running", runs.c.kind.in_(LOCKED_KINDS))
                .order_by(runs.c.id.desc())
                .limit(1)
            ).first()
    except sa.exc.SQLAlchemyError:  # a busy database must not hide the real message
        row = None
    if row is None:
        return "another recovery run is in progress; wait for it or check `idgap diagnose`"
    since = row.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"another recovery run is in progress (run #{row.id} since {since})"


def lock_path(engine: sa.Engine) -> Path | None:
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(f"{db}.recovery.lock")


@contextlib.contextmanager
def recovery_lock(engine: sa.Engine) -> Iterator[None]:
    """Hold the job lock for the block; raise JobLocked at once when someone else holds it."""
    if is_sqlite(engine):
        path = lock_path(engine)
        if path is None:
            with _memory_locked(engine):
                yield
            return
        with path.open("a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise JobLocked(busy_message(engine)) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    conn = engine.connect()  # dedicated session: the lock dies with it
    try:
        # keyed per schema: one store per schema, so stores sharing a database never block
        key = (ADVISORY_KEY, sa.func.hashtext(sa.func.current_schema()))
        got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(*key))).scalar_one()
        conn.commit()  # no transaction left open on the lock connection for the whole run
        if not got:
            raise JobLocked(busy_message(engine))
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(*key)))
            conn.commit()
    finally:
        conn.close()


@contextlib.contextmanager
def _memory_locked(engine: sa.Engine) -> Iterator[None]:
    if not _memory_lock.acquire(blocking=False):
        raise JobLocked(busy_message(engine))
    try:
        yield
    finally:
        _memory_lock.release()
