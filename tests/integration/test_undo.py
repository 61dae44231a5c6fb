"""Undo a link and reopen a dismissal on both backends: state restored, history kept."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from idgap.errors import Conflict, Forbidden, NotFound
from idgap.identity import manual, undo
from idgap.identity.read import get_person, list_unmatched
from idgap.recovery.job import run_recovery
from idgap.store.tables import identity_unmatched, lead_status, match_decisions, persons
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

LATER = NOW + dt.timedelta(hours=1)
MUCH_LATER = NOW + dt.timedelta(hours=2)
ANA = undo.Actor(by="web:ana", name="ana")
BETO = undo.Actor(by="web:beto", name="beto")
BOSS = undo.Actor(by="web:boss", name="boss", admin=True)
D6 = ("d6", SETTINGS.park_id, "51966677788", "NADIE NUNCA JAMAS", "ZZZ000", "Rio", "2026-11-21")


@pytest.fixture
def decided(engine):
    """L1, L2, L5 linked by the engine; L3 unmatched (no candidates); L4 in review (other park)."""
    seed(engine)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    add_drivers(engine, [D6], now=NOW)
    return engine


def queue(conn, lead_id):
    u = identity_unmatched
    return conn.execute(sa.select(u).where(u.c.source_pk == lead_id)).one()


def status(conn, lead_id):
    ls = lead_status
    return conn.execute(sa.select(ls).where(ls.c.lead_id == lead_id)).one()


def resolve_l3(engine, **target):
    with engine.begin() as conn:
        return manual.resolve_unmatched(
            conn, queue(conn, "L3").id, by="web:ana", note="llamé al conductor", now=LATER,
            settings=SETTINGS, **target,
        )  # fmt: skip


def test_operator_undoes_own_link_to_a_new_person(decided):
    done = resolve_l3(decided, driver_id="d6")
    with decided.begin() as conn:
        out = undo.undo_link(conn, "L3", who=ANA, note="era otra persona", now=MUCH_LATER,
                             settings=SETTINGS)  # fmt: skip
    assert out["person_retired"] is True
    with decided.connect() as conn:
        got = links(conn)
        assert (LEADS, "L3") not in got and ("drivers", "d6") not in got
        assert invariant_violations(conn) == []
        q = queue(conn, "L3")
        assert (q.status, q.resolved_by, q.outcome) == ("OPEN", None, "unmatched")
        s = status(conn, "L3")
        assert (s.gap_reason, s.has_identity, s.last_outcome) == ("no_identity", False, "unmatched")
        person = conn.execute(
            sa.select(persons.c.status).where(persons.c.person_key == done["person_key"])
        ).scalar_one()
        assert person == "retired"
        history = [(h["action"], h["changed_by"], h["reason"])
                   for h in undo.lead_history(conn, "L3")]  # fmt: skip
        assert history == [("link", "web:ana", "llamé al conductor"),
                           ("unlink", "web:ana", "era otra persona")]  # fmt: skip
        moves = get_person(conn, done["person_key"])["link_history"]
        assert {(m["source_pk"], m["action"]) for m in moves} >= {("L3", "unlink"),
                                                                   ("d6", "unlink")}  # fmt: skip
        rule = conn.execute(
            sa.select(match_decisions.c.rule).where(match_decisions.c.source_pk == "L3")
            .order_by(match_decisions.c.id.desc())
        ).scalars().first()  # fmt: skip
        assert rule == "UNDO"
        assert "L3" in [i["source_pk"] for i in list_unmatched(conn)["items"]]


def test_undo_of_a_link_to_an_existing_person_keeps_that_person(decided):
    with decided.connect() as conn:
        juan = links(conn)[(LEADS, "L1")]
        origin_before = origins(conn)[juan]
    resolve_l3(decided, person_key=juan)
    with decided.begin() as conn:
        out = undo.undo_link(conn, "L3", who=ANA, note=None, now=MUCH_LATER, settings=SETTINGS)
    assert out["person_retired"] is False
    with decided.connect() as conn:
        got = links(conn)
        assert got[(LEADS, "L1")] == got[(LEADS, "L5")] == juan and (LEADS, "L3") not in got
        assert origins(conn)[juan] == origin_before
        assert invariant_violations(conn) == []


def test_only_the_author_or_an_admin_may_undo(decided):
    resolve_l3(decided, driver_id="d6")
    with decided.begin() as conn:
        assert undo.undoable(conn, "L3", ANA) == "link"
        assert undo.undoable(conn, "L3", BETO) is None
        with pytest.raises(Forbidden):
            undo.undo_link(conn, "L3", who=BETO, note=None, now=MUCH_LATER, settings=SETTINGS)
    api_ana = undo.Actor(by="api:ana", name="ana")  # the same user through the API
    with decided.begin() as conn:
        undo.undo_link(conn, "L3", who=api_ana, note=None, now=MUCH_LATER, settings=SETTINGS)


def test_admin_undoes_an_automatic_link_and_the_lead_is_queued_with_candidates(decided):
    with decided.connect() as conn:
        juan = links(conn)[(LEADS, "L1")]
        assert undo.undoable(conn, "L1", ANA) is None  # automatic: admin only
    with decided.begin() as conn:
        undo.undo_link(conn, "L1", who=BOSS, note="teléfono prestado", now=LATER,
                       settings=SETTINGS)  # fmt: skip
    with decided.connect() as conn:
        q = queue(conn, "L1")
        assert (q.status, q.outcome, q.reason_code) == ("OPEN", "review", undo.REOPENED)
        assert "d1" in [c["driver_id"] for c in q.candidates]
        got = links(conn)
        assert got[(LEADS, "L5")] == juan and got[("drivers", "d1")] == juan
        assert origins(conn)[juan] == ("cabinet_lead", "L5")  # the origin moved, with history
        assert invariant_violations(conn) == []
    # the next run does not silently re-link it: nothing changed since its decision
    run_recovery(decided, settings=SETTINGS, now_fn=lambda: MUCH_LATER)
    with decided.connect() as conn:
        assert (LEADS, "L1") not in links(conn)
        assert queue(conn, "L1").status == "OPEN"


def test_a_dismissal_is_visible_and_can_be_reopened(decided):
    with decided.begin() as conn:
        qid = queue(conn, "L4").id
        assert undo.dismiss(conn, qid, who=ANA, note="no es él", now=LATER) == "L4"
    with decided.connect() as conn:
        dismissed = list_unmatched(conn, status="DISMISSED")["items"]
        assert [(i["source_pk"], i["resolution_note"]) for i in dismissed] == [("L4", "no es él")]
        assert undo.undoable(conn, "L4", ANA) == "dismiss"
        assert undo.undoable(conn, "L4", BETO) is None
    with decided.begin() as conn, pytest.raises(Forbidden):
        undo.reopen(conn, "L4", who=BETO, note=None, now=MUCH_LATER, settings=SETTINGS)
    with decided.begin() as conn:
        undo.undo_last(conn, "L4", who=BOSS, note="revisar otra vez", now=MUCH_LATER,
                       settings=SETTINGS)  # fmt: skip
    with decided.connect() as conn:
        assert queue(conn, "L4").status == "OPEN"
        history = [(h["action"], h["changed_by"]) for h in undo.lead_history(conn, "L4")]
        assert history == [("dismiss", "web:ana"), ("reopen", "web:boss")]
    with decided.begin() as conn, pytest.raises(Conflict):
        undo.reopen(conn, "L4", who=BOSS, note=None, now=MUCH_LATER, settings=SETTINGS)


def test_nothing_to_undo_is_a_clear_error(decided):
    with decided.begin() as conn:
        with pytest.raises(Conflict):
            undo.undo_last(conn, "L3", who=BOSS, note=None, now=LATER, settings=SETTINGS)
        with pytest.raises(NotFound):
            undo.undo_link(conn, "L3", who=BOSS, note=None, now=LATER, settings=SETTINGS)


def test_an_undone_lead_can_be_linked_again(decided):
    resolve_l3(decided, driver_id="d6")
    with decided.begin() as conn:
        undo.undo_link(conn, "L3", who=ANA, note=None, now=MUCH_LATER, settings=SETTINGS)
    third = MUCH_LATER + dt.timedelta(minutes=5)
    with decided.begin() as conn:
        again = manual.resolve_unmatched(
            conn,
            queue(conn, "L3").id,
            driver_id="d6",
            by="web:ana",
            note=None,
            now=third,
            settings=SETTINGS,
        )
    with decided.connect() as conn:
        assert links(conn)[(LEADS, "L3")] == again["person_key"]
        assert status(conn, "L3").gap_reason == "resolved"
        assert invariant_violations(conn) == []
