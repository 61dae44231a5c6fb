"""Source rows -> the canonical candidates frame."""

from __future__ import annotations

import datetime as dt

import polars as pl

from idgap.matching.candidates import leads_to_candidates, scouting_to_candidates
from idgap.matching.engine import match_candidates
from tests.unit.match_support import index_of

LEADS = pl.DataFrame(
    {
        "id": [1, 2, 3],
        "external_id": ["ext-1", "", None],
        "lead_created_at": ["2026-01-10 09:30:00", "10/01/2026", "soon"],
        "park_phone": ["+51 987 654 321", "", None],
        "first_name": ["Juan", "Ana", None],
        "middle_name": ["", None, None],
        "last_name": ["Quispe Mamani", "Rojas", "Solo"],
        "asset_plate_number": ["ABC-123", None, ""],
        "asset_model": ["Yaris", None, None],
    }
)


def test_leads_map_to_candidates():
    c = leads_to_candidates(LEADS)
    assert c["source_table"].unique().to_list() == ["module_ct_cabinet_leads"]
    assert c["source_pk"].to_list() == ["ext-1", "2", "3"]  # external_id else id
    assert c["lead_date"].to_list() == [dt.date(2026, 1, 10), dt.date(2026, 1, 10), None]
    assert c["name_raw"].to_list() == ["Juan Quispe Mamani", "Ana Rojas", "Solo"]
    assert c["date_error"].to_list() == [False, False, True]
    assert c["license_raw"].null_count() == 3


def test_unparsable_lead_date_is_invalid_date_format_through_the_engine():
    d = match_candidates(
        leads_to_candidates(LEADS), index_of({"driver_id": "D1"}), index_version="v"
    )
    assert d["reason_code"][2] == "INVALID_DATE_FORMAT"


def test_scouting_rows_use_phone_license_and_name():
    rows = pl.DataFrame(
        {
            "id": [7],
            "driver_phone": ["987654321"],
            "driver_license": ["Q-1234"],
            "driver_name": ["Juan Quispe"],
            "registration_date": ["2026-01-10"],
        }
    )
    c = scouting_to_candidates(rows)
    assert c.select("source_table", "source_pk", "license_raw", "plate_raw").row(0) == (
        "module_ct_scouting_daily",
        "7",
        "Q-1234",
        None,
    )
    ix = index_of({"driver_id": "D1", "license_number": "Q1234", "full_name": "Juan Quispe"})
    d = match_candidates(c, ix, index_version="v").row(0, named=True)
    assert (d["outcome"], d["driver_id"]) == ("matched", "D1")
