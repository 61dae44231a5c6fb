"""Undo and reopen through the API and the web pages, on both backends."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from idgap.store.tables import identity_links, identity_unmatched
from tests.e2e.web_support import csrf_of
from tests.integration.analyst_support import Http, matched_http
from tests.integration.recovery_support import LEADS, SETTINGS, add_drivers

D6 = ("d6", SETTINGS.park_id, "51966677788", "NADIE NUNCA JAMAS", "ZZZ000", "Rio", "2026-11-21")


@pytest.fixture
def http(engine) -> Http:
    made = matched_http(engine, second_operator=True)
    add_drivers(engine, [D6])
    return made


def lead_link(http: Http, lead_id: str) -> str | None:
    lk = identity_links
    with http.engine.connect() as conn:
        return conn.execute(
            sa.select(lk.c.person_key).where(lk.c.source_table == LEADS, lk.c.source_pk == lead_id)
        ).scalar()


def queue_status(http: Http, lead_id: str) -> str:
    u = identity_unmatched
    with http.engine.connect() as conn:
        return conn.execute(sa.select(u.c.status).where(u.c.source_pk == lead_id)).scalar_one()


def web_link(http: Http, client, lead_id: str, driver_id: str):
    page = client.get("/revision").text
    return client.post(
        f"/revision/{http.queue_id(lead_id)}/vincular",
        data={"csrf_token": csrf_of(page), "driver_id": driver_id, "pos": "0",
              "back": "sort=-age"},
    )  # fmt: skip


def test_web_link_then_undo_from_the_next_page(http):
    web = http.web("operator")
    page = web_link(http, web, "L3", "d6")
    assert page.status_code == 200 and lead_link(http, "L3")
    assert "vinculado al conductor" in page.text and 'id="undo-offer"' in page.text
    assert "sort=-age" in str(page.url)  # the queue's filters survive the action
    form = page.text[page.text.index('id="undo-offer"') :]
    action = re.search(r'action="(/leads/[^"]+/deshacer)"', page.text).group(1)
    back = re.search(r'name="next" value="([^"]+)"', form).group(1).replace("&amp;", "&")
    after = web.post(action, data={"csrf_token": csrf_of(page.text), "next": back})
    assert after.status_code == 200 and "volvió a la cola de revisión" in after.text
    assert lead_link(http, "L3") is None and queue_status(http, "L3") == "OPEN"
    lead_page = web.get("/leads/L3").text
    assert "Desvínculo" in lead_page and "Vínculo" in lead_page  # both changes in its history


def test_web_dismiss_then_reopen_from_the_lead_page(http):
    web = http.web("operator")
    page = web.get("/revision").text
    r = web.post(f"/revision/{http.queue_id('L4')}/descartar",
                 data={"csrf_token": csrf_of(page), "note": "otra persona"})  # fmt: skip
    assert 'id="undo-offer"' in r.text and queue_status(http, "L4") == "DISMISSED"
    dismissed = web.get("/revision", params={"status": "DISMISSED"}).text
    assert 'id="review-lead-id">L4<' in dismissed and 'id="reopen-form"' in dismissed
    lead_page = web.get("/leads/L4").text
    assert 'id="dismissed-note"' in lead_page and "otra persona" in lead_page
    assert "Reabrir" in lead_page
    web.post("/leads/L4/deshacer", data={"csrf_token": csrf_of(lead_page), "note": "revisar"})
    assert queue_status(http, "L4") == "OPEN"
    assert "Reabierto" in web.get("/leads/L4").text


def test_web_other_operator_gets_no_undo_and_is_refused(http):
    web_link(http, http.web("operator"), "L3", "d6")
    other = http.web("operator2")
    lead_page = other.get("/leads/L3").text
    assert 'id="undo-form"' not in lead_page
    r = other.post("/leads/L3/deshacer", data={"csrf_token": csrf_of(lead_page)})
    assert r.status_code == 403 and lead_link(http, "L3")
    viewer = http.web("viewer")
    r = viewer.post("/leads/L3/deshacer", data={"csrf_token": csrf_of(viewer.get("/").text)})
    assert r.status_code == 403


def test_web_undo_refuses_an_offsite_next(http):
    web = http.web("operator")
    page = web_link(http, web, "L3", "d6")
    data = {"csrf_token": csrf_of(page.text), "next": "//evil.example/x"}
    r = web.post("/leads/L3/deshacer", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/leads/L3"


def test_api_undo_own_link_admin_any_and_history(http):
    op, op2, admin = http.api("operator"), http.api("operator2"), http.api("admin")
    r = op.post(f"/api/v1/identity/unmatched/{http.queue_id('L3')}/resolve",
                json={"driver_id": "d6", "note": "llamé"})  # fmt: skip
    assert r.status_code == 200
    assert op.get("/api/v1/identity/leads/L3/history").json()["undoable"] == "link"
    assert op2.post("/api/v1/identity/leads/L3/undo", json={}).status_code == 403
    r = op.post("/api/v1/identity/leads/L3/undo", json={"note": "error"})
    assert r.status_code == 200 and r.json()["undone"] == "link" and r.json()["person_retired"]
    hist = op.get("/api/v1/identity/leads/L3/history").json()
    assert [(h["action"], h["changed_by"], h["reason"]) for h in hist["items"]] == [
        ("link", "api:operator", "llamé"), ("unlink", "api:operator", "error")]  # fmt: skip
    assert op.post("/api/v1/identity/leads/L3/undo", json={}).status_code == 409
    # an automatic link: only an administrator
    assert op.post("/api/v1/identity/leads/L1/undo", json={}).status_code == 403
    assert admin.post("/api/v1/identity/leads/L1/undo", json={}).status_code == 200
    queue = admin.get("/api/v1/identity/unmatched", params={"q": "L1"}).json()["items"]
    assert [(i["source_pk"], i["reason_code"]) for i in queue] == [("L1", "REOPENED")]


def test_api_dismiss_is_reopenable(http):
    op = http.api("operator")
    assert op.post(f"/api/v1/identity/unmatched/{http.queue_id('L4')}/dismiss",
                   json={"note": "no"}).status_code == 200  # fmt: skip
    gone = op.get("/api/v1/identity/unmatched", params={"status": "DISMISSED"}).json()
    assert [i["source_pk"] for i in gone["items"]] == ["L4"]
    r = op.post("/api/v1/identity/leads/L4/undo", json={"note": "sí era"})
    assert r.status_code == 200 and r.json()["undone"] == "dismiss"
    assert queue_status(http, "L4") == "OPEN"
    assert op.post("/api/v1/identity/leads/nope/undo", json={}).status_code == 409
