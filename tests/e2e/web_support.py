"""A small seeded store, tokens and a logged-in client for the web tests (HTML and browser).

The store is seeded through the services (synthetic park -> import -> recovery), so the pages
show what the product really produces.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from idgap.clock import DEFAULT_TIMEZONE, park_day
from idgap.config import Settings
from idgap.store import tables as t

NOW = dt.datetime.now(dt.UTC)
TODAY = park_day(NOW, DEFAULT_TIMEZONE)  # the park's day, as the web counts it


@dataclass
class Seeded:
    settings: Settings
    engine: sa.Engine
    tokens: dict[str, str] = field(default_factory=dict)
    lead_ids: list[str] = field(default_factory=list)


def seed_park(
    engine: sa.Engine,
    settings: Settings,
    work_dir: Path,
    *,
    leads: int,
    drivers: int,
    seed: int = 7,
) -> Seeded:
    """Through the services: synthetic park -> CSV -> import -> recovery run; then tokens."""
    from idgap.intake.service import import_path
    from idgap.recovery.job import run_recovery
    from idgap.synth.park import generate_park, write_park

    park = generate_park(leads=leads, drivers=drivers, seed=seed, anchor_date=TODAY)
    write_park(park, work_dir / "park")
    import_path(engine, work_dir / "park", now=NOW, settings=settings)
    run_recovery(engine, settings=settings, triggered_by="test")
    with engine.connect() as conn:
        ids = conn.execute(sa.select(t.lead_status.c.lead_id).order_by(t.lead_status.c.lead_id))
        seeded = Seeded(settings=settings, engine=engine, lead_ids=list(ids.scalars()))
    add_tokens(seeded)
    return seeded


def add_tokens(seeded: Seeded) -> None:
    from idgap.access import create_token

    with seeded.engine.begin() as conn:
        for role in ("viewer", "operator", "admin"):
            seeded.tokens[role] = create_token(conn, name=f"web-{role}", role=role, now=NOW)


def make_app(seeded: Seeded) -> FastAPI:
    """The real app (API + web) when the API exists, else the web UI alone."""
    try:
        from idgap.api.app import create_app
    except ImportError:
        from idgap.web.app import create_web_app

        return create_web_app(seeded.settings, seeded.engine)
    return create_app(seeded.settings, seeded.engine)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, token: str) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"token": token, "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def tile_value(html: str, tile_id: str) -> str:
    match = re.search(rf'id="{tile_id}".*?<div class="value">([^<]*)</div>', html, re.S)
    assert match, f"tile {tile_id} not found"
    return match.group(1).strip()


def as_int(text: str) -> int:
    return int(text.replace(",", "").strip())
