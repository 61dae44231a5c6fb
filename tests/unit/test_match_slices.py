"""Deciding a park slice by slice gives exactly the decisions of deciding it whole: the m/u
estimates and the activity window come from every slice's unambiguous links, and each
candidate is scored on its own pairs."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from idgap.matching import idgap_rules, rulesets
from idgap.matching.activity import TRIPS_SCHEMA
from idgap.matching.candidates import leads_to_candidates
from idgap.matching.engine import match_candidates
from idgap.matching.index import build_driver_index
from idgap.matching.normalize import parse_date_text
from idgap.matching.prepared import prepare_index
from idgap.matching.settings import MatchSettings
from idgap.synth import generate_park

DAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def hard_park():
    park = generate_park(leads=600, drivers=9_000, seed=17, anchor_date=DAY, variant="hard")
    sd = park.summary_daily
    trips = sd.select(
        pl.col("driver_id").cast(pl.Utf8),
        activity_date=parse_date_text(pl.col("date_file").cast(pl.Utf8)),
        trips=pl.col("count_orders_completed").cast(pl.Int64),
    ).cast(TRIPS_SCHEMA)  # type: ignore[arg-type]
    index = prepare_index(build_driver_index(park.drivers))
    return leads_to_candidates(park.cabinet_leads), index, trips


def test_slices_decide_as_the_whole_park(hard_park, monkeypatch):
    cands, index, trips = hard_park
    learnt = []
    estimate = idgap_rules.estimate
    monkeypatch.setattr(
        idgap_rules, "estimate", lambda *a, **k: learnt.append(estimate(*a, **k)) or learnt[-1]
    )
    whole = match_candidates(cands, index, index_version="v", trips=trips)
    monkeypatch.setattr(rulesets, "CHUNK", 97)  # seven slices, the last one short
    sliced = match_candidates(cands, index, index_version="v", trips=trips)
    assert sliced.equals(whole)
    # m and u were learnt from the park's links, more than a slice of 97 leads holds (about
    # one in ten leads is one): an estimate per slice would stay at the priors
    info = learnt[0].info
    assert {"m:name", "m:plate", "u:hire"} <= set(info["estimated"])
    assert info["anchors"] >= MatchSettings().min_anchors and info["random_pairs"] > 0
    assert learnt[1].to_dict() == learnt[0].to_dict()
    assert set(whole["outcome"]) == {"matched", "review", "unmatched"}
