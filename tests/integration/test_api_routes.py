"""API on both backends: the gap shape, the review and run flows, errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from idgap.config import Settings
from idgap.recovery import job
from idgap.recovery.lock import recovery_lock
from idgap.store.tables import (
    api_tokens,
    identity_links,
    identity_origin,
    identity_unmatched,
    lead_status,
    persons,
)
from tests.integration.api_support import NOW, PARK_LEADS, Api, seeded_api, small_park


@pytest.fixture(scope="module")
def park(tmp_path_factory):
    return small_park(tmp_path_factory)


@pytest.fixture
def api(engine, park) -> Api:
    return seeded_api(engine, park)


def test_invalid_and_revoked_tokens_get_401(api):
    r = api("GET", "/ops/identity-gaps", headers={"Authorization": "Bearer idg_nope"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    with api.engine.begin() as conn:
        conn.execute(api_tokens.update().values(revoked_at=NOW))
    assert api("GET", "/ops/identity-gaps", "admin").status_code == 401


def test_health_needs_no_token(api):
    assert api("GET", "/health").json()["database"] == "ok"


REFERENCE_ITEM = {
    "lead_id", "lead_date", "person_key", "has_identity", "has_origin", "trips_14d",
    "gap_reason", "gap_age_days", "risk_level",
}  # fmt: skip
REFERENCE_TOTALS = {
    "total_leads", "unresolved", "resolved", "pct_unresolved", "matched_last_24h",
    "last_job_run", "job_freshness_hours",
}  # fmt: skip


def test_gap_endpoint_has_the_reference_shape(api):
    body = api("GET", "/ops/identity-gaps?page_size=10", "viewer").json()
    assert set(body) == {"totals", "breakdown", "items", "meta"}
    t = body["totals"]
    assert set(t) >= REFERENCE_TOTALS
    assert t["total_leads"] == PARK_LEADS and t["unresolved"] + t["resolved"] == PARK_LEADS
    assert t["pct_unresolved"] == round(100 * t["unresolved"] / PARK_LEADS, 2)
    assert t["last_job_run"] is not None and t["job_freshness_hours"] < 1
    assert sum(row["count"] for row in body["breakdown"]) == PARK_LEADS
    assert all(set(item) >= REFERENCE_ITEM for item in body["items"])
    assert body["meta"] == {"page": 1, "page_size": 10, "total": PARK_LEADS, "total_pages": 15}
    assert body["items"][0]["gap_reason"] != "resolved"  # unresolved first


def test_gap_filters_and_pages(api):
    query = "/ops/identity-gaps?risk_level=high&gap_reason=no_identity&page_size=1000"
    high = api("GET", query, "viewer").json()
    assert high["items"] and high["meta"]["total"] == len(high["items"])
    assert all(
        i["risk_level"] == "high" and i["gap_reason"] == "no_identity" for i in high["items"]
    )
    first, second = (
        api("GET", f"/ops/identity-gaps?page={n}&page_size=40", "viewer").json() for n in (1, 2)
    )
    ids = [i["lead_id"] for i in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 80
    everything = api("GET", "/ops/identity-gaps?page_size=1000", "viewer").json()["items"]
    day = sorted(i["lead_date"] for i in everything)[len(everything) // 2]
    since = api("GET", f"/ops/identity-gaps?date_from={day}&page_size=1000", "viewer").json()
    assert since["meta"]["total"] == sum(i["lead_date"] >= day for i in everything)
    assert all(i["lead_date"] >= day for i in since["items"])
    assert since["totals"]["total_leads"] == since["meta"]["total"]  # totals follow the filters


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=5000", "page_size"),
        ("page_size=0", "page_size"),
        ("page=0", "page"),
        ("risk_level=extreme", "risk_level"),
        ("gap_reason=inconsistent_origin", "gap_reason"),
        ("date_from=yesterday", "date_from"),
    ],
)
def test_bad_gap_parameters_are_a_one_sentence_422(api, query, field):
    r = api("GET", f"/ops/identity-gaps?{query}", "viewer")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_request" and field in error["message"]
    assert "\n" not in error["message"] and error["details"][0]["loc"][-1] == field


def test_data_health_watches_the_recovery_job(api):
    h = api("GET", "/ops/data-health", "viewer").json()
    assert h["last_run_status"] == "COMPLETED" and h["last_run_kind"] == "match"
    assert h["minutes_since_last_completed_run"] == 0
    assert h["status"] in {"OK", "WARNING"}
    assert h["unmatched_open_count"] == sum(h["unmatched_open_by_reason"].values()) > 0
    assert h["total_links"] == sum(h["links_by_source"].values())


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


@pytest.mark.parametrize(
    "body", [{}, {"driver_id": "d1", "person_key": "p1"}, {"note": "only a note"}]
)
def test_resolve_body_needs_exactly_one_target(api, body):
    r = api("POST", "/identity/unmatched/1/resolve", "operator", json=body)
    assert r.status_code == 422 and "exactly one" in r.json()["error"]["message"]


def test_resolve_and_dismiss_of_an_unknown_item_are_404(api):
    r = api("POST", "/identity/unmatched/424242/resolve", "operator", json={"driver_id": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api("POST", "/identity/unmatched/424242/dismiss", "operator", json={}).status_code == 404


def test_dismiss_closes_the_item_once(api):
    open_items = api("GET", "/identity/unmatched?status=OPEN", "viewer").json()
    item = open_items["items"][0]
    r = api("POST", f"/identity/unmatched/{item['id']}/dismiss", "operator", json={"note": "no"})
    assert r.status_code == 200
    again = api("POST", f"/identity/unmatched/{item['id']}/dismiss", "operator", json={})
    assert again.status_code == 409
    after = api("GET", "/identity/unmatched?status=OPEN", "viewer").json()
    assert after["total"] == open_items["total"] - 1
    dismissed = api("GET", "/identity/unmatched?status=DISMISSED", "viewer").json()["items"]
    assert [d["id"] for d in dismissed] == [item["id"]]
    assert dismissed[0]["resolved_at"] is not None


def test_unmatched_lists_candidates_with_evidence_and_filters(api):
    body = api("GET", "/identity/unmatched?outcome=review&limit=1000", "viewer").json()
    assert body["total"] == len(body["items"]) > 0
    assert {i["outcome"] for i in body["items"]} == {"review"}
    with_candidates = [i for i in body["items"] if i["candidates"]]
    assert with_candidates
    cand = with_candidates[0]["candidates"][0]
    assert cand["driver_id"] and cand["score"] is not None and cand["evidence"] is not None
    assert cand["driver"]["driver_id"] == cand["driver_id"]
    reason = body["items"][0]["reason_code"]
    same = api("GET", f"/identity/unmatched?reason_code={reason}&limit=1000", "viewer").json()
    assert {i["reason_code"] for i in same["items"]} == {reason}


def test_persons_list_detail_and_404(api):
    listed = api("GET", "/identity/persons?limit=3", "viewer").json()
    assert len(listed["items"]) == 3 and listed["total"] > 3
    key = listed["items"][0]["person_key"]
    assert listed["items"][0]["confidence_level"] == listed["items"][0]["confidence"]
    detail = api("GET", f"/identity/persons/{key}", "viewer").json()
    assert detail["person"]["person_key"] == key
    assert {"links", "driver_links", "has_driver_conversion", "origin", "origin_history"} <= set(
        detail
    )
    assert detail["has_driver_conversion"] == bool(detail["driver_links"])
    missing = api("GET", "/identity/persons/no-such-person", "viewer")
    assert missing.status_code == 404 and "no-such-person" in missing.json()["error"]["message"]


def test_admin_merges_two_persons_and_splits_a_link_back_out(api):
    keys = [
        p["person_key"] for p in api("GET", "/identity/persons?limit=2", "viewer").json()["items"]
    ]
    keep, absorb = keys
    moved = api(
        "POST", f"/identity/persons/{keep}/merge", "admin",
        json={"absorb_person_key": absorb, "reason": "same phone"},
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert api.scalar(sa.select(persons.c.status).where(persons.c.person_key == absorb)) == "merged"
    links = api("GET", f"/identity/persons/{keep}", "viewer").json()["links"]
    link = links[0]
    split = api(
        "POST", "/identity/links/split", "admin",
        json={"source_table": link["source_table"], "source_pk": link["source_pk"], "reason": "no"},
    )  # fmt: skip
    assert split.status_code == 200, split.text
    new_key = split.json()["person_key"]
    owner = sa.select(identity_links.c.person_key).where(
        identity_links.c.source_table == link["source_table"],
        identity_links.c.source_pk == link["source_pk"],
    )
    assert api.scalar(owner) == new_key != keep
    self_merge = api(
        "POST", f"/identity/persons/{keep}/merge", "admin",
        json={"absorb_person_key": keep, "reason": "oops"},
    )  # fmt: skip
    assert self_merge.status_code == 422


def test_run_starts_in_the_background_and_is_listed(api):
    r = api("POST", "/identity/run", "operator")
    job._background["last"].join(timeout=60)
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["status"] == "running" and isinstance(started["run_id"], int)
    run = api("GET", f"/identity/runs/{started['run_id']}", "viewer").json()
    assert (run["kind"], run["status"], run["triggered_by"]) == (
        "recover",
        "completed",
        "api:operator",
    )
    assert run["completed_at"] == run["finished_at"] and run["job_type"] == "recover"
    listed = api("GET", "/identity/runs?kind=recover", "viewer").json()
    assert [i["id"] for i in listed["items"]] == [started["run_id"]]
    assert (listed["total"], listed["limit"], listed["offset"]) == (1, 20, 0)
    assert api("GET", "/identity/runs?status=failed", "viewer").json()["total"] == 0
    assert api("GET", "/identity/runs/99999", "viewer").status_code == 404
    assert api("GET", "/identity/runs?limit=201", "viewer").status_code == 422


def test_run_is_409_while_another_holds_the_lock(api):
    with recovery_lock(api.engine):
        r = api("POST", "/identity/run", "operator")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "job_locked"
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


def test_a_crash_is_a_generic_500_with_a_request_id(api, monkeypatch, caplog):
    from idgap.api.routes import ops

    def boom(*a, **k):
        raise RuntimeError("secret connection string postgres://u:p@h")

    monkeypatch.setattr(ops, "gap_alerts", boom)
    r = api("GET", "/ops/identity-gaps/alerts", "viewer")
    assert r.status_code == 500
    error = r.json()["error"]
    assert (error["code"], error["message"]) == ("internal_error", "internal error")
    assert "secret" not in r.text and r.headers["x-request-id"] == error["request_id"]
    assert any(error["request_id"] in rec.getMessage() for rec in caplog.records)


def test_a_lost_write_race_is_a_409_not_a_500(api, monkeypatch):
    from idgap.api.routes import identity

    def racing(*a, **k):
        raise sa.exc.IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(identity.manual, "resolve_unmatched", racing)
    r = api("POST", "/identity/unmatched/1/resolve", "operator", json={"driver_id": "d"})
    assert r.status_code == 409 and "UNIQUE" not in r.text


def test_a_route_error_rolls_back_its_writes(api, monkeypatch):
    """One transaction per request: the dismiss is undone when the route then fails."""
    from idgap.api.routes import identity

    real = identity.manual.dismiss_unmatched

    def dismiss_then_fail(conn, *a, **k):
        real(conn, *a, **k)
        raise RuntimeError("after the write")

    monkeypatch.setattr(identity.manual, "dismiss_unmatched", dismiss_then_fail)
    item = api("GET", "/identity/unmatched", "viewer").json()["items"][0]
    r = api("POST", f"/identity/unmatched/{item['id']}/dismiss", "operator", json={})
    assert r.status_code == 500
    status = sa.select(identity_unmatched.c.status).where(identity_unmatched.c.id == item["id"])
    assert api.scalar(status) == "OPEN"
