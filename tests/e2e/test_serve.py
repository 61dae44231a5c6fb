"""`idgap serve` answers on HTTP, and its scheduler runs recovery (and yields to a held lock)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import sqlalchemy as sa

from idgap.config import Settings
from idgap.recovery.lock import recovery_lock
from idgap.recovery.schedule import RecoveryScheduler
from idgap.store.db import make_engine
from idgap.store.tables import runs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_and_guards_the_api(tmp_path):
    port = _free_port()
    env = {**os.environ, "IDGAP_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "idgap.cli.main", "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        # a generous start-up allowance: on a loaded 2-core machine the import alone can take 10 s;
        # this test is about what the server answers, not how fast it starts
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as r:  # noqa: S310
                    assert b'"database":"ok"' in r.read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("idgap serve did not answer")
        try:
            urllib.request.urlopen(f"{base}/ops/identity-gaps", timeout=2)  # noqa: S310
            raise AssertionError("expected 401")
        except urllib.error.HTTPError as e:
            assert e.code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_scheduler_runs_recovery_and_skips_while_locked(tmp_path):
    url = f"sqlite:///{tmp_path / 'sched.db'}"
    engine = make_engine(url)
    sched = RecoveryScheduler(engine, Settings(database_url=url))
    with recovery_lock(engine):
        sched.run_once()  # another run holds the lock: skipped quietly, nothing recorded
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one() == 0
    sched.run_once()
    with engine.connect() as conn:
        assert conn.execute(sa.select(runs.c.kind, runs.c.triggered_by, runs.c.status)).all() == [
            ("recover", "schedule", "completed")
        ]
