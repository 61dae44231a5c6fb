"""A seeded API on each backend: a small synthetic park, imported and matched, three tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from idgap.access import create_token
from idgap.api.app import create_app
from idgap.config import Settings
from idgap.intake.service import import_path
from idgap.recovery.job import run_recovery
from idgap.synth import generate_park, write_park

NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.date()
ROLES = ("viewer", "operator", "admin")
PARK_LEADS = 150


@dataclass
class Api:
    client: TestClient
    engine: sa.Engine
    settings: Settings
    tokens: dict[str, str]

    def __call__(
        self,
        method: str,
        path: str,
        role: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: object,
    ) -> httpx.Response:
        headers = dict(headers or {})
        if role:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return self.client.request(method, f"/api/v1{path}", headers=headers, **kw)  # type: ignore[arg-type]

    def scalar(self, stmt: sa.Select) -> object:
        with self.engine.connect() as conn:
            return conn.execute(stmt).scalar()


def small_park(tmp_path_factory) -> object:
    """Write the test park once per module (call it from a module-scoped fixture)."""
    out = tmp_path_factory.mktemp("apipark")
    write_park(generate_park(leads=PARK_LEADS, drivers=2500, seed=11, anchor_date=TODAY), out)
    return out


def seeded_api(engine: sa.Engine, park: object) -> Api:
    settings = Settings(database_url=str(engine.url), recovery_batch_size=100)
    import_path(engine, park, now=NOW, settings=settings)  # type: ignore[arg-type]
    run_recovery(engine, settings=settings, kind="match")
    with engine.begin() as conn:
        tokens = {role: create_token(conn, name=role, role=role, now=NOW) for role in ROLES}
    client = TestClient(create_app(settings, engine), raise_server_exceptions=False)
    return Api(client, engine, settings, tokens)


Request = Callable[[Api], tuple[str, dict]]
