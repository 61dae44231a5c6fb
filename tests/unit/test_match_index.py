"""The driver index: raw `drivers` columns -> normalised frame, incremental update, version."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from idgap.matching.index import (
    INDEX_COLUMNS,
    build_driver_index,
    changed_driver_ids,
    index_version,
    update_driver_index,
)

RAW = pl.DataFrame(
    {
        "driver_id": ["D1", "D2", "D3"],
        "park_id": ["P", "P", "Q"],
        "phone": ["+51 987 654 321", None, "123"],
        "license_number": ["q-111", "Q222", None],
        "license_normalized_number": [None, "Q-999", ""],
        "full_name": ["José Núñez", "", None],
        "first_name": [None, "Ana", "Luis"],
        "middle_name": [None, "", "Alberto"],
        "last_name": [None, "de la Cruz", "Rojas"],
        "car_number": ["abc-123", "X1", "Z9"],
        "car_normalized_number": [None, "XYZ-001", None],
        "car_brand": ["Toyota", None, "Kia"],
        "car_model": ["Yaris 2020", None, "Rio"],
        "hire_date": ["2026-01-05", "05/01/2026", "garbage"],
    }
)


def test_build_uses_the_reference_coalesce_rules():
    ix = build_driver_index(RAW)
    assert tuple(ix.columns) == INDEX_COLUMNS
    rows = {r["driver_id"]: r for r in ix.iter_rows(named=True)}
    assert rows["D1"]["phone_norm"] == "987654321" and rows["D3"]["phone_norm"] is None
    # license_normalized_number first, then license_number (empty counts as missing)
    assert (rows["D1"]["license_norm"], rows["D2"]["license_norm"]) == ("Q111", "Q999")
    # car_normalized_number first, then car_number
    assert (rows["D1"]["plate_norm"], rows["D2"]["plate_norm"]) == ("ABC123", "XYZ001")
    # full_name, else first + middle + last
    assert rows["D1"]["name_norm"] == "JOSE NUNEZ"
    assert rows["D2"]["name_norm"] == "ANA DE LA CRUZ"
    assert rows["D3"]["name_norm"] == "LUIS ALBERTO ROJAS"
    assert (rows["D1"]["brand_norm"], rows["D1"]["model_norm"]) == ("TOYOTA", "YARIS 2020")
    assert rows["D2"]["hire_date"] == dt.date(2026, 1, 5)
    assert rows["D3"]["hire_date"] is None


def test_hire_date_may_already_be_a_date():
    raw = RAW.with_columns(hire_date=pl.Series([dt.date(2026, 1, 5)] * 3))
    assert build_driver_index(raw)["hire_date"].to_list() == [dt.date(2026, 1, 5)] * 3


def test_version_is_order_free_and_changes_with_content():
    ix = build_driver_index(RAW)
    assert index_version(ix) == index_version(ix.reverse())
    changed = build_driver_index(RAW.with_columns(car_model=pl.Series(["Yaris", None, "Rio"])))
    assert index_version(changed) != index_version(ix)
    assert index_version(ix.head(0)) == "empty"


def test_update_renormalises_only_new_or_changed_drivers():
    ix = build_driver_index(RAW)
    edited = RAW.with_columns(
        car_number=pl.when(pl.col("driver_id") == "D3")
        .then(pl.lit("NEW-777"))
        .otherwise("car_number")
    )
    new_driver = RAW.head(1).with_columns(driver_id=pl.lit("D4"), phone=pl.lit("911222333"))
    incoming = pl.concat([edited, new_driver])
    assert sorted(changed_driver_ids(ix, incoming).to_list()) == ["D3", "D4"]
    updated = update_driver_index(ix, incoming)
    assert updated.sort("driver_id").equals(build_driver_index(incoming).sort("driver_id"))
    assert index_version(updated) != index_version(ix)


def test_update_with_nothing_changed_returns_the_same_index():
    ix = build_driver_index(RAW)
    assert update_driver_index(ix, RAW) is ix


@pytest.mark.parametrize("column", ["phone", "full_name", "car_number", "hire_date", "park_id"])
def test_row_hash_follows_every_raw_input(column):
    before = build_driver_index(RAW)["row_hash"]
    after = build_driver_index(RAW.with_columns(pl.lit("2020-02-02").alias(column)))["row_hash"]
    assert (before != after).all()
