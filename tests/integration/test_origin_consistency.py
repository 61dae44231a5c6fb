"""Legacy consistency (issue 12 item 8) on a migrated reference state, both backends: the
diagnosis counts inconsistent origins, `backfill-origins` repairs them by the one rule and
records each change, with the old value, in the origin history."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from idgap.config import Settings
from idgap.gaps.diagnose import diagnose
from idgap.identity.consistency import audit_origins
from idgap.intake.service import import_path
from idgap.recovery.backfill import run_backfill_origins
from idgap.recovery.job import persons_without_origin
from idgap.store.tables import identity_origin, identity_origin_history
from tests.integration import seed_state

NOW = dt.datetime(2026, 1, 12, 23, 0, tzinfo=dt.UTC)


def _corrupted_seed() -> tuple[seed_state.SeedState, dict[str, str]]:
    """The reference's seed state with 3 origins naming another person's lead and 2 persons
    with two leads whose origin is the later lead. Returns person -> wrong origin id."""
    s = seed_state.build(NOW)
    wrong: dict[str, str] = {}
    for k in range(3):
        s.origins[k]["origin_source_id"] = s.origins[k + 10]["origin_source_id"]
        wrong[s.origins[k]["person_key"]] = s.origins[k]["origin_source_id"]
    for first, later in s.twice[:2]:
        key = next(r["person_key"] for r in s.links if r["source_pk"] == first)
        s.origins.append({**s.origins[-1], "person_key": key, "origin_source_id": later})
        wrong[key] = later
    return s, wrong


def test_backfill_repairs_inconsistent_legacy_origins_by_the_rule(engine, tmp_path):
    seed, wrong = _corrupted_seed()
    settings = Settings(database_url=str(engine.url), park_id=seed_state.PARK)
    import_path(engine, seed_state.write(seed, tmp_path / "seed"), now=NOW, settings=settings)
    with engine.connect() as conn:
        integrity = diagnose(conn, now=NOW, settings=settings)["integrity"]
        report = diagnose(conn, now=NOW, settings=settings)
    assert (integrity["origins_not_among_links"], integrity["origins_contradicting_rule"]) == (3, 5)
    assert any("backfill-origins" in r["text"] and "contradict" in r["text"]
               for r in report["recommendations"])  # fmt: skip

    out = run_backfill_origins(engine, settings=settings, now_fn=lambda: NOW)
    assert (out["origins_repaired"], out["origins_not_among_links"]) == (5, 3)
    assert out["origins_created"] == 531 - 2  # the seed's origin-less persons, less the 2 above

    og, h = identity_origin, identity_origin_history
    with engine.connect() as conn:
        audit = audit_origins(conn)
        assert audit.to_repair == [] and persons_without_origin(conn) == []
        for person, bad in wrong.items():
            now_id = conn.execute(
                sa.select(og.c.origin_source_id).where(og.c.person_key == person)
            ).scalar_one()
            assert now_id != bad
            change = conn.execute(
                sa.select(h.c.action, h.c.origin_source_id_old, h.c.origin_source_id_new,
                          h.c.changed_by)
                .where(h.c.person_key == person, h.c.changed_by == "backfill-origins")
            ).one()  # fmt: skip
            assert tuple(change) == ("update", bad, now_id, "backfill-origins")
        after = diagnose(conn, now=NOW, settings=settings)["integrity"]
    assert (after["origins_not_among_links"], after["origins_contradicting_rule"]) == (0, 0)
    again = run_backfill_origins(engine, settings=settings, now_fn=lambda: NOW)
    assert (again["origins_repaired"], again["origins_created"]) == (0, 0)  # idempotent
