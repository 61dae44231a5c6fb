"""Ages count from today in the park (IDGAP_TIMEZONE), on every screen and export.

At 03:00 UTC on 26 Nov it is still 25 Nov, 22:00, in Lima: a lead of 20 Nov is 5 days open,
not 6. At 06:00 UTC Lima has reached the 26th and the same lead is 6 days open.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient

from idgap import clock
from idgap.access import create_token
from idgap.config import Settings
from idgap.recovery.job import run_recovery
from idgap.store.db import make_engine
from tests.e2e.web_support import login
from tests.integration.recovery_support import NOW, SETTINGS, seed

LIMA_EVENING = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)  # 25 Nov 22:00 in Lima
LIMA_NEXT_DAY = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)  # 26 Nov 01:00 in Lima
L3_DATE = dt.date(2026, 11, 20)


@pytest.fixture()
def client(tmp_path, monkeypatch):
    from idgap.api.app import create_app

    url = f"sqlite:///{tmp_path / 'idgap.db'}"
    engine = make_engine(url)
    seed(engine)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)  # ages as of 25 Nov
    with engine.begin() as conn:
        token = create_token(conn, name="tz", role="viewer", now=NOW)
    settings = Settings(database_url=url, secret_key="tz-secret", timezone="America/Lima")
    web = TestClient(create_app(settings, engine))
    login(web, token)
    web.headers["Authorization"] = f"Bearer {token}"
    yield web
    engine.dispose()


def _ages(client: TestClient) -> dict[str, int]:
    """L3's days open as the dashboard, the API, the queue export and the gap export say."""
    panel = client.get("/panel.json", params={"q": "L3"}).json()
    api = client.get("/api/v1/ops/identity-gaps", params={"q": "L3"}).json()
    rows = list(csv.DictReader(io.StringIO(client.get("/exportar/brechas.csv?q=L3").text)))
    return {
        "panel": _only(panel["items"])["gap_age_days"],
        "api": _only(api["items"])["gap_age_days"],
        "export": int(_only(rows)["gap_age_days"]),
        "as_of": panel["as_of"],
    }


def _only(rows: list) -> dict:
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(
    ("instant", "park_day"),
    [(LIMA_EVENING, dt.date(2026, 11, 25)), (LIMA_NEXT_DAY, dt.date(2026, 11, 26))],
)
def test_gap_ages_count_from_the_parks_day(client, monkeypatch, instant, park_day):
    monkeypatch.setattr(clock, "utc_now", lambda: instant)
    days = (park_day - L3_DATE).days
    ages = _ages(client)
    assert ages == {"panel": days, "api": days, "export": days, "as_of": park_day.isoformat()}
    assert instant.date() == dt.date(2026, 11, 26)  # the UTC day is the 26th both times


def test_queue_ages_count_from_the_parks_day(client, monkeypatch):
    monkeypatch.setattr(clock, "utc_now", lambda: LIMA_EVENING)
    view = client.get("/revision.json").json()
    entries = [view["current"], *view["upcoming"]]
    assert entries, "the tiny park has leads in review"
    by_lead = {e["source_pk"]: e for e in entries}
    for lead_id, entry in by_lead.items():
        lead_date = dt.date.fromisoformat(str(entry["lead_date"])[:10])
        assert entry["gap_age_days"] == (dt.date(2026, 11, 25) - lead_date).days, lead_id
    rows = list(csv.DictReader(io.StringIO(client.get("/exportar/revision.csv").text)))
    assert {r["lead_id"]: int(r["gap_age_days"]) for r in rows} == {
        k: e["gap_age_days"] for k, e in by_lead.items()
    }


def test_queue_filters_by_days_open_and_lead_date(client, monkeypatch):
    monkeypatch.setattr(clock, "utc_now", lambda: LIMA_EVENING)
    view = client.get("/revision.json").json()
    entries = [view["current"], *view["upcoming"]]
    for entry in entries:
        age, day = entry["gap_age_days"], str(entry["lead_date"])[:10]
        by_age = client.get("/revision.json", params={"min_age_days": age, "max_age_days": age})
        same_day = client.get("/revision.json", params={"date_from": day, "date_to": day})
        for response in (by_age, same_day):
            got = response.json()
            listed = [got["current"], *got["upcoming"]]
            assert entry["source_pk"] in {e["source_pk"] for e in listed}
            assert {e["gap_age_days"] for e in listed} == {age}
    older = client.get("/revision.json", params={"min_age_days": 1000}).json()
    assert older["total"] == 0 and older["current"] is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"min_age_days": "siete"}, "«Días abierto, desde» debe ser un número, p. ej. 7."),
        ({"min_age_days": "9", "max_age_days": "2"}, "es mayor que «hasta»"),
        ({"min_amount": "mucho"}, "«Monto mínimo» debe ser un número"),
        ({"max_age_days": "-1"}, "no puede ser negativo"),
        ({"date_from": "2026-13-01"}, "formato AAAA-MM-DD"),
        ({"date_from": "2026-11-25", "date_to": "2026-11-01"}, "posterior"),
    ],
)
def test_queue_filter_errors_are_spanish_4xx(client, query, message):
    response = client.get("/revision", params=query)
    assert 400 <= response.status_code < 500 and message in response.text
    export = client.get("/exportar/revision.csv", params=query)
    assert 400 <= export.status_code < 500


def test_lead_page_says_open_for_how_long_or_when_resolved(client, monkeypatch):
    import re

    monkeypatch.setattr(clock, "utc_now", lambda: LIMA_EVENING)

    def subtitle(lead_id: str) -> str:
        html = client.get(f"/leads/{lead_id}").text
        match = re.search(r'<p class="subtitle" id="lead-age">([^<]*)</p>', html)
        assert match, lead_id
        return match.group(1)

    assert subtitle("L3") == "Fecha del lead 20/11/2026 · abierto hace 5 días"
    resolved = subtitle("L1")  # linked by the job at 12:00 UTC, 07:00 in Lima
    assert resolved == "Fecha del lead 09/11/2026 · resuelto el 25/11/2026 07:00", resolved
