"""idgap's scored ruleset: what it recovers beyond ct4, and what it refuses to link."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idgap.matching import idgap_rules, similarity
from idgap.matching.engine import DECISION_SCHEMA, match_candidates
from idgap.matching.settings import MatchSettings
from idgap.matching.similarity import fuzzy_similarity
from tests.unit.match_support import (
    OTHER,
    PARK,
    candidate,
    decide,
    frame_of,
    index_of,
)

NAME = "Juan Carlos Quispe Mamani"
OWN = {"driver_id": "D1", "car_number": "ABC123", "full_name": NAME, "car_model": "Yaris"}


@pytest.mark.parametrize(
    ("case", "lead"),
    [
        ("exact plate and name", {"plate": "ABC-123", "name": NAME}),
        ("one confusable plate character", {"plate": "A8C123", "name": NAME}),
        ("two confusable characters", {"plate": "A8C1Z3".replace("Z", "2"), "name": NAME}),
        ("reordered name", {"plate": "ABC123", "name": "Quispe Mamani Juan Carlos"}),
        ("missing second surname", {"plate": "ABC123", "name": "Juan Carlos Quispe"}),
        ("missing middle name", {"plate": "ABC123", "name": "Juan Quispe Mamani"}),
        ("typo in a surname", {"plate": "ABC123", "name": "Juan Carlos Qusipe Mamani"}),
        ("phone only", {"phone": "+51 987 654 321"}),
        (
            "scouting: license and name",
            {"license": "Q-1234", "name": NAME, "table": "module_ct_scouting_daily"},
        ),  # noqa: E501
    ],
)
def test_links_what_the_evidence_supports(case, lead):
    ix = index_of({**OWN, "phone": "987654321", "license_number": "Q1234"})
    d = decide(candidate(**lead), ix)
    assert (d["outcome"], d["driver_id"], d["rule"]) == ("matched", "D1", "IG_SCORED"), case
    assert d["confidence"] in {"HIGH", "MEDIUM", "LOW"}
    assert d["evidence"]["park"] == "target"


def test_ct4_misses_a_confusable_plate_and_a_dropped_surname_idgap_links_them():
    ix = index_of(OWN)
    lead = candidate(plate="A8C123", name="Juan Carlos Quispe")
    assert decide(lead, ix, "ct4")["outcome"] == "unmatched"
    assert decide(lead, ix)["driver_id"] == "D1"


def test_hire_far_outside_window_still_links_strong_unique_evidence():
    ix = index_of({**OWN, "hire_date": "2023-03-01"})
    d = decide(candidate(plate="ABC123", name=NAME, model="Toyota Yaris"), ix)
    assert (d["outcome"], d["driver_id"]) == ("matched", "D1")
    assert d["evidence"]["hire_days_from_lead"] < -1000


def test_another_parks_account_is_review_never_matched():
    ix = index_of({**OWN, "park_id": OTHER, "phone": "987654321"})
    d = decide(candidate(phone="987654321", plate="ABC123", name=NAME), ix)
    assert (d["outcome"], d["reason_code"], d["driver_id"]) == ("review", "OTHER_PARK_ONLY", None)
    assert [c["driver_id"] for c in d["candidates"]] == ["D1"]
    assert d["candidates"][0]["evidence"]["park"] == "other"


def test_conflicting_strong_evidence_for_two_drivers_is_review_multiple_candidates():
    ix = index_of(
        {"driver_id": "D1", "phone": "987654321", "full_name": NAME},
        {"driver_id": "D2", "car_number": "ABC123", "full_name": NAME},
    )
    d = decide(candidate(phone="987654321", plate="ABC123", name=NAME), ix)
    assert (d["outcome"], d["reason_code"], d["driver_id"]) == (
        "review",
        "MULTIPLE_CANDIDATES",
        None,
    )
    assert {c["driver_id"] for c in d["candidates"]} == {"D1", "D2"}


def test_family_sharing_a_car_links_the_right_given_name():
    ix = index_of(
        OWN,
        {**OWN, "driver_id": "D2", "full_name": "Rosa Quispe Mamani", "hire_date": "2025-01-01"},
    )  # noqa: E501
    d = decide(candidate(plate="ABC123", name=NAME), ix)
    assert (d["outcome"], d["driver_id"]) == ("matched", "D1")


def test_name_alone_is_never_enough_to_link():
    """Another car and an account hired long before the lead: only the name agrees."""
    ix = index_of(
        {"driver_id": "D1", "full_name": NAME, "car_model": "Corolla", "car_number": "ZZZ999",
         "hire_date": "2024-03-01"}
    )  # fmt: skip
    d = decide(candidate(plate="NEW001", name=NAME, model="Yaris"), ix)
    assert (d["outcome"], d["reason_code"]) == ("review", "WEAK_MATCH_ONLY")
    assert d["candidates"][0]["driver_id"] == "D1"


def test_a_changed_car_links_on_a_rare_full_name_the_model_and_the_hire_date_together():
    """Matching 3.1: the lead's car changed (another plate), but the very same rare full name,
    the same model and a hire two days after the lead agree: the evidence is enough."""
    ix = index_of(
        {"driver_id": "D1", "full_name": NAME, "car_model": "Yaris", "car_number": "ZZZ999"}
    )
    d = decide(candidate(plate="NEW001", name=NAME, model="Yaris"), ix)
    assert (d["outcome"], d["driver_id"]) == ("matched", "D1")


def test_plate_of_a_stranger_is_not_linked():
    """A sold car: the plate hits, the name contradicts."""
    ix = index_of({"driver_id": "D1", "car_number": "ABC123", "full_name": "Pedro Rojas Salas"})
    d = decide(candidate(plate="ABC123", name=NAME), ix)
    assert d["outcome"] != "matched" and d["probability"] < 0.9
    assert d["candidates"][0]["evidence"]["name"] == "contradicts"


def test_nothing_found_is_no_candidates():
    d = decide(candidate(plate="QQQ999", name="Zenon Yauri"), index_of(OWN))
    assert (d["outcome"], d["reason_code"], d["candidates"]) == ("unmatched", "NO_CANDIDATES", [])


def test_review_shows_at_most_five_candidates_best_first():
    namesakes = [
        {"driver_id": f"D{i}", "full_name": NAME, "hire_date": f"2026-01-{i + 1:02d}"}
        for i in range(8)
    ]  # noqa: E501
    d = decide(candidate(plate="NEW001", name=NAME), index_of(*namesakes))
    scores = [c["score"] for c in d["candidates"]]
    assert d["outcome"] == "review" and len(scores) == 5 and scores == sorted(scores, reverse=True)
    assert {"driver_id", "park_id", "score", "name_similarity", "evidence"} <= set(
        d["candidates"][0]
    )


@pytest.mark.parametrize(
    ("cand", "reason"),
    [
        (candidate(pk=None, plate="ABC123", name=NAME), "MISSING_KEYS"),
        (candidate(pk="  ", plate="ABC123", name=NAME), "MISSING_KEYS"),
        (candidate(day=None, plate="ABC123", name=NAME), "MISSING_KEYS"),
    ],
)
def test_missing_keys_are_unmatched_whatever_the_evidence(cand, reason):
    for ruleset in ("idgap", "ct4"):
        d = decide(cand, index_of(OWN), ruleset)
        assert (d["outcome"], d["reason_code"], d["driver_id"]) == ("unmatched", reason, None)
        assert d["evidence"]["missing_keys"]


def test_unparsable_date_is_invalid_date_format():
    frame = frame_of(
        candidate(plate="ABC123", name=NAME), candidate("L2", plate="ABC123", name=NAME)
    )
    frame = frame.with_columns(date_error=pl.Series([False, True]))
    d = match_candidates(frame, index_of(OWN), index_version="v")
    assert d["reason_code"].to_list() == ["IG_SCORED", "INVALID_DATE_FORMAT"]


def test_decisions_frame_follows_the_contract():
    cands = frame_of(
        candidate("L1", plate="ABC123", name=NAME),
        candidate("L2", name="Nadie Conocido"),
        candidate("L3", phone="987654321"),
    )
    d = match_candidates(cands, index_of(OWN), settings=MatchSettings(), index_version="ix-1")
    assert dict(d.schema) == DECISION_SCHEMA
    assert d["source_pk"].to_list() == ["L1", "L2", "L3"]
    assert set(d["ruleset"]) == {"idgap"} and set(d["ruleset_version"]) == {idgap_rules.VERSION}
    assert set(d["index_version"]) == {"ix-1"}
    assert d.filter(pl.col("outcome") != "matched")["driver_id"].null_count() == 2


def test_decision_is_independent_of_row_order_and_batch():
    cands = frame_of(*(candidate(f"L{i}", plate="ABC123", name=NAME) for i in range(3)),
                     candidate("L9", plate="A8C123", name="Quispe Juan"))  # fmt: skip
    ix = index_of(OWN, {"driver_id": "D2", "car_number": "XYZ789", "full_name": "Rosa Rojas"})
    whole = match_candidates(cands, ix, index_version="v").sort("source_pk")
    reversed_ = match_candidates(cands.reverse(), ix, index_version="v").sort("source_pk")
    one = match_candidates(cands.tail(1), ix, index_version="v")
    assert whole.equals(reversed_)
    assert one.row(0) == whole.filter(pl.col("source_pk") == "L9").row(0)


def test_thresholds_come_from_settings():
    strict = MatchSettings(target_precision=1.01)
    d = match_candidates(
        frame_of(candidate(plate="ABC123", name=NAME)), index_of(OWN), settings=strict
    )
    assert (d["outcome"][0], d["reason_code"][0]) == ("review", "WEAK_MATCH_ONLY")
    assert '"target_precision":1.01' in d["evidence_json"][0]


def test_settings_round_trip_through_a_dict():
    s = MatchSettings(target_park_id="P", hire_window=(-60, 10), auto_link_margin_bits=8.0)
    assert MatchSettings.from_dict(s.to_dict()) == s
    assert MatchSettings.from_dict({**s.to_dict(), "unknown": 1}) == s
    assert MatchSettings().target_park_id == PARK


def test_unknown_ruleset_is_refused():
    with pytest.raises(ValueError, match="unknown ruleset"):
        match_candidates(frame_of(candidate()), index_of(OWN), ruleset="magic")


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("QUISPE MAMANI JUAN CARLOS", NAME.upper(), 1.0, 1.0),  # reordered
        ("JUAN CARLOS QUIPSE MAMANI", NAME.upper(), 0.85, 0.99),  # transposition typo
        ("JUAN QUISPE", NAME.upper(), 0.74, 0.76),  # two of four, both exact
        ("PEDRO ROJAS", NAME.upper(), 0.0, 0.0),
    ],
)
def test_fuzzy_similarity(a, b, low, high):
    assert low <= fuzzy_similarity(a.split(), b.split()) <= high


def test_vectorised_similarity_equals_the_python_one():
    pairs = pl.DataFrame(
        {
            "a": [["JUAN", "PEREZ"], ["JAUN", "PEREZ", "ROJAS"], [], ["ANA"]],
            "b": [["PEREZ", "JUAN"], ["JUAN", "PEREZ"], ["X"], ["ANA", "MARIA"]],
        }
    )
    got = similarity.name_similarity(pairs, "a", "b").to_list()
    want = [fuzzy_similarity(x, y) for x, y in zip(pairs["a"], pairs["b"], strict=True)]
    assert got == pytest.approx(want)


def test_hire_levels_are_graded_never_a_gate():
    from idgap.matching.comparisons import hire

    days = pl.Series([0, -30, 45, -80, -300, -1000, None])
    level = hire(MatchSettings()).level_expr()
    got = pl.DataFrame({"hire_days": days}).select(level).to_series().to_list()
    assert got == [1, 2, 3, 4, 5, 6, 0]  # close, month, late hire, quarter, year, far, unknown


def test_lead_date_drives_the_hire_evidence():
    ix = index_of({**OWN, "hire_date": "2026-03-01"})
    early = decide(candidate(plate="ABC123", name=NAME, day=dt.date(2026, 2, 25)), ix)
    late = decide(candidate(plate="ABC123", name=NAME, day=dt.date(2023, 2, 25)), ix)
    assert early["probability"] > late["probability"]


def test_phone_alone_links_only_with_the_hire_date_near_the_lead():
    near = decide(candidate(phone="987654321"), index_of({"driver_id": "D1", "phone": "987654321"}))
    far = decide(
        candidate(phone="987654321"),
        index_of({"driver_id": "D1", "phone": "987654321", "hire_date": "2022-01-01"}),
    )
    assert (near["outcome"], far["outcome"], far["reason_code"]) == (
        "matched",
        "review",
        "WEAK_MATCH_ONLY",
    )


def test_recycled_phone_with_another_persons_name_is_not_linked():
    ix = index_of({"driver_id": "D1", "phone": "987654321", "full_name": "Pedro Rojas Salas"})
    assert decide(candidate(phone="987654321", name=NAME), ix)["outcome"] != "matched"


def test_name_search_finds_the_driver_among_common_namesakes_by_hire_date():
    """Above the block cap a name key is combined with the hire month: the account hired
    around the lead date is still reached and shown first."""
    decoys = [
        {
            "driver_id": f"X{i:03d}",
            "full_name": "Jose Quispe Flores",
            "hire_date": f"202{i % 4}-0{1 + i % 9}-15",
        }  # noqa: E501
        for i in range(120)
    ]
    own = {"driver_id": "D1", "full_name": "Jose Quispe Flores", "hire_date": "2026-01-20"}
    d = decide(candidate(plate="NEW001", name="Jose Quispe Flores"), index_of(*decoys, own))
    assert d["outcome"] == "review"
    assert d["candidates"][0]["driver_id"] == "D1"


def test_a_month_crowded_with_namesakes_is_narrowed_by_the_car_model():
    """More namesakes hired in the lead's hire-month bucket than a block may hold: the name key
    is combined with the car model too, so the same-model account (its plate changed) is still
    found among the month's namesakes; without a model the month identifies nobody."""
    decoys = [
        {
            "driver_id": f"X{i:03d}",
            "full_name": "Manuel Gomez Rojas",
            "hire_date": f"2026-01-{8 + i % 20:02d}",  # one 30-day bucket, nearer than D1
            "car_model": "Sentra" if i % 30 == 0 else "Yaris",  # four Sentra, 116 Yaris
        }
        for i in range(120)
    ]
    own = {
        "driver_id": "D1",
        "full_name": "Manuel Gomez Rodriguez",
        "hire_date": "2026-02-04",
        "car_model": "Sentra",
    }
    ix = index_of(*decoys, own)
    d = decide(candidate(plate="NEW001", name="Manuel Gomez", model="Nissan Sentra"), ix)
    shown = [c["driver_id"] for c in d["candidates"]]
    assert d["outcome"] == "review" and "D1" in shown
    assert set(shown) <= {"D1", "X000", "X030", "X060", "X090"}  # only same-model namesakes
    blind = decide(candidate(plate="NEW001", name="Manuel Gomez"), ix)
    assert "D1" not in [c["driver_id"] for c in blind["candidates"]]


