"""API on both backends: auth for every route, the gap shape, resolve flow, errors."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from idgap.access import create_token
from idgap.api.app import create_app
from idgap.config import Settings
from idgap.intake.service import import_path
from idgap.recovery.job import run_recovery
from idgap.recovery.lock import recovery_lock
from idgap.store.tables import api_tokens, identity_links, identity_origin, lead_status
from idgap.synth import generate_park, write_park

NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.date()


@pytest.fixture(scope="module")
def park(tmp_path_factory):
    out = tmp_path_factory.mktemp("apipark")
    write_park(generate_park(leads=150, drivers=2500, seed=11, anchor_date=TODAY), out)
    return out


@pytest.fixture
def api(engine, park):
    settings = Settings(database_url=str(engine.url), recovery_batch_size=100)
    import_path(engine, park, now=NOW, settings=settings)
    run_recovery(engine, settings=settings, kind="match")
    tokens = {}
    with engine.begin() as conn:
        for role in ("viewer", "operator", "admin"):
            tokens[role] = create_token(conn, name=role, role=role, now=NOW)
    client = TestClient(create_app(settings, engine), raise_server_exceptions=False)

    def call(method, path, role=None, headers=None, **kw):
        headers = dict(headers or {})
        if role:
            headers["Authorization"] = f"Bearer {tokens[role]}"
        return client.request(method, f"/api/v1{path}", headers=headers, **kw)

    call.engine = engine  # type: ignore[attr-defined]
    return call


ROUTES = [  # method, path, least role
    ("GET", "/ops/identity-gaps", "viewer"),
    ("GET", "/ops/identity-gaps/alerts", "viewer"),
    ("GET", "/ops/data-health", "viewer"),
    ("GET", "/identity/persons", "viewer"),
    ("GET", "/identity/unmatched", "viewer"),
    ("GET", "/identity/runs", "viewer"),
    ("POST", "/identity/unmatched/999999/dismiss", "operator"),
    ("POST", "/identity/run", "operator"),
    ("POST", "/identity/links/split", "admin"),
]
ORDER = ["viewer", "operator", "admin"]


@pytest.mark.parametrize(("method", "path", "least"), ROUTES)
def test_every_route_needs_a_token_and_the_right_role(api, method, path, least):
    body = (
        {"json": {"note": "x"}}
        if "dismiss" in path
        else {"json": {"source_table": "x", "source_pk": "y", "reason": "z"}}
        if "split" in path
        else {}
    )
    assert api(method, path, **body).status_code == 401
    for role in ORDER:
        r = api(method, path, role, **body)
        if ORDER.index(role) < ORDER.index(least):
            assert r.status_code == 403, (role, r.text)
        else:
            assert r.status_code not in (401, 403), (role, r.text)


def test_invalid_and_revoked_tokens_get_401(api):
    r = api("GET", "/ops/identity-gaps", headers={"Authorization": "Bearer idg_nope"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    with api.engine.begin() as conn:
        conn.execute(api_tokens.update().values(revoked_at=NOW))
    assert api("GET", "/ops/identity-gaps", "admin").status_code == 401


def test_health_needs_no_token(api):
    assert api("GET", "/health").json()["database"] == "ok"


def test_gap_endpoint_has_the_reference_shape_and_filters(api):
    body = api("GET", "/ops/identity-gaps?page_size=10", "viewer").json()
    assert set(body) == {"totals", "breakdown", "items", "meta"}
    t = body["totals"]
    assert t["total_leads"] == 150 and t["unresolved"] + t["resolved"] == 150
    assert {"matched_last_24h", "last_job_run", "job_freshness_hours", "pct_unresolved"} <= set(t)
    assert len(body["items"]) == 10 and body["meta"]["total_pages"] == 15
    assert body["items"][0]["gap_reason"] != "resolved"  # unresolved first
    high = api("GET", "/ops/identity-gaps?risk_level=high&gap_reason=no_identity", "viewer").json()
    assert all(
        i["risk_level"] == "high" and i["gap_reason"] == "no_identity" for i in high["items"]
    )
    assert api("GET", "/ops/identity-gaps?page_size=5000", "viewer").status_code == 422
    assert (
        "page_size"
        in api("GET", "/ops/identity-gaps?page_size=0", "viewer").json()["error"]["message"]
    )


def test_alerts_sort_high_before_medium_before_low(api):
    items = api("GET", "/ops/identity-gaps/alerts", "viewer").json()["items"]
    ranks = [{"high": 0, "medium": 1, "low": 2}[i["severity"]] for i in items]
    assert ranks == sorted(ranks)


def test_operator_resolves_a_review_lead_to_its_candidate(api):
    queue = api("GET", "/identity/unmatched?limit=200", "viewer").json()["items"]
    target = Settings().park_id
    item = next(
        i
        for i in queue
        if i["source_table"] == "module_ct_cabinet_leads"
        and any(
            (c.get("driver") or {}).get("park_id") == target and not c.get("linked_person")
            for c in i["candidates"] or []
        )
    )
    cand = next(
        c
        for c in item["candidates"]
        if c["driver"]["park_id"] == target and not c.get("linked_person")
    )
    r = api(
        "POST",
        f"/identity/unmatched/{item['id']}/resolve",
        "operator",
        json={"driver_id": cand["driver_id"], "note": "ok"},
    )
    assert r.status_code == 200, r.text
    with api.engine.connect() as conn:
        st = (
            conn.execute(sa.select(lead_status).where(lead_status.c.lead_id == item["source_pk"]))
            .mappings()
            .one()
        )
        assert (st["gap_reason"], st["driver_id"]) == ("resolved", cand["driver_id"])
        person = st["person_key"]
        assert (
            conn.execute(
                sa.select(identity_origin.c.origin_source_id).where(
                    identity_origin.c.person_key == person
                )
            ).scalar()
            is not None
        )
        assert (
            conn.execute(
                sa.select(sa.func.count())
                .select_from(identity_links)
                .where(
                    identity_links.c.person_key == person,
                    identity_links.c.source_table == "drivers",
                )
            ).scalar()
            == 1
        )
    again = api(
        "POST",
        f"/identity/unmatched/{item['id']}/resolve",
        "operator",
        json={"driver_id": cand["driver_id"]},
    )
    assert again.status_code == 409
    detail = api("GET", f"/identity/persons/{person}", "viewer").json()
    assert detail["has_driver_conversion"] and detail["origin"] and detail["origin_history"]


def test_resolve_body_needs_exactly_one_target(api):
    r = api("POST", "/identity/unmatched/1/resolve", "operator", json={})
    assert r.status_code == 422
    r = api("POST", "/identity/unmatched/424242/resolve", "operator", json={"driver_id": "x"})
    assert r.status_code == 404


def test_run_is_409_while_another_holds_the_lock(api):
    with recovery_lock(api.engine):
        r = api("POST", "/identity/run", "operator")
    assert r.status_code == 409
    assert "in progress" in r.json()["error"]["message"]


def test_upload_reports_bad_rows(api):
    csv = (
        b"id,external_id,lead_created_at,first_name\n"
        b"900,up1,2026-11-01,Ana\n901,up2,not a date,Bad\n"
    )
    r = api("POST", "/cabinet-leads/upload-csv", "operator", files={"file": ("leads.csv", csv)})
    assert r.status_code == 200
    t = r.json()["tables"][0]
    assert (t["loaded"], t["rejected"], t["rejects"][0]["line"]) == (1, 1, 3)
    refused = api(
        "POST",
        "/cabinet-leads/upload-csv",
        "operator",
        files={"file": ("leads.csv", b"id,first_name\n1,x\n")},
    )
    assert refused.status_code == 422 and "lead_created_at" in refused.json()["error"]["message"]


def test_a_crash_is_a_generic_500_with_a_request_id(api, monkeypatch):
    from idgap.api.routes import ops

    def boom(*a, **k):
        raise RuntimeError("secret connection string postgres://u:p@h")

    monkeypatch.setattr(ops, "gap_alerts", boom)
    r = api("GET", "/ops/identity-gaps/alerts", "viewer")
    assert r.status_code == 500
    assert "secret" not in r.text and r.json()["error"]["request_id"]
