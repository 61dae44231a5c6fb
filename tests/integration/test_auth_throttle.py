"""Failed logins and bad tokens: 429 with Retry-After per client, and a log line each."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.web_support import csrf_of
from tests.integration.web_store import BACKENDS, logged_in, seeded_store

WRONG = 30


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    yield from seeded_store(request, tmp_path_factory)


def test_thirty_wrong_logins_get_429_with_retry_after_and_are_logged(store, caplog):
    seeded, app = store
    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False, client=("10.1.0.1", 5000))
    csrf = csrf_of(client.get("/login").text)
    caplog.set_level(logging.WARNING, logger="idgap.security")
    codes = [
        client.post("/login", data={"token": f"idg_wrong{n}", "csrf_token": csrf}).status_code
        for n in range(WRONG)
    ]
    allowed = seeded.settings.login_failures_allowed
    assert codes[:allowed] == [401] * allowed and codes[-1] == 429
    last = client.post("/login", data={"token": seeded.tokens["viewer"], "csrf_token": csrf})
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 0
    assert "Demasiados intentos" in last.text
    assert (
        sum("web login failed from 10.1.0.1" in r.getMessage() for r in caplog.records) == allowed
    )
    other = logged_in(app, seeded, "viewer")  # another client is not affected
    assert other.get("/").status_code == 200


def test_bad_tokens_get_429_after_the_allowed_number(store):
    seeded, app = store
    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False, client=("10.1.0.2", 5000))
    allowed = seeded.settings.token_failures_allowed
    bad = {"Authorization": "Bearer idg_not-a-real-token"}
    codes = [client.get("/api/v1/identity/runs", headers=bad).status_code for _ in range(allowed)]
    assert codes == [401] * allowed
    r = client.get("/api/v1/identity/runs", headers=bad)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.json()["error"]["code"] == "too_many_requests"
    good = {"Authorization": f"Bearer {seeded.tokens['viewer']}"}
    ok = TestClient(app, client=("10.1.0.3", 5000)).get("/api/v1/identity/runs", headers=good)
    assert ok.status_code == 200
