"""The synthetic park: deterministic per seed, consistent truth, realistic mess."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from idgap.synth import generate_park, write_park
from idgap.synth.park import YEGO

DAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def park():
    return generate_park(leads=400, drivers=6000, seed=3, anchor_date=DAY)


def test_same_seed_same_park_other_seed_other_park(park):
    again = generate_park(leads=400, drivers=6000, seed=3, anchor_date=DAY)
    assert again.cabinet_leads.equals(park.cabinet_leads) and again.drivers.equals(park.drivers)
    other = generate_park(leads=400, drivers=6000, seed=4, anchor_date=DAY)
    assert not other.cabinet_leads.equals(park.cabinet_leads)


def test_truth_is_consistent_with_the_tables(park):
    leads = park.cabinet_leads.with_columns(
        lead_id=pl.when(pl.col("external_id") != "").then(pl.col("external_id")).otherwise(pl.col("id").cast(pl.Utf8)))
    assert set(park.truth["lead_id"]) == set(leads["lead_id"])
    true = park.truth.filter(pl.col("true_driver_id") != "")
    target = park.drivers.filter(pl.col("park_id") == YEGO)
    assert set(true["true_driver_id"]) <= set(target["driver_id"])
    assert park.drivers.height == 6000 and park.drivers["driver_id"].n_unique() == 6000


def test_realistic_mess_is_present(park):
    names = " ".join(park.drivers["full_name"].to_list())
    assert "ñ" in names.lower() and any(c in names for c in "áéíóúÁÉÍÓÚ")
    phones = park.cabinet_leads["park_phone"]
    assert 0.05 < (phones != "").mean() < 0.35  # leads mostly come without phone
    assert (park.cabinet_leads["external_id"] == "").sum() > 0  # some leads only have `id`
    plates = park.drivers.group_by("car_number").len().filter(pl.col("len") > 1)
    assert plates.height > 0  # shared family cars
    cases = set(park.truth["case"])
    assert {"plate_confusable", "plate_outside_window", "other_park_only", "never_converted"} <= cases
    phones_by_park = park.drivers.filter(pl.col("phone") != "").with_columns(
        p=pl.col("phone").str.replace_all(r"\D", "").str.slice(-9)).group_by("p").agg(pl.col("park_id").n_unique())
    assert (phones_by_park["park_id"] > 1).any()  # phones shared across parks
    trips = park.summary_daily.group_by("driver_id").agg(pl.col("count_orders_completed").sum())
    assert (trips["count_orders_completed"] >= 25).any()


def test_files_have_the_contract_headers(park, tmp_path):
    write_park(park, tmp_path)
    header = (tmp_path / "module_ct_cabinet_leads.csv").read_text().splitlines()[0].split(",")
    assert {"id", "external_id", "lead_created_at", "park_phone", "first_name", "middle_name", "last_name",
            "asset_plate_number", "asset_model", "created_at"} <= set(header)
    assert (tmp_path / "truth_leads.csv").read_text().startswith("lead_id,true_driver_id,case")
