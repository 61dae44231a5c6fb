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


def local_midnight(day: dt.date, timezone: str) -> dt.datetime:
    """The UTC instant the park's `day` begins."""
    return dt.datetime.combine(day, dt.time(), zone(timezone)).astimezone(dt.UTC)


def utc_offsets(
    timezone: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.timedelta]]:
    """The zone's UTC offset over [start, end): [(from this instant on, offset)], in order.

    One entry per daylight-saving change (none in Lima); each change is found to the second.
    """
    tz = zone(timezone)

    def offset(t: dt.datetime) -> dt.timedelta:
        return t.astimezone(tz).utcoffset() or dt.timedelta()

    out = [(start, offset(start))]
    step, t = dt.timedelta(days=1), start  # zones change at most once a day
    while t < end:
        nxt = min(t + step, end)
        if offset(nxt) != out[-1][1]:
            lo, hi = t, nxt  # offset(lo) is the old one, offset(hi) the new
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if offset(mid) == out[-1][1] else (lo, mid)
            out.append((hi.replace(microsecond=0), offset(hi)))
        t = nxt
    return out
