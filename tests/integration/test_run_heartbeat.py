"""Run heartbeats (issue 12 item 7), both backends: a live run beats; a run whose heartbeat is
older than the setting is `interrupted` at the next status read (API and web) and says so."""

from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa
from fastapi.testclient import TestClient

from idgap.config import Settings
from idgap.recovery.heartbeat import Heartbeat, mark_stale_runs
from idgap.store.tables import runs
from tests.e2e.web_support import Seeded, add_tokens, make_app
from tests.integration.web_store import logged_in

STALE_S = 600


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)  # at the test's own time: a loaded machine imports early


def _run_row(engine: sa.Engine, *, heartbeat: dt.datetime, kind: str = "recover") -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                runs.insert()
                .values(kind=kind, status="running", started_at=heartbeat - dt.timedelta(hours=1),
                        heartbeat_at=heartbeat, triggered_by="test", params={})
                .returning(runs.c.id)
            ).scalar_one()
        )  # fmt: skip


def _status(engine: sa.Engine, run_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.select(runs.c.status).where(runs.c.id == run_id)).scalar_one())


def test_a_live_run_beats_until_its_block_ends(engine):
    started = _now()
    run_id = _run_row(engine, heartbeat=started - dt.timedelta(hours=1))
    with Heartbeat(engine, run_id, interval_s=0.05):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                beat = conn.execute(sa.select(runs.c.heartbeat_at).where(runs.c.id == run_id))
                last = beat.scalar_one()
            if (last.replace(tzinfo=dt.UTC) if last.tzinfo is None else last) > started:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("no heartbeat within 10 s")
    with engine.connect() as conn:
        assert mark_stale_runs(conn, now=dt.datetime.now(dt.UTC), stale_after_s=STALE_S) == 0


def test_a_stale_run_is_interrupted_by_the_next_status_read(engine):
    settings = Settings(database_url=str(engine.url), run_stale_after_s=STALE_S)
    seeded = Seeded(settings=settings, engine=engine)
    add_tokens(seeded)
    app = make_app(seeded)
    now = _now()
    dead = _run_row(engine, heartbeat=now - dt.timedelta(seconds=3 * STALE_S))
    alive = _run_row(engine, heartbeat=now)
    imported = _run_row(engine, heartbeat=now - dt.timedelta(hours=5), kind="import")
    api = TestClient(app, headers={"Authorization": f"Bearer {seeded.tokens['viewer']}"})
    body = api.get(f"/api/v1/identity/runs/{dead}").json()
    assert body["status"] == "interrupted" and "heartbeat" in body["error"]
    assert (_status(engine, dead), _status(engine, alive)) == ("interrupted", "running")
    assert _status(engine, imported) == "running"  # imports do not beat: never judged by it


def test_the_runs_page_says_interrupted_and_offers_a_new_run(engine):
    settings = Settings(database_url=str(engine.url), run_stale_after_s=STALE_S)
    seeded = Seeded(settings=settings, engine=engine)
    add_tokens(seeded)
    dead = _run_row(engine, heartbeat=_now() - dt.timedelta(seconds=3 * STALE_S))
    page = logged_in(make_app(seeded), seeded, "operator").get("/ejecuciones").text
    assert "Interrumpida" in page
    button = page[page.index('id="run-now"') - 80 : page.index('id="run-now"') + 200]
    assert "disabled" not in button
    assert _status(engine, dead) == "interrupted"  # the page's read committed the mark