def test_deciding_in_slices_gives_the_same_decisions(monkeypatch):
    from idgap.matching import rulesets

    ix = index_of(
        OWN,
        {"driver_id": "D2", "full_name": "Pedro Rojas", "phone": "911222333"},
        {"driver_id": "D3", "full_name": NAME, "car_number": "XYZ999", "hire_date": "2025-01-01"},
    )
    frame = frame_of(
        candidate("L1", plate="ABC123", name=NAME),
        candidate("L2", phone="911222333", name="Pedro Rojas"),
        candidate("L3", name=NAME, plate="NEW001"),
        candidate(None, name=NAME),
        candidate("L5", name="Nadie Conocido"),
    )
    for ruleset in ("idgap", "ct4"):
        whole = match_candidates(frame, ix, ruleset=ruleset, index_version="v")
        monkeypatch.setattr(rulesets, "CHUNK", 2)
        sliced = match_candidates(frame, ix, ruleset=ruleset, index_version="v")
        monkeypatch.undo()
        assert sliced.equals(whole)
        assert whole["outcome"].to_list()[:2] == ["matched", "matched"]


def _name_pairs(left: list[list[str]], right: list[list[str]]) -> pl.DataFrame:
    """Names paired row by row (columns a, b), as many rows as the shorter list."""
    n = min(len(left), len(right))
    return pl.DataFrame(
        {"a": left[:n], "b": right[:n]}, schema={"a": pl.List(pl.Utf8), "b": pl.List(pl.Utf8)}
    )


