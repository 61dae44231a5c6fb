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
