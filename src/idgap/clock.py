"""The one place that reads the wall clock and says which day it is in the park.

Services take `now`/`today` as arguments; callers get them here. "Today" is the park's
calendar day (setting `timezone`, IDGAP_TIMEZONE), not the UTC one: at 21:00 in Lima it is
already tomorrow in UTC, and a lead from this morning is 0 days old, not 1.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "America/Lima"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@lru_cache(maxsize=8)
def zone(timezone: str) -> ZoneInfo:
    return ZoneInfo(timezone)


def park_day(now: dt.datetime, timezone: str) -> dt.date:
    """The park's calendar day at the instant `now` (a naive `now` is UTC, as SQLite's)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(zone(timezone)).date()


def today(timezone: str) -> dt.date:
    """Today in the park."""
    return park_day(utc_now(), timezone)
