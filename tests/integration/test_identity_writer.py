"""Writing decisions on both backends: links, driver links, origins, queue, decisions log."""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa

from idgap.identity.writer import apply_decisions
from idgap.matching.candidates import leads_to_candidates
from idgap.matching.engine import match_candidates
from idgap.recovery.index_store import load_driver_index
from idgap.recovery.job import match_settings, run_recovery
from idgap.store.tables import (
    cabinet_leads,
    identity_links,
    identity_origin_history,
    identity_unmatched,
    lead_status,
    match_decisions,
    persons,
)
from tests.integration.recovery_support import (
    LEADS,
    NOW,
    SETTINGS,
    add_migration,
    add_scouting,
    counts,
    invariant_violations,
    links,
    origins,
    seed,
)


def decide(engine, lead_ids):
    with engine.begin() as conn:
        index, info = load_driver_index(conn, now=NOW)
        rows = conn.execute(
            sa.select(cabinet_leads).where(cabinet_leads.c.lead_id.in_(lead_ids))
        ).mappings()
        cands = leads_to_candidates(pl.DataFrame([dict(r) for r in rows], infer_schema_length=None))
    return match_candidates(
        cands, index, settings=match_settings(SETTINGS), index_version=info.version
    )


def test_matched_leads_get_lead_link_driver_link_and_origin_together(engine):
    seed(engine)
    decisions = decide(engine, ["L1", "L2", "L3", "L4"])
    with engine.begin() as conn:
        stats = apply_decisions(conn, decisions, run_id=None, now=NOW, settings=SETTINGS)
    assert (stats.matched, stats.review, stats.unmatched) == (2, 1, 1)
    assert (stats.persons_created, stats.driver_links_created, stats.origins_created) == (2, 2, 2)
    with engine.connect() as conn:
        assert invariant_violations(conn) == []
        got = links(conn)
        assert got[(LEADS, "L1")] == got[("drivers", "d1")]
        assert got[(LEADS, "L2")] == got[("drivers", "d2")]
        assert (LEADS, "L3") not in got and (LEADS, "L4") not in got
        assert origins(conn)[got[(LEADS, "L1")]] == ("cabinet_lead", "L1")
        # every decision is logged, and links / queue rows point at theirs
        logged = conn.execute(
            sa.select(match_decisions.c.source_pk, match_decisions.c.id, match_decisions.c.outcome)
        ).all()
        assert sorted((pk, o) for pk, _, o in logged) == [
            ("L1", "matched"), ("L2", "matched"), ("L3", "unmatched"), ("L4", "review"),
        ]  # fmt: skip
        ids = {pk: i for pk, i, _ in logged}
        lk = identity_links
        link_decision = dict(
            conn.execute(
                sa.select(lk.c.source_pk, lk.c.decision_id).where(lk.c.source_table == LEADS)
            ).all()
        )
        assert link_decision == {"L1": ids["L1"], "L2": ids["L2"]}
        u = identity_unmatched
        queue = {r.source_pk: r for r in conn.execute(sa.select(u)).all()}
        assert queue["L4"].outcome == "review" and queue["L4"].status == "OPEN"
        assert queue["L4"].decision_id == ids["L4"]
        assert queue["L4"].candidates[0]["driver_id"] == "d9"
        assert queue["L3"].reason_code == "NO_CANDIDATES"
        assert queue["L3"].details["inputs"]["phone_norm"] == "900000001"
        assert len(queue["L3"].input_hash) == 32
        name = conn.execute(
            sa.select(persons.c.primary_name).where(persons.c.person_key == got[(LEADS, "L1")])
        ).scalar_one()
        assert name == "JUAN CARLOS PEREZ GOMEZ"


def test_writing_the_same_decisions_again_changes_nothing(engine):
    seed(engine)
    decisions = decide(engine, ["L1", "L2", "L5"])
    with engine.begin() as conn:
        apply_decisions(conn, decisions, run_id=None, now=NOW, settings=SETTINGS)
        before, keys = counts(conn), links(conn)
    with engine.begin() as conn:
        again = apply_decisions(conn, decisions, run_id=None, now=NOW, settings=SETTINGS)
        assert again.skipped_already_linked == 3 and again.matched == 0
        assert counts(conn) == before and links(conn) == keys


