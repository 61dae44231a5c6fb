"""Matching 3.1: the form's name fields (given name, first surname) as evidence, re-created
accounts found through the identifiers they share, name collisions measured on the index."""

from __future__ import annotations

import polars as pl

from idgap.matching.engine import match_candidates
from idgap.matching.fellegi_sunter import name_collisions
from idgap.matching.index import build_driver_index
from idgap.matching.prepared import prepare_index
from tests.unit.match_support import DRIVER_DEFAULTS, candidate, decide, frame_of, index_of

CAR = {"car_number": "ABC123", "car_model": "Yaris"}


def test_plate_and_the_forms_given_name_and_surname_link_despite_missing_tokens():
    """The form lacks the middle name, the account the second surname: same person."""
    ix = index_of({"driver_id": "D1", "full_name": "Romero Luis Alberto", **CAR})
    d = decide(candidate(given="Luis", surname="Romero Mamani", plate="ABC123", model="Yaris"), ix)
    assert (d["outcome"], d["driver_id"]) == ("matched", "D1")
    name = next(b for b in d["candidates"][0]["breakdown"] if b["comparison"] == "name")
    assert name["level"] == "core"


def test_a_brother_named_like_the_leads_middle_name_is_not_linked():
    """LUIS JUAN ROMERO MAMANI's brother JUAN drives the family car: his name is contained in
    the lead's, but the lead's given name is not his."""
    ix = index_of({"driver_id": "B1", "full_name": "Juan Romero Mamani", **CAR})
    lead = candidate(given="Luis Juan", surname="Romero Mamani", plate="ABC123", model="Yaris")
    d = decide(lead, ix)
    assert d["outcome"] == "review" and d["driver_id"] is None
    assert d["candidates"][0]["driver_id"] == "B1"  # still shown to a reviewer


def _others(given: str, n: int) -> list[dict]:
    return [
        {"driver_id": f"X{i}", "full_name": f"{given} Zapata Ccori{i}", "hire_date": "2019-01-01"}
        for i in range(n)
    ]


def test_a_misspelt_given_name_counts_a_real_other_name_does_not():
    own = {"driver_id": "D1", "full_name": "Carlos Flores Inga", **CAR}
    ix = index_of(own, *_others("Josue", 5))
    typo = decide(candidate(given="Carls", surname="Flores Inga", plate="ABC123"), ix)
    assert typo["driver_id"] == "D1"  # nobody is called CARLS: a misspelling of CARLOS
    brother = {"driver_id": "B1", "full_name": "Jose Chambi Cordova", **CAR}
    ix = index_of(brother, *_others("Josue", 5))
    other = decide(candidate(given="Josue", surname="Chambi Cordova", plate="ABC123"), ix)
    assert other["driver_id"] is None  # JOSUE is a name of its own


def test_a_recreated_account_is_found_through_the_phone_it_shares_with_the_old_one():
    """The lead's plate finds only the old account; the new one (another plate) shares the old
    one's phone: one person, linked to the newest account."""
    ix = index_of(
        {"driver_id": "OLD", "phone": "987654321", "full_name": "Raul Pinedo Mejia",
         "hire_date": "2025-01-01", **CAR},
        {"driver_id": "NEW", "phone": "987654321", "full_name": "Raul Pinedo Mejia",
         "hire_date": "2026-01-12", "car_number": "QQQ999", "car_model": "Yaris"},
    )  # fmt: skip
    lead = frame_of(candidate(given="Raul", surname="Pinedo Mejia", plate="ABC123"))
    d = match_candidates(lead, ix, index_version="v").row(0, named=True)
    assert (d["outcome"], d["driver_id"]) == ("matched", "NEW")
    assert '"same_person_accounts":["OLD"]' in d["evidence_json"]


def test_name_collisions_count_different_people_only():
    rows = [
        {"driver_id": "A", "full_name": "Ana Maria Lopez Diaz", "phone": "911111111"},
        {"driver_id": "B", "full_name": "Ana Maria Lopez Diaz", "phone": "911111111"},  # same
        {"driver_id": "C", "full_name": "Rosa Elena Vega Soto", "phone": "922222222"},
        {"driver_id": "D", "full_name": "Rosa Elena Vega Soto", "phone": "933333333"},  # other
        {"driver_id": "E", "full_name": "Pedro Pablo Rios Paz", "phone": "944444444"},
    ]
    frame = pl.DataFrame([{**DRIVER_DEFAULTS, **r} for r in rows], infer_schema_length=None)
    ix = prepare_index(build_driver_index(frame))
    got = name_collisions(ix.frame, ix.token_counts)
    assert got["floor"] == 2 / 5  # C-D and D-C among five long names; A-B is one person
    assert got == ix.name_collisions
