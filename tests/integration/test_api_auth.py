"""Every API route from one table: 401 without or with a bad token, 403 below its role, 2xx."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from idgap.recovery import job
from idgap.store.tables import (
    cabinet_payments,
    claims,
    identity_links,
    identity_unmatched,
    persons,
    runs,
)
from tests.integration.api_support import ROLES, Api, Request, seeded_api, small_park


@pytest.fixture(scope="module")
def park(tmp_path_factory):
    return small_park(tmp_path_factory)


@pytest.fixture
def api(engine, park) -> Api:
    return seeded_api(engine, park)


LEADS = "module_ct_cabinet_leads"
CSV = b"id,external_id,lead_created_at,first_name\n900,auth1,2026-11-01,Ana\n"
PAYMENTS_CSV = b"id,date,driver,trip_1,trip_5,trip_25\nA1,2026-11-20,Ana Ruiz,1,0,0\n"


def _person(api: Api, nth: int = 0) -> str:
    stmt = (
        sa.select(persons.c.person_key)
        .where(persons.c.status == "active")
        .order_by(persons.c.person_key)
        .offset(nth)
    )
    return str(api.scalar(stmt))


def _dismissed_lead(api: Api) -> tuple[str, dict]:
    """An item the operator dismissed: what the operator may then undo (reopen)."""
    item = _open_item(api)
    done = api("POST", f"/identity/unmatched/{item}/dismiss", "operator", json={"note": "no"})
    assert done.status_code == 200, done.text
    u = identity_unmatched
    lead = api.scalar(sa.select(u.c.source_pk).where(u.c.id == item))
    return f"/identity/leads/{lead}/undo", {"json": {"note": "reopen"}}


def _open_item(api: Api) -> int:
    u = identity_unmatched
    stmt = sa.select(sa.func.min(u.c.id)).where(u.c.status == "OPEN", u.c.source_table == LEADS)
    return int(api.scalar(stmt))  # type: ignore[arg-type]


def _lead_link(api: Api) -> str:
    lk = identity_links
    stmt = sa.select(sa.func.min(lk.c.source_pk)).where(lk.c.source_table == LEADS)
    return str(api.scalar(stmt))


def _payment(api: Api) -> str:
    return str(api.scalar(sa.select(sa.func.min(cabinet_payments.c.id))))


def _claimable_lead(api: Api) -> str:
    return str(
        api.scalar(sa.select(sa.func.min(claims.c.lead_id)).where(claims.c.person_key.is_not(None)))
    )


def _get(path: str) -> Request:
    return lambda api: (path, {})


# (method, route path, least role, a request that succeeds for that role)
ROUTES: list[tuple[str, str, str, Request]] = [
    ("GET", "/ops/identity-gaps", "viewer", _get("/ops/identity-gaps?page_size=5")),
    ("GET", "/ops/identity-gaps/alerts", "viewer", _get("/ops/identity-gaps/alerts")),
    ("GET", "/ops/data-health", "viewer", _get("/ops/data-health")),
    ("GET", "/identity/persons", "viewer", _get("/identity/persons?limit=5")),
    (
        "GET",
        "/identity/persons/{person_key}",
        "viewer",
        lambda api: (f"/identity/persons/{_person(api)}", {}),
    ),
    (
        "POST",
        "/identity/persons/{person_key}/merge",
        "admin",
        lambda api: (
            f"/identity/persons/{_person(api)}/merge",
            {"json": {"absorb_person_key": _person(api, 1), "reason": "same man"}},
        ),
    ),
    (
        "POST",
        "/identity/links/split",
        "admin",
        lambda api: (
            "/identity/links/split",
            {"json": {"source_table": LEADS, "source_pk": _lead_link(api), "reason": "not him"}},
        ),
    ),
    ("GET", "/identity/unmatched", "viewer", _get("/identity/unmatched?limit=5")),
    (
        "POST",
        "/identity/unmatched/{unmatched_id}/resolve",
        "operator",
        lambda api: (
            f"/identity/unmatched/{_open_item(api)}/resolve",
            {"json": {"person_key": _person(api), "note": "checked by phone"}},
        ),
    ),
    (
        "POST",
        "/identity/unmatched/{unmatched_id}/dismiss",
        "operator",
        lambda api: (f"/identity/unmatched/{_open_item(api)}/dismiss", {"json": {"note": "no"}}),
    ),
    ("POST", "/identity/leads/{lead_id}/undo", "operator", lambda api: _dismissed_lead(api)),
    (
        "GET",
        "/identity/leads/{lead_id}/history",
        "viewer",
        lambda api: (f"/identity/leads/{_lead_link(api)}/history", {}),
    ),
    ("GET", "/identity/runs", "viewer", _get("/identity/runs")),
    (
        "GET",
        "/identity/runs/{run_id}",
        "viewer",
        lambda api: (f"/identity/runs/{api.scalar(sa.select(sa.func.max(runs.c.id)))}", {}),
    ),
    ("POST", "/identity/run", "operator", _get("/identity/run")),
    ("GET", "/screens/dashboard", "viewer", _get("/screens/dashboard?risk_level=high")),
    ("GET", "/screens/review", "viewer", _get("/screens/review")),
    ("GET", "/screens/health", "viewer", _get("/screens/health")),
    ("GET", "/screens/runs", "viewer", _get("/screens/runs")),
    (
        "GET",
        "/screens/runs/{run_id}",
        "viewer",
        lambda api: (f"/screens/runs/{api.scalar(sa.select(sa.func.max(runs.c.id)))}", {}),
    ),
    (
        "GET",
        "/screens/leads/{lead_id}",
        "viewer",
        lambda api: (f"/screens/leads/{_lead_link(api)}", {}),
    ),
    (
        "POST",
        "/cabinet-leads/upload-csv",
        "operator",
        lambda api: ("/cabinet-leads/upload-csv", {"files": {"file": ("leads.csv", CSV)}}),
    ),
    ("GET", "/ops/claims", "viewer", _get("/ops/claims?page_size=5")),
    ("GET", "/ops/payments", "viewer", _get("/ops/payments?page_size=5")),
    (
        "POST",
        "/ops/payments/{payment_id}/link",
        "operator",
        lambda api: (
            f"/ops/payments/{_payment(api)}/link",
            {"json": {"lead_id": _claimable_lead(api), "note": "same phone"}},
        ),
    ),
    (
        "POST",
        "/ops/payments/{payment_id}/dismiss",
        "operator",
        lambda api: (f"/ops/payments/{_payment(api)}/dismiss", {"json": {"note": "not ours"}}),
    ),
    (
        "POST",
        "/ops/payments/upload-csv",
        "operator",
        lambda api: ("/ops/payments/upload-csv", {"files": {"file": ("pay.csv", PAYMENTS_CSV)}}),
    ),
]


def test_the_table_covers_every_api_route(api):
    paths = api.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    served = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in paths.items()
        for method in operations
    }
    listed = {(method, path) for method, path, _, _ in ROUTES}
    assert served == listed | {("GET", "/health")}


@pytest.mark.parametrize(
    ("method", "least", "build"),
    [pytest.param(m, least, build, id=f"{m} {p}") for m, p, least, build in ROUTES],
)
def test_route_needs_a_valid_token_and_its_role(api, method, least, build):
    path, kw = build(api)
    missing = api(method, path, **kw)
    assert missing.status_code == 401, missing.text
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "unauthorized"
    forged = api(method, path, headers={"Authorization": "Bearer idg_forged"}, **kw)
    assert forged.status_code == 401
    for role in ROLES[: ROLES.index(least)]:
        low = api(method, path, role, **kw)
        assert low.status_code == 403, (role, low.text)
        assert least in low.json()["error"]["message"]
    ok = api(method, path, least, **kw)
    if path == "/identity/run":
        job._background["last"].join(timeout=60)  # finish before the store is dropped
    assert 200 <= ok.status_code < 300, ok.text
