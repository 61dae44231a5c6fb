"""A recovery run killed with SIGKILL half-way loses nothing; the next run finishes the work."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from idgap import clock
from idgap.config import Settings
from idgap.intake.service import import_path
from idgap.recovery.heartbeat import mark_stale_runs
from idgap.store.db import make_engine
from idgap.store.tables import identity_links, identity_origin, runs
from idgap.synth import generate_park, write_park


def _violations(conn) -> int:
    lk = identity_links
    d = lk.alias("d")
    no_driver = conn.execute(
        sa.select(sa.func.count())
        .select_from(lk)
        .where(
            lk.c.source_table == "module_ct_cabinet_leads",
            ~sa.exists().where(d.c.person_key == lk.c.person_key, d.c.source_table == "drivers"),
        )
    ).scalar_one()
    no_origin = conn.execute(
        sa.select(sa.func.count())
        .select_from(lk)
        .where(~sa.exists().where(identity_origin.c.person_key == lk.c.person_key))
    ).scalar_one()
    return no_driver + no_origin


@pytest.mark.slow
def test_kill_9_mid_run_then_rerun(tmp_path):
    lk = identity_links
    url = f"sqlite:///{tmp_path / 'k.db'}"
    write_park(
        generate_park(
            leads=3000, drivers=30_000, seed=8, anchor_date=clock.today(clock.DEFAULT_TIMEZONE)
        ),
        tmp_path / "p",
    )
    engine = make_engine(url)
    import_path(
        engine, tmp_path / "p", now=dt.datetime.now(dt.UTC), settings=Settings(database_url=url)
    )
    env = {**os.environ, "IDGAP_DATABASE_URL": url, "IDGAP_RECOVERY_BATCH_SIZE": "100"}
    cmd = [sys.executable, "-m", "idgap.cli.main", "recover", "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until the run has committed at least one batch
        with engine.connect() as conn:
            if (
                conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one()
                > 0
            ):
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with engine.connect() as conn:
        partial = conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one()
        assert _violations(conn) == 0  # every committed batch is whole
        kept = {
            (t, pk): p
            for t, pk, p in conn.execute(
                sa.select(lk.c.source_table, lk.c.source_pk, lk.c.person_key)
            ).all()
        }
    with engine.begin() as conn:  # a status read once the dead run's heartbeat is stale
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=601)
        was = conn.execute(sa.select(runs.c.status).where(runs.c.kind == "recover")).scalar_one()
        marked = mark_stale_runs(conn, now=later, stale_after_s=600)
        assert marked == (1 if was == "running" else 0)
        now_is = conn.execute(sa.select(runs.c.status).where(runs.c.kind == "recover")).scalar_one()
        assert now_is in ("interrupted", "completed")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        assert _violations(conn) == 0
        now_keys = {
            (t, pk): p
            for t, pk, p in conn.execute(
                sa.select(lk.c.source_table, lk.c.source_pk, lk.c.person_key)
            ).all()
        }
        assert all(now_keys[k] == p for k, p in kept.items())  # no person key changed
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one()
            >= partial
        )
        statuses = (
            conn.execute(
                sa.select(runs.c.status).where(runs.c.kind == "recover").order_by(runs.c.id)
            )
            .scalars()
            .all()
        )
    assert statuses[-1] == "completed"
    assert statuses[0] in ("interrupted", "completed")  # killed mid-run, or it had just finished
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert '"processed": 0' in again.stdout  # nothing left to do
