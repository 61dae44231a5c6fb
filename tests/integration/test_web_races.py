"""The web review form under a real race: losers get a warning or a 409 page, never a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from idgap.store.tables import identity_links, identity_unmatched
from tests.e2e.web_support import csrf_of
from tests.integration.live_server import live_server
from tests.integration.web_store import BACKENDS, seeded_store

RACERS = 12


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    yield from seeded_store(request, tmp_path_factory)


def _open_item_with_driver(engine: sa.Engine, park_id: str) -> tuple[int, str, str]:
    u = identity_unmatched
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(u.c.id, u.c.source_pk, u.c.candidates)
            .where(u.c.status == "OPEN", u.c.outcome == "review")
            .order_by(u.c.id)
        ).all()
        linked = set(
            conn.execute(
                sa.select(identity_links.c.source_pk).where(
                    identity_links.c.source_table == "drivers"
                )
            ).scalars()
        )
    for item_id, pk, cands in rows:
        for c in cands or []:
            if c.get("park_id") == park_id and c["driver_id"] not in linked:
                return int(item_id), str(pk), str(c["driver_id"])
    raise AssertionError("no open review item with a free target-park candidate")


def test_racing_reviewers_get_one_link_and_no_500(store):
    seeded, app = store
    item, lead, driver = _open_item_with_driver(seeded.engine, seeded.settings.park_id)
    with live_server(app) as base:
        clients = []
        for _ in range(RACERS):
            c = httpx.Client(base_url=base, timeout=60)
            page = c.get("/login")
            c.post("/login", data={"token": seeded.tokens["operator"],
                                   "csrf_token": csrf_of(page.text), "next": "/"})  # fmt: skip
            clients.append((c, csrf_of(c.get("/revision").text)))

        def link(pair: tuple[httpx.Client, str]) -> int:
            c, csrf = pair
            r = c.post(f"/revision/{item}/vincular",
                       data={"csrf_token": csrf, "driver_id": driver, "pos": "0"})  # fmt: skip
            return r.status_code

        with ThreadPoolExecutor(RACERS) as pool:
            codes = list(pool.map(link, clients))
        for c, _ in clients:
            c.close()
    assert 500 not in codes and set(codes) <= {303, 409}, codes
    lk = identity_links
    with seeded.engine.connect() as conn:
        n = conn.execute(
            sa.select(sa.func.count()).where(lk.c.source_table.in_(["drivers"]),
                                             lk.c.source_pk == driver)
        ).scalar_one()  # fmt: skip
        lead_links = conn.execute(
            sa.select(sa.func.count()).where(lk.c.source_pk == lead)
        ).scalar_one()
    assert (n, lead_links) == (1, 1)
