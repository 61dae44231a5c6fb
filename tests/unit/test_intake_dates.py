"""Date parsing (SPEC §2): every accepted format round-trips; garbage never becomes a date."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from idgap.intake.dates import parse_date, parse_date_column, parse_datetime

FORMATS = [
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
]
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))


def parse(values: list[str | None]) -> list[dt.date | None]:
    return (
        pl.DataFrame({"v": values}, schema={"v": pl.Utf8})
        .select(parse_date(pl.col("v")).alias("v"))["v"]
        .to_list()
    )


@given(dates, st.sampled_from(FORMATS), st.integers(0, 23), st.integers(0, 59))
def test_every_accepted_format_round_trips(day, fmt, hour, minute):
    text = dt.datetime.combine(day, dt.time(hour, minute, 7)).strftime(fmt)
    assert parse([text, f"  {text} "]) == [day, day]


@given(dates, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_timestamps_keep_their_time(day, h, m, s):
    stamp = dt.datetime.combine(day, dt.time(h, m, s))
    df = pl.DataFrame({"v": [stamp.strftime("%Y-%m-%d %H:%M:%S")]})
    assert df.select(parse_datetime(pl.col("v")).alias("v"))["v"][0] == stamp


@given(st.text(alphabet="abcxyz:;!? ", min_size=1, max_size=12))
def test_text_without_digits_never_parses(junk):
    assert parse([junk]) == [None]


def test_impossible_and_ambiguous_garbage_is_rejected():
    assert (
        parse(["31-02-2026", "2026-13-01", "2026-01-12 25:00", "12/01/26", "", None, "2026-01-12x"])
        == [None] * 7
    )


def test_the_column_parser_gives_the_expression_s_values():
    values = pl.Series(
        "d",
        ["2026-01-12", " 2026-01-12 ", "2026-02-31", "12-01-2026", "5/1/2026", "2026/1/5",
         "12.01.2026", "2026-01-12 09:30", "2026-01-12T09:30:00.5+00", None, "", "x",
         "1899-12-31", "2200-01-01", "2026-01-12x", "26-01-12", "2026-1-12"] * 3,
    )  # fmt: skip
    expected = pl.select(parse_date(pl.lit(values))).to_series()
    got = parse_date_column(values)
    assert got.dtype == pl.Date and got.name == "d"
    assert got.to_list() == expected.to_list()
    assert got.null_count() < got.len()  # the list holds real dates too
