"""Date parsing (SPEC §2) as Polars expressions: every accepted form round-trips, and a value
that is not exactly one of them never silently becomes a date."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from idgap.intake.dates import DATE_SHAPES, parse_date, parse_datetime

DATE_FORMS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y"]
STAMP_FORMS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))
times = st.times().map(lambda t: t.replace(microsecond=0))


def dates_of(values: list[str | None]) -> list[dt.date | None]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Utf8})
    return frame.select(parse_date(pl.col("v")))["v"].to_list()


def stamps_of(values: list[str | None]) -> list[dt.datetime | None]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Utf8})
    return frame.select(parse_datetime(pl.col("v")))["v"].to_list()


@given(days, st.sampled_from(DATE_FORMS))
def test_every_date_form_round_trips(day, form):
    text = day.strftime(form)
    assert dates_of([text, f" {text}  "]) == [day, day]
    assert stamps_of([text]) == [dt.datetime.combine(day, dt.time())]


@given(days, times, st.sampled_from(STAMP_FORMS))
def test_timestamps_round_trip_to_the_minute_or_second(day, time, form):
    stamp = dt.datetime.combine(day, time)
    text = stamp.strftime(form)
    expected = stamp if form.endswith("%S") else stamp.replace(second=0)
    assert stamps_of([text]) == [expected]
    assert dates_of([text]) == [day]


@given(days, times)
def test_database_text_forms_keep_the_written_time(day, time):
    stamp = dt.datetime.combine(day, time)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%S")
    assert stamps_of([f"{iso}.25+00", f"{iso}Z", iso.replace("T", " ") + "-05:00"]) == [
        stamp.replace(microsecond=250_000), stamp, stamp
    ]  # fmt: skip


ACCEPTED = [re.compile(shape) for shape, _ in DATE_SHAPES] + [
    re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$")
]


@given(st.text(alphabet="0123456789-/.: T+Zx", max_size=22))
@example("2026-02-30")
@example("31/04/2026")
@example("12/01/26")
@example("2026-01-12 24:00")
@example("2026-01-12 10:61")
@example("20260112")
@example("0000-01-01")
def test_garbage_never_parses_silently(text):
    got = dates_of([text])[0]
    if got is None:
        return
    # anything that parsed has one accepted shape and names that very day
    stripped = text.strip()
    assert any(p.match(stripped) for p in ACCEPTED), text
    numbers = [int(n) for n in re.findall(r"\d+", stripped)[:3]]
    ymd = numbers if len(str(re.findall(r"\d+", stripped)[0])) == 4 else numbers[::-1]
    assert (got.year, got.month, got.day) == tuple(ymd)


def test_impossible_ambiguous_and_empty_values_stay_null():
    bad = ["31-02-2026", "2026-13-01", "2026-01-12 25:00", "12/01/26", "", "  ", None,
           "2026-01-12x", "2026-01-12 10:30:60", "1899-12-31", "2026-1-5", "5-1-26",
           "hoy"]  # fmt: skip
    assert dates_of(bad) == [None] * len(bad)
    assert stamps_of(bad) == [None] * len(bad)


def test_one_digit_day_and_month_as_spreadsheets_write_them():
    assert dates_of(["5/1/2026", "5.1.2026", "2026/1/5"]) == [dt.date(2026, 1, 5)] * 3
