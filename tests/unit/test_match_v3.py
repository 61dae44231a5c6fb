"""Matching v3: fuzzy plates, activity evidence, re-created accounts, one-to-one, estimation."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from idgap.matching import activity
from idgap.matching.comparisons import library
from idgap.matching.engine import match_candidates
from idgap.matching.fellegi_sunter import estimate
from idgap.matching.plates import skeleton
from idgap.matching.settings import MatchSettings
from tests.unit.match_support import LEAD_DAY, candidate, decide, frame_of, index_of

NAME = "Juan Carlos Quispe Mamani"
OWN = {"driver_id": "D1", "car_number": "ABC123", "full_name": NAME, "car_model": "Yaris"}


@pytest.mark.parametrize(
    ("lead_plate", "level"),
    [
        ("ABC123", "same"),
        ("A8C123", "one confusable character"),  # B/8
        ("ABCI23", "one confusable character"),  # 1/I
        ("4BC12E", "one edit"),  # A/4 looks alike; E is not 3
        ("XBC12E", "two edits"),
        ("BAC123", "one edit"),  # adjacent transposition
        ("ABC1234", "one edit"),  # one character more
        ("AB123", "one edit"),  # one character less
        ("ABX123", "one edit"),  # another character
    ],
)
def test_plates_within_look_alikes_and_one_edit_are_found_and_graded(lead_plate, level):
    d = decide(candidate(plate=lead_plate, name=NAME, model="Yaris"), index_of(OWN))
    assert d["candidates"][0]["driver_id"] == "D1"
    assert d["candidates"][0]["evidence"]["plate"] == level


def test_confusable_classes_collapse_on_the_skeleton():
    got = pl.select(skeleton(pl.lit("OQD0 IL7T1 B8 S5 Z2 G6 A4 EF UV MN"))).item()
    assert got == "0000 11111 88 55 22 66 44 EE UU MM"


def test_a_near_plate_with_a_strangers_name_is_no_candidate():
    ix = index_of({"driver_id": "D9", "car_number": "ABX123", "full_name": "Pedro Rojas Salas"})
    d = decide(candidate(plate="ABC123", name=NAME), ix)
    assert d["reason_code"] == "NO_CANDIDATES"


def flags(band: int) -> dict:
    """Lead columns claiming `band` (0: no trip, 2: >= 5 and < 10 trips, ...)."""
    return {c: ("true" if i < band else "false") for i, c in enumerate(activity.FLAG_COLUMNS)}


def trips_of(driver: str, per_day: int, days: int = 14) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "driver_id": [driver] * days,
            "activity_date": [LEAD_DAY + dt.timedelta(days=i) for i in range(days)],
            "trips": [per_day] * days,
        }
    )


def lead_with_band(band: int, **kw) -> pl.DataFrame:
    frame = frame_of(candidate(**kw))
    return frame.with_columns(pl.lit(v).alias(k) for k, v in flags(band).items())


def test_flags_read_as_a_band():
    df = pl.DataFrame([flags(0), flags(2), {c: None for c in activity.FLAG_COLUMNS}])
    assert df.select(activity.flag_band(df)).to_series().to_list() == [0, 2, None]
    counts = pl.Series([0, 3, 7, 120])
    assert pl.select(activity.trips_band(pl.lit(counts))).to_series().to_list() == [0, 1, 2, 7]


NAMESAKES = (
    {"driver_id": "T1", "full_name": NAME, "car_model": "Yaris", "car_number": "ABC123"},
    {"driver_id": "T2", "full_name": NAME, "car_model": "Yaris", "car_number": "ABC123"},
)


def test_wrong_flags_alone_never_make_a_link():
    """Two namesakes share the family car; nothing but Yango's flags tells them apart. The
    flags point at T2 (who drove); whether they are right or wrong, they alone link nobody."""
    ix = index_of(*NAMESAKES)
    lead = lead_with_band(2, plate="ABC123", name=NAME, model="Yaris")
    trips = trips_of("T2", 1, 7)  # T2: 7 trips in the window -> band 2, as the flags say
    d = match_candidates(lead, ix, index_version="v", trips=trips).row(0, named=True)
    assert d["outcome"] == "review" and d["driver_id"] is None
    assert d["reason_code"] == "MULTIPLE_CANDIDATES"


def test_activity_confirms_a_link_the_other_evidence_already_leads_and_is_shown():
    ix = index_of(
        {**OWN, "hire_date": "2026-01-12"},
        {"driver_id": "D2", "full_name": NAME, "car_model": "Yaris", "hire_date": "2025-06-01"},
    )
    lead = lead_with_band(2, name=NAME, model="Yaris", plate="ZZZ999")
    without = match_candidates(lead, ix, index_version="v").row(0, named=True)
    trips = trips_of("D1", 1, 7)
    got = match_candidates(lead, ix, index_version="v", trips=trips).row(0, named=True)
    assert got["probability"] > without["probability"]
    import json

    ev = json.loads(got["candidates_json"])[0]["evidence"]["activity"]
    assert ev == {"level": "agree_active", "claimed_band": 2, "window_days": 7,
                  "trips_in_window": 7}  # fmt: skip


def test_recreated_account_the_one_that_drove_is_linked():
    """The same phone on two target-park accounts of one person: not an ambiguity."""
    ix = index_of(
        {"driver_id": "OLD", "phone": "987654321", "full_name": NAME, "hire_date": "2025-01-01"},
        {"driver_id": "NEW", "phone": "987654321", "full_name": NAME, "hire_date": "2026-01-09"},
    )
    lead = frame_of(candidate(phone="987654321", name=NAME))
    d = match_candidates(lead, ix, index_version="v", trips=trips_of("OLD", 2)).row(0, named=True)
    assert (d["outcome"], d["driver_id"]) == ("matched", "OLD")
    assert '"same_person_accounts":["NEW"]' in d["evidence_json"]
    d = match_candidates(lead, ix, index_version="v").row(0, named=True)
    assert d["driver_id"] == "NEW"  # nobody drove: the newest account


def test_two_persons_leads_never_link_to_one_account():
    ix = index_of({**OWN, "phone": "987654321"})
    leads = frame_of(
        candidate("L1", plate="ABC123", name=NAME, phone="987654321"),
        candidate("L2", plate="ABC123", name="Rosa Elena Torres Vega", phone="987654321"),
        candidate("L3", plate="ABC123", name="Juan Carlos Quispe"),  # the same person again
    )
    alone = match_candidates(leads.head(1), ix, index_version="v")
    assert alone["outcome"].to_list() == ["matched"]
    both = match_candidates(leads.head(2), ix, index_version="v")
    assert both["driver_id"].to_list() in ([None, None], ["D1", None])
    dup = match_candidates(leads.filter(pl.col("source_pk") != "L2"), ix, index_version="v")
    assert dup["driver_id"].to_list() == ["D1", "D1"]


def _levelled(n: int, lvl_name: int) -> pl.DataFrame:
    cols = {f"lvl_{c.name}": [0] * n for c in library(MatchSettings())}
    cols |= {"lvl_phone": [1] * n, "lvl_name": [lvl_name] * n}
    return pl.DataFrame(
        {"ci": list(range(n)), "target": [True] * n, **cols},
        schema_overrides={k: pl.UInt8 for k in cols},
    )


def test_m_is_estimated_from_unambiguous_links_and_shrunk_to_the_prior():
    s = MatchSettings()
    comps = library(s)
    contradicts = comps[3].level_of("contradicts")
    few = estimate(comps, _levelled(s.min_anchors - 1, contradicts), None, s, window=7)
    many = estimate(comps, _levelled(400, contradicts), None, s, window=7)
    prior_m = {lv.label: lv.m for lv in comps[3].levels}
    assert few.mu["name"][contradicts - 1][0] == pytest.approx(prior_m["contradicts"])
    # every anchor's name contradicted: m follows the data
    assert many.mu["name"][contradicts - 1][0] > 0.9
    assert "m:name" in many.info["estimated"] and "m:name" not in few.info["estimated"]


@pytest.mark.parametrize(
    ("lead_name", "level"),
    [("Juan Carlos Quispe M", "fuzzy_high"), ("Juan C Quispe Mamani", "fuzzy_high")],
)
def test_an_initial_counts_as_the_token_it_starts(lead_name, level):
    d = decide(candidate(plate="ABC123", name=lead_name), index_of(OWN))
    name = next(b for b in d["candidates"][0]["breakdown"] if b["comparison"] == "name")
    assert name["level"] == level


def test_a_nickname_is_compared_as_the_given_name():
    ix = index_of({**OWN, "full_name": "Jesus Zambrano Quispe"})
    d = decide(candidate(plate="ABC123", name="Chucho Zambrano Quispe"), ix)
    name = next(b for b in d["candidates"][0]["breakdown"] if b["comparison"] == "name")
    assert name["level"] == "exact"
