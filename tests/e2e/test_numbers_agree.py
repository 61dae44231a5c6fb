"""CLI (`idgap diagnose --json`), API and web show the same numbers on the same store.

Each screen's view model is computed once (idgap.views); this test reads it the three ways an
analyst or a script would and compares totals, review count, status and freshness.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from idgap import clock
from idgap.cli.main import app as cli
from idgap.config import Settings
from idgap.store import tables as t
from idgap.store.db import make_engine
from tests.e2e.web_support import as_int, login, make_app, seed_park, tile_value

# English labels and raw codes an analyst must not see on the main pages
FORBIDDEN = (
    "TOTAL LEADS", "Total Leads", "Unresolved", "UNRESOLVED", "High Risk", "HIGH RISK",
    "Matched Last 24h", "Job Freshness", "WARNING", "IG_SCORED", "WEAK_MATCH_ONLY",
    "OTHER_PARK_ONLY", "module_ct_cabinet_leads", "name contained", "no_identity",
    "1 viajes", "1 leads", "1 días", "✅", "⚠️", "❌", "🎉", "✔", "✘", "✓", "✗", '"inputs"',
)  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    work = tmp_path_factory.mktemp("agree")
    url = f"sqlite:///{work / 'idgap.db'}"
    engine = make_engine(url)
    seeded = seed_park(engine, Settings(database_url=url, secret_key="s"), work, leads=300,
                       drivers=3000)  # fmt: skip
    yield url, seeded
    engine.dispose()


@pytest.fixture(scope="module")
def web(store):
    _, seeded = store
    client = TestClient(make_app(seeded))
    login(client, seeded.tokens["viewer"])
    return client


def api(web, store, path: str) -> dict:
    _, seeded = store
    token = seeded.tokens["viewer"]
    response = web.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text[-400:]
    return response.json()


def test_cli_api_and_web_agree(store, web):
    url, _ = store
    result = CliRunner().invoke(cli, ["--db", url, "diagnose", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    totals = report["gap"]["totals"]
    queue, status = report["review_queue"]["open"], report["status"]
    hours = report["job"]["hours_since_last_completed"]

    health_api, gaps_api = api(web, store, "/screens/health"), api(web, store, "/ops/identity-gaps")
    board_api, ops_health = (
        api(web, store, "/screens/dashboard"),
        api(web, store, "/ops/data-health"),
    )
    assert (health_api["status"], ops_health["status"]) == (status, status)
    assert health_api["review_queue"]["open"] == ops_health["unmatched_open_count"] == queue
    assert api(web, store, "/screens/review")["total"] == queue
    assert health_api["freshness"]["hours"] == ops_health["job_freshness_hours"] == hours
    assert board_api["job"]["job_freshness_hours"] == hours
    for key in ("total_leads", "unresolved", "resolved", "high_risk"):
        assert gaps_api["totals"][key] == board_api["totals"][key] == totals[key]

    board = web.get("/").text
    assert as_int(tile_value(board, "tile-total")) == totals["total_leads"]
    assert as_int(tile_value(board, "tile-unresolved")) == totals["unresolved"]
    assert as_int(tile_value(board, "tile-resolved")) == totals["resolved"]
    assert as_int(tile_value(board, "tile-high")) == totals["high_risk"]
    assert tile_value(board, "tile-freshness") == f"{hours:.1f} h"
    health = web.get("/salud").text
    assert re.search(rf'id="health-status" data-status="{status}"', health)
    assert re.search(rf'id="health-review">{queue:,}<', health)
    assert re.search(rf'id="health-freshness">{hours:,.1f} h<', health)
    review = web.get("/revision").text
    assert re.search(rf'id="queue-pos">Lead 1 de {queue:,}<', review)
    assert web.get("/salud.json").json()["review_queue"]["open"] == queue


def test_queue_counts_review_and_unmatched_rows(store):
    """The queue page lists every OPEN row; diagnose once counted only outcome=review."""
    url, _ = store
    engine = make_engine(url)
    with engine.connect() as conn:
        by_outcome = dict(
            conn.execute(
                sa.select(t.identity_unmatched.c.outcome, sa.func.count())
                .where(t.identity_unmatched.c.status == "OPEN")
                .group_by(t.identity_unmatched.c.outcome)
            ).all()
        )
    engine.dispose()
    result = CliRunner().invoke(cli, ["--db", url, "diagnose", "--json"])
    assert json.loads(result.output)["review_queue"]["by_outcome"] == by_outcome


def test_main_pages_have_no_english_labels_or_raw_codes(store, web):
    _, seeded = store
    lead_ids = [i["lead_id"] for i in api(web, store, "/screens/dashboard")["items"][:3]]
    pages = ["/", "/revision", "/ejecuciones", "/ejecuciones/1", "/ejecuciones/2", "/salud"]
    pages += [f"/leads/{lead_id}" for lead_id in lead_ids]
    for path in pages:
        html = web.get(path).text
        visible = re.sub(r"<[^>]+>", " ", html)  # attributes (CSS classes, ids) may hold codes
        found = [w for w in FORBIDDEN if re.search(r"(?<![\d,.])" + re.escape(w), visible)]
        assert not found, f"{path} shows {found}"


def test_lead_trips_never_list_future_days(store, web):
    today = clock.today(Settings().timezone)
    items = api(web, store, "/screens/dashboard?sort=-lead_date&page_size=50")["items"]
    linked = [i["lead_id"] for i in items if i["person_key"]]
    assert linked, "the seeded park has recent linked leads"
    view = api(web, store, f"/screens/leads/{linked[0]}")
    days = [dt.date.fromisoformat(d["day"]) for d in view["trips_by_day"]]
    assert days and max(days) <= today
    assert view["window"]["end_exclusive"] > view["window"]["start"]
