"""The Cobranza page: tiles from the claims read model, filters, review queue, link, export."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from idgap.claims import read
from idgap.config import Settings
from idgap.store import tables as t
from idgap.store.db import make_engine
from tests.e2e.web_support import csrf_of, login, make_app, seed_park, tile_value


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    work = tmp_path_factory.mktemp("cobranza")
    url = f"sqlite:///{work / 'idgap.db'}"
    engine = make_engine(url)
    settings = Settings(database_url=url, secret_key="test-secret")
    data = seed_park(engine, settings, work, leads=400, drivers=3000, seed=3)
    yield data
    engine.dispose()


@pytest.fixture(scope="module")
def app(seeded):
    return make_app(seeded)


def client_as(app, seeded, role: str) -> TestClient:
    client = TestClient(app)
    login(client, seeded.tokens[role])
    return client


def test_tiles_show_the_read_model_totals_in_spanish(app, seeded):
    html = client_as(app, seeded, "viewer").get("/cobranza").text
    with seeded.engine.connect() as conn:
        tot = read.totals(conn)
    for tile, key in (
        ("tile-esperado", "expected"),
        ("tile-pagado", "paid"),
        ("tile-por-cobrar", "owed"),
        ("tile-disputa", "disputes"),
        ("tile-sin-identidad", "unidentified"),
    ):
        shown = tile_value(html, tile).replace("S/", "").replace(",", "").strip()
        assert float(shown) == pytest.approx(tot[key]), tile
    assert "Pagos en revisión" in html and "Pagos sin coincidencia" in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script or style


def test_dashboard_links_to_cobranza(app, seeded):
    assert 'href="/cobranza"' in client_as(app, seeded, "viewer").get("/").text


def test_status_filter_narrows_the_table(app, seeded):
    html = client_as(app, seeded, "viewer").get("/cobranza?status=owed").text
    table = html[
        html.index('id="claims-table"') : html.index("</table>", html.index('id="claims-table"'))
    ]
    assert "Por cobrar" in table and "Pagado</span>" not in table


def test_bad_filter_is_a_spanish_error_not_a_500(app, seeded):
    response = client_as(app, seeded, "viewer").get("/cobranza?status=perdido")
    assert 400 <= response.status_code < 500


def test_export_is_the_ledger_as_csv(app, seeded):
    response = client_as(app, seeded, "viewer").get("/cobranza/exportar?milestone=5")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["milestone"] for r in rows} == {"5"}
    assert set(rows[0]) == set(read.ITEM_COLUMNS)
    xlsx = client_as(app, seeded, "viewer").get("/cobranza/exportar?xlsx=true")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_one_click_link_from_the_queue_needs_an_operator(app, seeded):
    with seeded.engine.connect() as conn:
        queue = read.payment_items(conn, "review", page=1, page_size=1)["items"]
        if not queue:
            queue = read.payment_items(conn, "unmatched", page=1, page_size=1)["items"]
        lead = conn.execute(
            sa.select(t.claims.c.lead_id).where(t.claims.c.driver_id.is_not(None)).limit(1)
        ).scalar_one()
    pay = queue[0]
    target = pay["candidates"][0]["lead_id"] if pay["candidates"] else lead
    viewer = client_as(app, seeded, "viewer")
    token = csrf_of(viewer.get("/cobranza").text)
    url = f"/cobranza/pagos/{pay['payment_id']}/vincular"
    refused = viewer.post(
        url, data={"lead_id": target, "csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 403
    op = client_as(app, seeded, "operator")
    token = csrf_of(op.get("/cobranza").text)
    done = op.post(url, data={"lead_id": target, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    with seeded.engine.connect() as conn:
        got = read.payment(conn, pay["payment_id"])
    assert (got["outcome"], got["lead_id"]) == ("matched", target)
    assert "vinculado al lead" in op.get("/cobranza").text


def test_operator_uploads_the_payment_report_and_sees_the_counts(app, seeded):
    op = client_as(app, seeded, "operator")
    token = csrf_of(op.get("/cobranza").text)
    data = "id,date,driver,trip_1,trip_5,trip_25\nW1,2026-11-20,Ana Ruiz,1,0,0\nW2,x,Ana,1,0,0\n"
    done = op.post(
        "/cobranza/carga",
        data={"csrf_token": token},
        files={"file": ("pagos.csv", data, "text/csv")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert (
        "Pagos: 1 nuevos, 0 actualizados, 0 sin cambios, 1 rechazados." in op.get("/cobranza").text
    )
