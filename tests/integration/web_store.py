"""A seeded store with the real app on each backend, shared by a test module (web + API)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from idgap.config import Settings
from idgap.store.db import make_engine
from tests.conftest import new_database_url
from tests.e2e.web_support import Seeded, csrf_of, make_app, seed_park

LEADS, DRIVERS = 80, 1200


def seeded_store(request, tmp_path_factory, **overrides: object):
    """Yield (seeded, app) for request.param's backend; drop the store afterwards."""
    work = tmp_path_factory.mktemp(f"web_{request.param}")
    url, cleanup = new_database_url(request.param, work)
    engine = make_engine(url)
    settings = Settings(database_url=url, recovery_batch_size=100, **overrides)  # type: ignore[arg-type]
    seeded = seed_park(engine, settings, work, leads=LEADS, drivers=DRIVERS, seed=5)
    yield seeded, make_app(seeded)
    engine.dispose()
    cleanup()  # type: ignore[operator]


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]


def logged_in(app, seeded: Seeded, role: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"token": seeded.tokens[role], "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client
