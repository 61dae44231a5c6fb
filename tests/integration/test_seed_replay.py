"""Replay of the reference's seed report (REF §6.2, §6.3, §10.1) through idgap, both backends.

Legacy import -> diagnose (726 unresolved, 91.55 %) -> backfill-origins (196, 24.72 %) ->
recover (idgap's rules add correct links and no wrong ones).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from idgap.config import Settings
from idgap.gaps.diagnose import diagnose
from idgap.gaps.read import gap_alerts, gap_items
from idgap.gaps.status import refresh_lead_status
from idgap.identity.origin import ensure_origins
from idgap.intake.service import import_path
from idgap.recovery.job import run_recovery
from idgap.store.tables import identity_links
from tests.integration import seed_state
from tests.integration.seed_state import GHOST_LEAD, LEADS

NOW = dt.datetime(2026, 1, 12, 23, 0, tzinfo=dt.UTC)
SETTINGS = Settings(database_url="sqlite://", park_id=seed_state.PARK, recovery_batch_size=100)


@pytest.fixture(scope="module")
def seed():
    return seed_state.build(NOW)


@pytest.fixture
def seeded(engine, seed, tmp_path):
    report = import_path(
        engine, seed_state.write(seed, tmp_path / "seed"), now=NOW, settings=SETTINGS
    )
    return engine, report


def _breakdown(rep: dict) -> dict[tuple[str, str], int]:
    return {(r["gap_reason"], r["risk_level"]): r["count"] for r in rep["gap"]["breakdown"]}


def _backfill(engine) -> int:
    with engine.begin() as conn:
        stats = ensure_origins(
            conn,
            None,
            now=NOW,
            run_id=None,
            changed_by="backfill-origins",
            reason="backfill of links without origin",
        )
        refresh_lead_status(conn, None, today=NOW.date(), settings=SETTINGS, now=NOW)
    return stats.created


def _diagnose(engine) -> dict:
    with engine.connect() as conn:
        return diagnose(conn, now=NOW, settings=SETTINGS)


def test_legacy_state_diagnoses_like_the_seed_report(seeded):
    engine, report = seeded
    tables = {t.table: t for t in report.tables}
    assert tables["identity_links"].loaded == 602 + 1 + 598  # lead links + ghost + driver links
    assert any(GHOST_LEAD in w for w in tables["identity_links"].warnings)
    rep = _diagnose(engine)
    totals = rep["gap"]["totals"]
    assert (totals["total_leads"], totals["unresolved"], totals["resolved"]) == (793, 726, 67)
    assert totals["pct_unresolved"] == 91.55 and totals["high_risk"] == 188
    assert _breakdown(rep) == {
        ("no_origin", "medium"): 535, ("no_identity", "high"): 188,
        ("no_identity", "medium"): 3, ("resolved", "low"): 67,
    }  # fmt: skip
    integ = rep["integrity"]
    assert integ["persons_with_lead_links_without_origin"] == 531  # 530 persons + the ghost's
    assert integ["lead_links_to_unknown_leads"] == 1 and integ["unknown_lead_ids"] == [GHOST_LEAD]
    assert integ["lead_links_without_driver_link"] == 0
    assert rep["links"]["lead_links_total"] == 603
    assert rep["job"]["state"] == "NUNCA"
    texts = " ".join(r["text"] for r in rep["recommendations"])
    assert "idgap backfill-origins" in texts and GHOST_LEAD in texts


def test_backfill_then_recover(seeded, seed):
    engine, _ = seeded
    assert _backfill(engine) == 531  # one origin per person (REF wrote 536, one per link)
    rep = _diagnose(engine)
    totals = rep["gap"]["totals"]
    assert (totals["unresolved"], totals["resolved"], totals["pct_unresolved"]) == (196, 597, 24.72)
    assert _breakdown(rep) == {
        ("no_identity", "high"): 188, ("no_identity", "medium"): 3,
        ("other_origin", "high"): 5, ("resolved", "low"): 597,
    }  # fmt: skip
    with engine.connect() as conn:
        others = gap_items(
            conn, filters={"gap_reason": "other_origin"}, page=1, page_size=10, sort="lead_id"
        )["items"]
        alerts = gap_alerts(conn, today=NOW.date())
    # the earliest lead is the origin; the re-registration is the other_origin lead
    assert {(r["lead_id"], r["origin_detail"]) for r in others} == {
        (later, f"cabinet_lead:{earlier}") for earlier, later in seed.twice
    }
    assert alerts["total"] == 196
    assert _backfill(engine) == 0  # idempotent: nothing flips back ("ping-pong", REF §4.3)
    _recover_adds_only_correct_links(engine, seed)


def _recover_adds_only_correct_links(engine, seed) -> None:
    report = run_recovery(
        engine, settings=SETTINGS, now_fn=lambda: NOW, kind="recover", triggered_by="test"
    )
    assert report.processed >= 191
    linked = _linked_drivers(engine)
    new = {lead: linked[lead] for lead in seed.truth if lead in linked}
    wrong = {lead: drv for lead, drv in new.items() if seed.truth[lead] != drv}
    assert wrong == {}  # precision first: not one wrong link
    findable = seed.groups["phone"] + seed.groups["plate"]
    # phone + name + plate, and plate + name hired 3 days after the lead: all recovered;
    # the other-park account, the plate-sharing stranger and the homonyms are never linked
    assert set(new) == set(findable)
    rep = _diagnose(engine)
    totals = rep["gap"]["totals"]
    assert totals["resolved"] == 597 + len(new)
    assert totals["unresolved"] == 196 - len(new)
    assert rep["job"]["state"] == "OK" and rep["volume_24h"]["matched_links_24h"] == len(new)
    assert rep["integrity"]["lead_links_without_driver_link"] == 0
    assert rep["integrity"]["persons_with_lead_links_without_origin"] == 0
    # a second run re-decides nothing and links nothing
    again = run_recovery(
        engine, settings=SETTINGS, now_fn=lambda: NOW, kind="recover", triggered_by="test"
    )
    assert again.processed == 0 and _linked_drivers(engine) == linked


def _linked_drivers(engine) -> dict[str, str]:
    """lead_id -> driver of the lead's person, for every linked lead."""
    lead, drv = identity_links.alias("lead"), identity_links.alias("drv")
    stmt = (
        sa.select(lead.c.source_pk, drv.c.source_pk)
        .join(drv, sa.and_(drv.c.person_key == lead.c.person_key, drv.c.source_table == "drivers"))
        .where(lead.c.source_table == LEADS)
    )
    with engine.connect() as conn:
        return dict(conn.execute(stmt).all())