def test_two_leads_of_one_driver_share_a_person_and_the_earliest_is_the_origin(engine):
    seed(engine)
    # the later lead is decided first, in its own batch: the origin must still end on L1
    with engine.begin() as conn:
        apply_decisions(conn, decide(engine, ["L5"]), run_id=None, now=NOW, settings=SETTINGS)
    with engine.begin() as conn:
        apply_decisions(conn, decide(engine, ["L1"]), run_id=None, now=NOW, settings=SETTINGS)
    with engine.connect() as conn:
        got = links(conn)
        person = got[(LEADS, "L1")]
        assert got[(LEADS, "L5")] == person == got[("drivers", "d1")]
        assert origins(conn)[person] == ("cabinet_lead", "L1")
        history = conn.execute(
            sa.select(
                identity_origin_history.c.action,
                identity_origin_history.c.origin_source_id_old,
                identity_origin_history.c.origin_source_id_new,
            ).order_by(identity_origin_history.c.id)
        ).all()
        assert [tuple(h) for h in history] == [("insert", None, "L5"), ("update", "L5", "L1")]
        gaps = dict(conn.execute(sa.select(lead_status.c.lead_id, lead_status.c.gap_reason)).all())
        assert gaps["L1"] == "resolved" and gaps["L5"] == "other_origin"


def test_a_lead_matched_to_a_driver_a_migration_holds_joins_that_person(engine):
    seed(engine)
    add_migration(engine, "m1", "d1", "2026-11-10")
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW, kind="match")
    with engine.connect() as conn:
        got = links(conn)
        person = got[("module_ct_migrations", "m1")]
        assert got[(LEADS, "L1")] == person == got[("drivers", "d1")]
        assert origins(conn)[person] == ("cabinet_lead", "L1")  # cabinet outranks migration
        assert invariant_violations(conn) == []


def test_scouting_rows_go_through_the_same_engine(engine):
    seed(engine)
    add_scouting(engine, "s1", "922233344", None, "Rosa Elena Quispe Mamani", "2026-11-02")
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW, kind="match")
    with engine.connect() as conn:
        got = links(conn)
        person = got[("module_ct_scouting_daily", "s1")]
        assert got[("drivers", "d3")] == person
        assert origins(conn)[person] == ("scout_registration", "s1")


def test_a_matched_lead_closes_its_open_queue_row(engine):
    seed(engine)
    with engine.begin() as conn:
        conn.execute(
            identity_unmatched.insert().values(
                source_table=LEADS, source_pk="L2", outcome="unmatched",
                reason_code="NO_CANDIDATES", status="OPEN", created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
    later = NOW + dt.timedelta(hours=1)
    with engine.begin() as conn:
        stats = apply_decisions(
            conn, decide(engine, ["L2"]), run_id=None, now=later, settings=SETTINGS
        )
    assert stats.queue_resolved == 1
    with engine.connect() as conn:
        row = conn.execute(sa.select(identity_unmatched)).one()
    assert (row.status, row.resolved_by, row.resolved_at) == ("RESOLVED", "system", later)


def test_every_decision_column_is_stored_including_the_probability(engine):
    """The writer stores the decision frame's columns by name: a probability set by the engine
    reaches match_decisions, a null one (ct4) stays null."""
    seed(engine)
    decisions = decide(engine, ["L1", "L4"]).with_columns(
        probability=pl.when(pl.col("source_pk") == "L1").then(0.9993).otherwise(None)
    )
    with engine.begin() as conn:
        apply_decisions(conn, decisions, run_id=None, now=NOW, settings=SETTINGS)
    with engine.connect() as conn:
        md = match_decisions
        got = dict(conn.execute(sa.select(md.c.source_pk, md.c.probability)).all())
    assert got == {"L1": 0.9993, "L4": None}
