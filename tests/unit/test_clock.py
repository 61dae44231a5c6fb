"""Today in the park: the calendar day in IDGAP_TIMEZONE, not in UTC."""

from __future__ import annotations

import datetime as dt

import pytest

from idgap import clock

LIMA = "America/Lima"  # UTC-5, no daylight saving


@pytest.mark.parametrize(
    ("instant", "tz", "day"),
    [
        (dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC), LIMA, dt.date(2026, 12, 1)),  # 22:00 Lima
        (dt.datetime(2026, 12, 2, 4, 59, tzinfo=dt.UTC), LIMA, dt.date(2026, 12, 1)),
        (dt.datetime(2026, 12, 2, 5, 0, tzinfo=dt.UTC), LIMA, dt.date(2026, 12, 2)),  # midnight
        (dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC), "UTC", dt.date(2026, 12, 2)),
        (dt.datetime(2026, 12, 2, 3, 0), LIMA, dt.date(2026, 12, 1)),  # naive = UTC (SQLite)
        (dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC), "Asia/Tokyo", dt.date(2026, 12, 2)),
    ],
)
def test_park_day_is_the_day_in_the_park(instant, tz, day):
    assert clock.park_day(instant, tz) == day


def test_today_reads_the_one_clock(monkeypatch):
    late = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "utc_now", lambda: late)
    assert clock.today(LIMA) == dt.date(2026, 12, 1)
    assert clock.today("UTC") == dt.date(2026, 12, 2)


def test_settings_default_to_the_parks_zone():
    from idgap.config import Settings

    assert Settings(database_url="sqlite://").timezone == clock.DEFAULT_TIMEZONE == LIMA


def test_utc_offsets_find_each_daylight_saving_change():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert clock.utc_offsets(LIMA, start, end) == [(start, dt.timedelta(hours=-5))]
    changes = clock.utc_offsets("America/Santiago", start, end)
    assert changes == [
        (start, dt.timedelta(hours=-3)),
        (dt.datetime(2026, 4, 5, 3, tzinfo=dt.UTC), dt.timedelta(hours=-4)),
        (dt.datetime(2026, 9, 6, 4, tzinfo=dt.UTC), dt.timedelta(hours=-3)),
    ]


def test_local_midnight_is_the_utc_instant_the_day_begins():
    assert clock.local_midnight(dt.date(2026, 12, 1), LIMA) == dt.datetime(
        2026, 12, 1, 5, tzinfo=dt.UTC
    )
