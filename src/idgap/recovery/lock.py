"""Never two runs at once: a lock the operating system or the database releases on kill -9."""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from idgap.errors import JobLocked
from idgap.store.db import is_sqlite

ADVISORY_KEY = 0x1D6A9  # one job, one key
_memory_lock = threading.Lock()
BUSY = "another recovery run is in progress; wait for it or check `idgap diagnose`"


@contextlib.contextmanager
def recovery_lock(engine: sa.Engine) -> Iterator[None]:
    if is_sqlite(engine):
        db = engine.url.database
        if not db or db == ":memory:":
            if not _memory_lock.acquire(blocking=False):
                raise JobLocked(BUSY)
            try:
                yield
            finally:
                _memory_lock.release()
            return
        path = Path(f"{db}.recovery.lock")
        with path.open("a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise JobLocked(BUSY) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    conn = engine.connect()  # dedicated session: the lock dies with it
    try:
        # keyed per schema: one store per schema, so stores sharing a database never block
        # each other
        key = (ADVISORY_KEY, sa.func.hashtext(sa.func.current_schema()))
        got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(*key))).scalar_one()
        if not got:
            raise JobLocked(BUSY)
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(*key)))
    finally:
        conn.close()
