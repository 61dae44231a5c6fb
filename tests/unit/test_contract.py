"""The data contract (SPEC §2) and the pure shaping of a file into rows and rejects."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from idgap.errors import InputError
from idgap.intake.contract import ALL, SOURCES, spec_for, table_for_file
from idgap.intake.csv_reader import read_csv_bytes
from idgap.intake.prepare import prepare

LEADS = SOURCES["module_ct_cabinet_leads"]
DRIVERS = SOURCES["drivers"]


def shaped(text: str, table: str = "module_ct_cabinet_leads"):  # type: ignore[no-untyped-def]
    spec = ALL[table]
    return prepare(read_csv_bytes(text.encode(), spec, name="f.csv")[0], spec)


def test_file_names_map_to_contract_tables():
    assert table_for_file("drivers.csv") == "drivers"
    assert table_for_file("/exports/module_ct_cabinet_leads.CSV") == "module_ct_cabinet_leads"
    assert table_for_file("identity_links.csv") == "identity_links"
    assert table_for_file("drivers.csv.bak") is None and table_for_file("truth.csv") is None
    assert spec_for("summary_daily", "whatever.csv").key == ("driver_id", "activity_date")
    with pytest.raises(InputError, match="cannot tell which table"):
        spec_for(None, "export.csv")


def test_leads_need_lead_created_at_and_one_of_the_ids():
    assert LEADS.missing_headers(["id", "lead_created_at"]) == []
    assert LEADS.missing_headers(["external_id"]) == ["lead_created_at"]
    assert LEADS.missing_headers(["lead_created_at"]) == ["external_id or id"]


def test_lead_id_rule_lead_date_and_extra_columns():
    rows, rejects = shaped(
        "id,external_id,lead_created_at,asset_color,park_name\n"
        "7,,2026-11-01 23:59,Rojo,YEGO\n8,Y-8,02/11/2026,,\n"
    )
    assert rejects.height == 0
    assert rows["lead_id"].to_list() == ["7", "Y-8"]
    assert rows["lead_date"].to_list() == [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
    assert [json.loads(v) for v in rows["idgap_extra"]] == [
        {"asset_color": "Rojo", "park_name": "YEGO"},
        {"asset_color": None, "park_name": None},
    ]


def test_headers_are_trimmed_and_case_insensitive_values_trimmed_and_empty_is_null():
    rows, _ = shaped(" Driver_ID ,Phone\n  D1 ,  \n", "drivers")
    assert rows.select("driver_id", "phone").row(0) == ("D1", None)


def test_row_hash_ignores_column_order_and_date_spelling_but_not_values():
    a, _ = shaped("driver_id,park_id,hire_date\nD1,P,2026-01-05\n", "drivers")
    b, _ = shaped("hire_date,driver_id,park_id\n05.01.2026,D1,P\n", "drivers")
    c, _ = shaped("driver_id,park_id,hire_date\nD1,Q,2026-01-05\n", "drivers")
    assert a["idgap_row_hash"][0] == b["idgap_row_hash"][0] != c["idgap_row_hash"][0]
    assert len(a["idgap_row_hash"][0]) == 32


def test_rejects_carry_line_reason_and_raw_values_and_first_duplicate_wins():
    rows, rejects = shaped(
        "driver_id,park_id,hire_date\nD1,P,2026-01-05\n,P,\nD2,P,ayer\nD1,Q,\n", "drivers"
    )
    assert rows["driver_id"].to_list() == ["D1"] and rows["park_id"].to_list() == ["P"]
    assert rejects.select("_line", "_reason", "hire_date").rows() == [
        (3, "missing key driver_id", None),
        (4, "unparsable date in hire_date: 'ayer'", "ayer"),
        (5, "duplicate key driver_id=D1 (first at line 2)", None),
    ]


def test_summary_daily_counts_must_be_whole_numbers():
    rows, rejects = shaped(
        "driver_id,date_file,count_orders_completed,sum_work_time_seconds\n"
        "D1,01-11-2026,3.0,\nD1,02-11-2026,x,5\nD1,03-11-2026,,5\n",
        "summary_daily",
    )
    assert rows.select("count_orders_completed", "sum_work_time_seconds").row(0) == (3, 0)
    assert rejects["_reason"].to_list() == [
        "count_orders_completed is not a whole number: 'x'",
        "missing count_orders_completed",
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "the file is empty"),
        (b"driver_id\n", "has a header but no data rows"),
        (b"park_id\nP\n", "missing required column(s) driver_id"),
        (b"driver_id,DRIVER_ID\nD1,D2\n", "repeated column(s) driver_id"),
        (b"driver_id\nJos\xe9\n", "not UTF-8 text (undecodable byte 0xe9 on line 2)"),
    ],
)
def test_files_refused_whole(data, problem):
    with pytest.raises(InputError) as err:
        read_csv_bytes(data, DRIVERS, name="drivers.csv")
    assert err.value.message.startswith(f"drivers.csv: {problem}")


def test_a_bom_is_not_part_of_the_first_header():
    frame, _ = read_csv_bytes(b"\xef\xbb\xbfdriver_id\nD1\n", DRIVERS, name="d.csv")
    assert frame.columns == ["driver_id", "_line"] and frame.dtypes == [pl.Utf8, pl.Int64]
