"""The tiny hand-written park of recovery_support, matched, behind the real app (API + web)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from fastapi.testclient import TestClient

from idgap.access import create_token
from idgap.api.app import create_app
from idgap.config import Settings
from idgap.recovery.job import run_recovery
from idgap.store.tables import identity_unmatched
from tests.e2e.web_support import login
from tests.integration.recovery_support import NOW, SETTINGS, add_leads, seed

ROLES = ("viewer", "operator", "admin")
# L6: accents, a formatted phone and a dashed plate; nobody in the driver table matches it
ACCENTED = [("L6", "2026-11-22", "+51 944-111-222", "José", None, "Jáuregui Peña", "JKL-987",
             "Yaris")]  # fmt: skip


@dataclass
class Http:
    engine: sa.Engine
    settings: Settings
    app: object
    tokens: dict[str, str]

    def api(self, role: str) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)  # type: ignore[arg-type]
        client.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return client

    def web(self, role: str) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)  # type: ignore[arg-type]
        login(client, self.tokens[role])
        return client

    def queue_id(self, lead_id: str) -> int:
        u = identity_unmatched
        with self.engine.connect() as conn:
            return conn.execute(sa.select(u.c.id).where(u.c.source_pk == lead_id)).scalar_one()


def matched_http(engine: sa.Engine, *, second_operator: bool = False) -> Http:
    seed(engine)
    add_leads(engine, ACCENTED)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    settings = Settings(database_url=str(engine.url), secret_key="test-secret")
    roles = [*ROLES, "operator2"] if second_operator else list(ROLES)
    with engine.begin() as conn:
        tokens = {r: create_token(conn, name=r, role=r.rstrip("2"), now=NOW) for r in roles}
    return Http(engine, settings, create_app(settings, engine), tokens)