TOKENS = ["JUAN", "JAUN", "JUANA", "PEREZ", "PERES", "QUISPE", "QUIPSE", "ROJAS", "ROJA", "ANA"]
TOKENS += ["J", "CRISTIAN", "CHRISTIAN", "CHRISTIANA"]  # initials, lengths near and far


def test_a_typo_tied_with_an_initial_breaks_the_tie_by_spelling_as_the_python_twin():
    # JUAN is one edit from JUANA (0.8) and starts with the initial J (0.8): by spelling both
    # JUAN and JAUN take J, which serves one of them (rapidfuzz's float32 0.8 once made JUANA
    # win the tie in the vectorised form only: 0.8 there against 0.4 here)
    pairs = pl.DataFrame(
        {"a": [["JUAN", "JAUN"]], "b": [["JUANA", "J"]]},
        schema={"a": pl.List(pl.Utf8), "b": pl.List(pl.Utf8)},
    )
    want = fuzzy_similarity(["JUAN", "JAUN"], ["JUANA", "J"])
    assert want == pytest.approx(0.4)
    assert similarity.name_similarity(pairs, "a", "b").to_list() == [want]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(TOKENS), max_size=5), min_size=1, max_size=8),
    st.lists(st.lists(st.sampled_from(TOKENS), max_size=5), min_size=1, max_size=8),
)
def test_vectorised_similarity_equals_the_python_twin_on_random_names(left, right):
    pairs = _name_pairs(left, right)
    n = pairs.height
    got = similarity.name_similarity(pairs, "a", "b").to_list()
    want = [fuzzy_similarity(x, y) for x, y in zip(left[:n], right[:n], strict=True)]
    assert got == pytest.approx(want)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(TOKENS), max_size=4), min_size=1, max_size=8),
    st.lists(st.lists(st.sampled_from(TOKENS), max_size=4), min_size=1, max_size=8),
)
def test_names_sharing_a_token_always_share_a_signature_bit(left, right):
    frame = _name_pairs(left, right)
    n = frame.height
    sig = frame.select(
        a=similarity.token_signature(pl.col("a")), b=similarity.token_signature(pl.col("b"))
    )
    for x, y, sa, sb in zip(left[:n], right[:n], sig["a"], sig["b"], strict=True):
        if set(x) & set(y):
            assert sa & sb
        if not x:
            assert sa == 0
