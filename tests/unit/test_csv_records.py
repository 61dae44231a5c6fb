"""CSV records by file line and field count (intake/csv_records.py, csv_reader.py)."""

from __future__ import annotations

import pytest

from idgap.intake import csv_records
from idgap.intake.contract import ALL
from idgap.intake.csv_reader import LINE, REASON, csv_source, read_csv_bytes

DRIVERS = ALL["drivers"]


def test_lines_and_field_counts_follow_quotes_across_newlines():
    raw = b'a,b,c\n1,"x\ny",3\n"q""uoted, comma",5,6\n7,8\n'
    rec = csv_records.scan(raw)
    assert rec.lines.tolist() == [1, 2, 4, 5]
    assert rec.fields.tolist() == [3, 3, 3, 2]
    bad, reasons = csv_records.problems(rec)
    assert bad.tolist() == [3] and reasons == ["too few fields: 2 instead of 3"]
    assert not rec.unterminated


def test_an_unterminated_quote_at_the_end_is_a_truncated_file():
    rec = csv_records.scan(b'a,b\n1,2\n3,"cut her')
    bad, reasons = csv_records.problems(rec)
    assert bad.tolist() == [2]
    assert reasons == ["unterminated quoted field: the file looks truncated"]


def test_rows_carry_their_file_line_and_bad_shapes_are_rejects():
    data = (
        b"driver_id,park_id,full_name\n"
        b'D1,P1,"Ana\nQuispe"\n'  # a quoted newline: the next record starts on line 4
        b"D2,P1\n"  # too few
        b"D3,P1,Luis,extra\n"  # too many
        b"\n"  # blank: a row of nulls, as before (rejected later for its missing key)
        b"D4,P2,Rosa\n"
        b"D5,P2"  # truncated last line, no newline
    )
    rows, rejects = read_csv_bytes(data, DRIVERS, name="drivers.csv")
    assert rows.select(LINE, "driver_id").rows() == [(2, "D1"), (6, None), (7, "D4")]
    assert rows["full_name"][0] == "Ana\nQuispe"
    assert rejects.select(LINE, REASON).rows() == [
        (4, "too few fields: 2 instead of 3"),
        (5, "too many fields: 4 instead of 3"),
        (8, "too few fields: 2 instead of 3"),
    ]
    assert rejects["_raw_line"].to_list() == ["D2,P1", "D3,P1,Luis,extra", "D5,P2"]


def test_crlf_files_and_a_file_without_a_final_newline():
    rows, rejects = read_csv_bytes(b"driver_id,park_id\r\nD1,P1\r\nD2,P2", DRIVERS, name="d.csv")
    assert rows.select(LINE, "driver_id", "park_id").rows() == [(2, "D1", "P1"), (3, "D2", "P2")]
    assert rejects.height == 0


@pytest.mark.parametrize(
    "data",
    [b"driver_id,park_id\nD1\n", b"driver_id,park_id\nD1,P1,x\n", b'driver_id,x\nD1,"cut\n'],
)
def test_a_file_whose_only_rows_are_bad_loads_none_and_rejects_them(data):
    rows, rejects = read_csv_bytes(data, DRIVERS, name="d.csv")
    assert rows.height == 0 and rejects[LINE].to_list() == [2]


def test_a_source_says_whether_its_file_holds_a_nul_byte():
    clean = csv_source(b"driver_id,park_id\nD1,P1\n", DRIVERS, name="d.csv")
    with_nul = csv_source(b"driver_id,park_id\nD1,P\x001\n", DRIVERS, name="d.csv")
    assert clean.nul_free and not with_nul.nul_free
