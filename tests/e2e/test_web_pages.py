"""Every web page through TestClient: login, roles, CSRF, and what each page shows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from idgap import clock
from idgap.config import Settings
from idgap.store import tables as t
from idgap.store.db import make_engine
from tests.e2e.web_support import as_int, csrf_of, login, make_app, seed_park, tile_value

PAGES = ["/", "/revision", "/personas", "/ejecuciones", "/carga", "/salud"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    work = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{work / 'idgap.db'}"
    engine = make_engine(url)
    settings = Settings(database_url=url, secret_key="test-secret")
    data = seed_park(engine, settings, work, leads=300, drivers=3000)
    yield data
    engine.dispose()


@pytest.fixture(scope="module")
def app(seeded):
    return make_app(seeded)


def gap_table(html: str) -> str:
    return html[html.index('id="gap-table"') : html.index("</table>", html.index('id="gap-table"'))]


def client_as(app, seeded, role: str | None) -> TestClient:
    client = TestClient(app)
    if role:
        login(client, seeded.tokens[role])
    return client


@pytest.mark.parametrize("path", PAGES)
def test_pages_redirect_to_login_when_anonymous(app, path):
    response = TestClient(app).get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_in_spanish_for_a_viewer(app, seeded, path):
    response = client_as(app, seeded, "viewer").get(path)
    assert response.status_code == 200, response.text[-800:]
    assert '<html lang="es">' in response.text
    assert "Salir" in response.text  # logged-in header


def test_bad_token_is_refused_with_a_spanish_message(app):
    client = TestClient(app)
    page = client.get("/login")
    response = client.post("/login", data={"token": "nope", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 401
    assert "Token no válido" in response.text


def test_login_without_csrf_is_rejected(app, seeded):
    client = TestClient(app)
    client.get("/login")
    response = client.post("/login", data={"token": seeded.tokens["viewer"]})
    assert response.status_code == 403
    assert "CSRF" in response.text


def test_session_cookie_is_httponly_and_lax(app, seeded):
    client = TestClient(app)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"token": seeded.tokens["viewer"], "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert seeded.tokens["viewer"].lower() not in cookie  # the token itself never travels


def test_logout_ends_the_session(app, seeded):
    client = client_as(app, seeded, "viewer")
    page = client.get("/")
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert client.get("/", follow_redirects=False).status_code == 303


def test_tampered_cookie_means_logged_out(app, seeded):
    client = client_as(app, seeded, "viewer")
    client.cookies.set("idgap_session", client.cookies.get("idgap_session") + "x")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_dashboard_tiles_match_the_gap_service(app, seeded):
    from idgap.gaps import read as gaps

    html = client_as(app, seeded, "viewer").get("/").text
    with seeded.engine.connect() as conn:
        totals = gaps.gap_summary(conn, filters={}, today=clock.today(seeded.settings.timezone))[
            "totals"
        ]
    assert as_int(tile_value(html, "tile-total")) == totals["total_leads"] == len(seeded.lead_ids)
    assert as_int(tile_value(html, "tile-unresolved")) == totals["unresolved"]
    assert as_int(tile_value(html, "tile-resolved")) == totals["resolved"]
    assert "Brechas de Identidad (Recovery)" in html
    assert tile_value(html, "tile-freshness").endswith("h")  # seeded run finished recently


def test_high_risk_tile_links_to_the_filtered_table(app, seeded):
    client = client_as(app, seeded, "viewer")
    html = client.get("/").text
    href = re.search(r'href="([^"]+)"[^>]*id="tile-high"', html).group(1)
    assert "risk_level=high" in href
    filtered = gap_table(client.get(href.replace("&amp;", "&")).text)
    risks = re.findall(r'<td data-label="Riesgo"><span class="badge (high|medium|low)">', filtered)
    assert risks and set(risks) == {"high"}


def test_table_filters_by_reason_and_paginates(app, seeded):
    client = client_as(app, seeded, "viewer")
    html = client.get("/?gap_reason=no_identity&page=2").text
    reasons = re.findall(r'<td[^>]*><span class="badge (\w+)">', gap_table(html))
    assert reasons and set(reasons) <= {"no_identity", "high", "medium", "low"}
    assert "no_identity" in reasons
    assert "Página 2 de" in html


def test_bad_filter_renders_a_spanish_error_page(app, seeded):
    response = client_as(app, seeded, "viewer").get("/?risk_level=enorme")
    assert response.status_code == 422
    assert "Riesgo desconocido" in response.text


def test_lead_page_shows_source_status_and_decisions(app, seeded):
    lead_id = seeded.lead_ids[0]
    html = client_as(app, seeded, "viewer").get(f"/leads/{lead_id}").text
    assert f'id="lead-id">{lead_id}<' in html
    assert "Decisiones en el tiempo" in html
    assert "El matcher aún no evaluó este lead" not in html  # the recovery run decided it


def test_unknown_lead_is_a_404_page(app, seeded):
    response = client_as(app, seeded, "viewer").get("/leads/no-such-lead")
    assert response.status_code == 404
    assert "No encontrado" in response.text


def test_review_queue_shows_candidates_side_by_side(app, seeded):
    html = client_as(app, seeded, "viewer").get("/revision").text
    assert 1 <= html.count("data-candidate=") <= 5
    assert "Lead 1 de" in html
    assert "Vincular" not in html  # a viewer only reads the queue


def _linkable(client: TestClient) -> tuple[int, str]:
    """The first queue position whose lead has a target-park candidate, and its page."""
    for pos in range(20):
        page = client.get(f"/revision?pos={pos}").text
        if "/vincular" in page:
            return pos, page
    raise AssertionError("no linkable lead in the first 20 queue positions")


def _post_link(client: TestClient, seeded, *, with_csrf: bool = True):
    pos, op_page = _linkable(client_as(client.app, seeded, "operator"))
    target = re.search(r'action="/revision/(\d+)/vincular"', op_page).group(1)
    driver = re.search(r'name="driver_id" value="([^"]+)"', op_page).group(1)
    data = {"driver_id": driver, "pos": str(pos)}
    if with_csrf:  # the poster's own session token
        data["csrf_token"] = csrf_of(client.get(f"/revision?pos={pos}").text)
    return client.post(f"/revision/{target}/vincular", data=data, follow_redirects=False)


def test_linking_needs_the_operator_role(app, seeded):
    response = _post_link(client_as(app, seeded, "viewer"), seeded)
    assert response.status_code == 403
    assert "operator" in response.text


def test_linking_without_csrf_is_rejected(app, seeded):
    response = _post_link(client_as(app, seeded, "operator"), seeded, with_csrf=False)
    assert response.status_code == 403


def test_operator_links_a_candidate_and_the_next_lead_shows(app, seeded):
    client = client_as(app, seeded, "operator")
    before = as_int(tile_value(client.get("/").text, "tile-unresolved"))
    pos, page = _linkable(client)
    first_lead = re.search(r'id="review-lead-id">([^<]+)<', page).group(1)
    response = _post_link(client, seeded)
    location = response.headers["location"]  # the same position, offering to undo the link
    assert response.status_code == 303 and location.startswith(f"/revision?pos={pos}&deshacer=")
    after_page = client.get(response.headers["location"]).text
    assert "vinculado al conductor" in after_page
    next_lead = re.search(r'id="review-lead-id">([^<]+)<', after_page)
    assert next_lead is None or next_lead.group(1) != first_lead
    assert as_int(tile_value(client.get("/").text, "tile-unresolved")) == before - 1


def test_dismiss_requires_a_note(app, seeded):
    client = client_as(app, seeded, "operator")
    page = client.get("/revision").text
    target = re.search(r'action="/revision/(\d+)/descartar"', page).group(1)
    response = client.post(
        f"/revision/{target}/descartar", data={"csrf_token": csrf_of(page), "note": " "}
    )
    assert response.status_code == 422
    assert "nota" in response.text


def test_operator_dismisses_with_a_note_and_the_queue_shrinks(app, seeded):
    client = client_as(app, seeded, "operator")
    page = client.get("/revision").text
    total = int(re.search(r"Lead 1 de (\d+)", page).group(1))
    target = re.search(r'action="/revision/(\d+)/descartar"', page).group(1)
    response = client.post(
        f"/revision/{target}/descartar", data={"csrf_token": csrf_of(page), "note": "otra persona"}
    )
    assert "sin coincidencia" in response.text
    assert f"Lead 1 de {total - 1}" in response.text
    again = client.post(  # the same record twice: a clear message, not an error page
        f"/revision/{target}/descartar", data={"csrf_token": csrf_of(page), "note": "x"}
    )
    assert "No se descartó" in again.text


def test_admin_sees_merge_and_split_forms_operator_does_not(app, seeded):
    with seeded.engine.connect() as conn:
        key = conn.execute(sa.select(t.identity_links.c.person_key).limit(1)).scalar()
    assert key, "the link test should have created a person"
    assert "Fusionar" in client_as(app, seeded, "admin").get(f"/personas/{key}").text
    assert "Fusionar" not in client_as(app, seeded, "operator").get(f"/personas/{key}").text


def test_merge_is_forbidden_to_operators(app, seeded):
    client = client_as(app, seeded, "operator")
    page = client.get("/personas").text
    response = client.post(
        "/personas/x/fusionar", data={"csrf_token": csrf_of(page), "absorb": "y", "reason": "z"}
    )
    assert response.status_code == 403


def test_upload_reports_rejected_rows_with_line_and_reason(app, seeded):
    client = client_as(app, seeded, "operator")
    page = client.get("/carga").text
    header = (
        "id,external_id,lead_created_at,park_phone,first_name,middle_name,last_name,"
        "asset_plate_number,asset_model,created_at\n"
    )
    body = (
        header
        + "9001,up-1,2026-01-10 10:00,999111222,Rosa,,Quispe,B12345,YARIS,2026-01-10\n"
        + "9002,up-2,not-a-date,999111223,Luis,,Rojas,B12346,YARIS,2026-01-10\n"
    )
    response = client.post(
        "/carga",
        data={"csrf_token": csrf_of(page)},
        files={"file": ("leads.csv", body.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text[-600:]
    assert re.search(r'id="rep-loaded">1<', response.text)
    assert re.search(r'id="rep-rejected">1<', response.text)
    bad = re.search(r'<td class="num">3</td><td[^>]*>([^<]+)</td>', response.text)  # line 3
    assert bad and "fecha no válida" in bad.group(1)  # the intake's reason, in Spanish


def test_upload_is_forbidden_to_viewers(app, seeded):
    client = client_as(app, seeded, "viewer")
    page = client.get("/carga").text
    response = client.post(
        "/carga",
        data={"csrf_token": csrf_of(page)},
        files={"file": ("leads.csv", b"id\n1\n", "text/csv")},
    )
    assert response.status_code == 403


def test_run_now_is_for_operators(app, seeded):
    client = client_as(app, seeded, "viewer")
    page = client.get("/ejecuciones").text
    assert "Ejecutar recovery ahora" not in page
    response = client.post("/ejecuciones", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 403


def test_revoked_token_logs_the_session_out(app, seeded):
    from idgap.access import create_token

    with seeded.engine.begin() as conn:
        token = create_token(conn, name="temp", role="viewer", now=dt.datetime.now(dt.UTC))
    client = TestClient(app)
    login(client, token)
    assert client.get("/", follow_redirects=False).status_code == 200
    with seeded.engine.begin() as conn:
        conn.execute(
            sa.update(t.api_tokens)
            .where(t.api_tokens.c.name == "temp")
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
    assert client.get("/", follow_redirects=False).status_code == 303


def test_run_now_while_a_run_holds_the_lock_says_so(app, seeded):
    from idgap.recovery.lock import recovery_lock

    client = client_as(app, seeded, "operator")
    page = client.get("/ejecuciones").text
    with recovery_lock(seeded.engine):
        response = client.post("/ejecuciones", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 200
    assert "Ya hay un recovery en ejecución" in response.text


def test_run_now_starts_a_recovery_run(app, seeded):
    import time

    client = client_as(app, seeded, "operator")
    page = client.get("/ejecuciones").text
    before = page.count('href="/ejecuciones/')
    response = client.post("/ejecuciones", data={"csrf_token": csrf_of(page)})
    assert "Recovery iniciado" in response.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        html = client.get("/ejecuciones").text
        if html.count('href="/ejecuciones/') > before and "en ejecución</span>" not in html:
            break
        time.sleep(0.2)
    assert "web (web-operator)" in html  # who triggered it is on record


GROUP_KIND = {"timings": "stage", "match_settings": "match_setting", "by_rule": "rule"}


def _unlabelled(rows: list[dict]) -> set[str]:
    """Keys of a run's statistics or parameters that would show as raw English on the page."""
    from idgap.web import labels

    missing = set()
    for row in rows:
        if row["key"] != "table" and row["key"] not in labels.STAT:
            missing.add(row["key"])
        kind = GROUP_KIND.get(row["key"], "stat")
        for item in row.get("entries", []):
            if row["key"] == "by_reason":
                continue  # reason codes or rule codes, each with its own table
            if item["key"] not in labels.KINDS[kind]:
                missing.add(f"{row['key']}.{item['key']}")
    return missing


def test_every_run_statistic_and_parameter_has_a_spanish_label(app, seeded):
    from idgap.claims.settle import settle
    from idgap.views.runs import run_view

    with seeded.engine.begin() as conn:
        settle(conn, settings=seeded.settings, now=dt.datetime.now(dt.UTC), by="test")
    with seeded.engine.connect() as conn:
        ids = list(conn.execute(sa.select(t.runs.c.id)).scalars())
        views = [run_view(conn, i) for i in ids]
    assert {v["kind"] for v in views} >= {"import", "recover", "claims"}
    missing = {k for v in views for k in _unlabelled(v["stat_rows"] + v["param_rows"])}
    assert not missing, missing
    client = client_as(app, seeded, "viewer")
    for run_id in ids:
        text = client.get(f"/ejecuciones/{run_id}").text
        for english in ("Timings", "Changed", "Claims written", "Match settings", "Target park"):
            assert english not in text, (run_id, english)


def test_every_match_setting_has_a_label():
    from idgap.matching.settings import MatchSettings
    from idgap.web.labels import MATCH_SETTING

    assert set(MatchSettings.__dataclass_fields__) <= set(MATCH_SETTING)
