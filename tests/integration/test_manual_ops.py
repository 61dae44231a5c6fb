"""Manual operations on both backends: resolve, dismiss, merge, split - all with history."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from idgap.errors import Conflict, InputError, NotFound
from idgap.identity import manual
from idgap.identity.read import get_person, list_unmatched
from idgap.recovery.job import run_recovery
from idgap.store.tables import (
    identity_links,
    identity_origin_history,
    identity_unmatched,
    link_history,
    match_decisions,
    persons,
)
from tests.integration.recovery_support import (
    LEADS,
    NOW,
    SETTINGS,
    add_drivers,
    invariant_violations,
    links,
    origins,
    seed,
)

LATER = NOW + dt.timedelta(hours=2)


def queue_id(conn, lead_id):
    u = identity_unmatched
    return conn.execute(sa.select(u.c.id).where(u.c.source_pk == lead_id)).scalar_one()


@pytest.fixture
def decided(engine):
    """L1, L2, L5 linked; L3 unmatched; L4 in review with d9 (other park) as candidate."""
    seed(engine)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    return engine


def test_resolve_with_a_driver_links_lead_driver_and_origin_in_one_go(decided):
    add_drivers(decided, [("d6", SETTINGS.park_id, "51966677788", "NADIE NUNCA JAMAS",
                           "ZZZ000", "Rio", "2026-11-21")], now=LATER)  # fmt: skip
    with decided.begin() as conn:
        done = manual.resolve_unmatched(
            conn, queue_id(conn, "L3"), driver_id="d6", by="manual:ana", note="called him",
            now=LATER, settings=SETTINGS,
        )  # fmt: skip
    with decided.connect() as conn:
        got = links(conn)
        assert got[(LEADS, "L3")] == got[("drivers", "d6")] == done["person_key"]
        assert origins(conn)[done["person_key"]] == ("cabinet_lead", "L3")
        assert invariant_violations(conn) == []
        row = conn.execute(
            sa.select(identity_unmatched).where(identity_unmatched.c.source_pk == "L3")
        ).one()
        assert (row.status, row.resolved_by, row.resolution_note) == (
            "RESOLVED",
            "manual:ana",
            "called him",
        )
        rule = conn.execute(
            sa.select(match_decisions.c.rule).where(match_decisions.c.source_pk == "L3")
            .order_by(match_decisions.c.id.desc())
        ).scalars().first()  # fmt: skip
        assert rule == "MANUAL_RESOLUTION"
        hist = conn.execute(
            sa.select(link_history.c.source_pk, link_history.c.changed_by).where(
                link_history.c.changed_by == "manual:ana"
            )
        ).all()
        assert sorted(hist) == [("L3", "manual:ana"), ("d6", "manual:ana")]


def test_resolve_to_an_existing_person_and_the_conflicts(decided):
    with decided.connect() as conn:
        person = links(conn)[(LEADS, "L1")]
        review = queue_id(conn, "L4")
    with decided.begin() as conn, pytest.raises(InputError, match="another park"):
        manual.resolve_unmatched(conn, review, driver_id="d9", by="x", now=LATER, settings=SETTINGS)
    with decided.begin() as conn, pytest.raises(NotFound):
        manual.resolve_unmatched(
            conn, review, person_key="nope", by="x", now=LATER, settings=SETTINGS
        )
    with decided.begin() as conn:
        manual.resolve_unmatched(
            conn, review, person_key=person, by="x", now=LATER, settings=SETTINGS
        )
    with decided.begin() as conn, pytest.raises(Conflict, match="already linked"):
        manual.resolve_unmatched(
            conn, review, person_key=person, by="y", now=LATER, settings=SETTINGS
        )
    with decided.connect() as conn:
        assert links(conn)[(LEADS, "L4")] == person
        assert origins(conn)[person] == ("cabinet_lead", "L1")  # L1 is earlier than L4


def test_other_park_driver_only_with_an_explicit_override(decided):
    with decided.begin() as conn:
        manual.resolve_unmatched(
            conn, queue_id(conn, "L4"), driver_id="d9", by="admin", now=LATER,
            settings=SETTINGS, allow_other_park=True,
        )  # fmt: skip
    with decided.connect() as conn:
        assert links(conn)[(LEADS, "L4")] == links(conn)[("drivers", "d9")]


def test_dismissed_stays_dismissed_until_the_index_or_the_lead_changes(decided):
    with decided.begin() as conn:
        manual.dismiss_unmatched(conn, queue_id(conn, "L4"), by="ana", note="not him", now=LATER)
    with decided.begin() as conn, pytest.raises(Conflict):
        manual.dismiss_unmatched(conn, queue_id(conn, "L4"), by="ana", note="again", now=LATER)
    run_recovery(decided, settings=SETTINGS, now_fn=lambda: LATER)
    with decided.connect() as conn:
        assert list_unmatched(conn, status="DISMISSED")["total"] == 1
    add_drivers(decided, [("d7", SETTINGS.park_id, "51977788899", "OTRO CONDUCTOR NUEVO",
                           "NEW777", "Rio", "2026-11-20")], now=LATER)  # fmt: skip
    run_recovery(decided, settings=SETTINGS, now_fn=lambda: LATER + dt.timedelta(minutes=1))
    with decided.connect() as conn:
        row = conn.execute(
            sa.select(identity_unmatched).where(identity_unmatched.c.source_pk == "L4")
        ).one()
    assert row.status == "OPEN"  # re-queued: it was decided again against a new index


def test_list_unmatched_enriches_candidates_with_driver_details(decided):
    with decided.connect() as conn:
        items = list_unmatched(conn, outcome="review")["items"]
    cand = items[0]["candidates"][0]
    assert cand["driver"]["full_name"] == "PEDRO PABLO RAMOS SOTO"
    assert cand["driver"]["car_number"] == "QQQ111" and items[0]["lead"]["lead_id"] == "L4"


def test_merge_moves_links_recomputes_origin_and_keeps_the_absorbed_person(decided):
    with decided.connect() as conn:
        got = links(conn)
        keep, absorb = got[(LEADS, "L2")], got[(LEADS, "L1")]
    with decided.begin() as conn:
        moved = manual.merge_persons(conn, keep, absorb, by="admin", reason="same human",
                                     now=LATER, settings=SETTINGS)  # fmt: skip
    assert moved == 3  # L1, L5 and d1
    with decided.connect() as conn:
        got = links(conn)
        assert {got[(LEADS, k)] for k in ("L1", "L2", "L5")} == {keep}
        assert origins(conn)[keep] == ("cabinet_lead", "L1")  # the earliest lead now
        status = conn.execute(
            sa.select(persons.c.status, persons.c.merged_into).where(persons.c.person_key == absorb)
        ).one()
        assert tuple(status) == ("merged", keep)
        person = get_person(conn, keep)
        assert [h["origin_source_id_new"] for h in person["origin_history"]][-1] == "L1"
        assert sum(h["action"] == "move" for h in person["link_history"]) == 3
        actions = (
            conn.execute(
                sa.select(identity_origin_history.c.action).where(
                    identity_origin_history.c.person_key == absorb
                )
            )
            .scalars()
            .all()
        )
        assert actions[-1] == "merged"
    with decided.begin() as conn, pytest.raises(NotFound):
        manual.merge_persons(conn, keep, absorb, by="admin", reason="twice", now=LATER,
                             settings=SETTINGS)  # fmt: skip


def test_split_moves_one_link_to_a_new_person_and_recomputes_both_origins(decided):
    with decided.connect() as conn:
        old = links(conn)[(LEADS, "L1")]
    with decided.begin() as conn:
        new = manual.split_link(conn, LEADS, "L1", by="admin", reason="different human",
                                now=LATER, settings=SETTINGS)  # fmt: skip
    with decided.connect() as conn:
        got = links(conn)
        assert got[(LEADS, "L1")] == new and got[(LEADS, "L5")] == old == got[("drivers", "d1")]
        assert origins(conn)[new] == ("cabinet_lead", "L1")
        assert origins(conn)[old] == ("cabinet_lead", "L5")
        moves = conn.execute(
            sa.select(link_history.c.person_key_old, link_history.c.person_key_new).where(
                link_history.c.action == "move"
            )
        ).all()
        assert [tuple(m) for m in moves] == [(old, new)]
        n = conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one()
    assert n == 5  # nothing deleted: L1, L2, L5, d1, d2
