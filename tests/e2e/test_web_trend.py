"""The dashboard's trend and money-over-time follow every filter the tiles follow.

Tiny hand-written park (recovery_support): L1, L2 resolved by the job on 25 Nov; L3 (20 Nov),
L4 (21 Nov) and L5 (15 Nov) open. The last day of the line is always the tiles.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from idgap import clock
from idgap.access import create_token
from idgap.config import Settings
from idgap.recovery.job import run_recovery
from idgap.store.db import make_engine
from tests.e2e.web_support import login
from tests.integration.recovery_support import NOW, SETTINGS, seed

FILTERS = [
    {},
    {"date_from": "2026-11-15"},
    {"date_from": "2026-11-10", "date_to": "2026-11-16"},
    {"risk_level": "low"},
    {"gap_reason": "unresolved"},
    {"q": "L3"},
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from idgap.api.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('trend') / 'idgap.db'}"
    engine = make_engine(url)
    seed(engine)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    with engine.begin() as conn:
        token = create_token(conn, name="trend", role="viewer", now=NOW)
    web = TestClient(create_app(Settings(database_url=url, secret_key="t"), engine))
    login(web, token)
    web.headers["Authorization"] = f"Bearer {token}"
    yield web
    engine.dispose()


@pytest.fixture(autouse=True)
def _at_noon(monkeypatch):
    monkeypatch.setattr(clock, "utc_now", lambda: NOW)


@pytest.mark.parametrize("filters", FILTERS)
def test_trend_ends_on_the_tiles_for_every_filter(client, filters):
    view = client.get("/panel.json", params=filters).json()
    last, totals = view["trend"]["items"][-1], view["totals"]
    assert last["day"] == "2026-11-25"
    assert last["total_leads"] == totals["total_leads"]
    assert last["unresolved"] == totals["unresolved"]
    assert last["amount_at_stake"] == totals["amount_at_stake_unresolved"]
    api = client.get("/api/v1/screens/dashboard", params=filters).json()
    assert api["trend"] == view["trend"]  # one view model for the API and the page


def test_lead_dates_move_the_line_and_the_money(client):
    whole = client.get("/panel.json").json()["trend"]["items"]
    dated = client.get("/panel.json", params={"date_from": "2026-11-15"}).json()["trend"]
    assert whole[0]["day"] == "2026-11-09" and dated["items"][0]["day"] == "2026-11-15"
    on_20th = {p["day"]: p for p in dated["items"]}["2026-11-20"]
    assert (on_20th["total_leads"], on_20th["unresolved"]) == (2, 2)  # L5 and L3 only
    assert {p["day"]: p for p in whole}["2026-11-20"]["total_leads"] == 4


def _svg_label(html: str, css: str) -> str:
    match = re.search(rf'<svg class="{css}"[^>]*aria-label="([^"]+)"', html)
    assert match, f"no {css} chart"
    return match.group(1)


def test_the_page_draws_the_filtered_line(client):
    whole = client.get("/").text
    dated = client.get("/", params={"date_from": "2026-11-20", "gap_reason": "unresolved"}).text
    assert "17 días" in _svg_label(whole, "trend")  # 9 to 25 Nov
    assert "6 días" in _svg_label(dated, "trend")  # 20 to 25 Nov
    assert _svg_label(dated, "trend money")
    assert "100.0 %" in _svg_label(dated, "trend")  # L3 and L4 are both still open
    assert "trend-dates-note" not in dated and 'id="trend-note"' in dated
    assert dt.date(2026, 11, 25).strftime("%d/%m/%Y") in _svg_label(dated, "trend")


def test_the_api_takes_the_dashboards_reason_filters():
    import typing

    from idgap.api.schemas import GapReason
    from idgap.gaps.query import UNRESOLVED_FILTER
    from idgap.gaps.rules import GAP_REASONS

    assert set(typing.get_args(GapReason)) == {*GAP_REASONS, UNRESOLVED_FILTER}
