"""The one place that reads the wall clock; services take `now`/`today` as arguments."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return utc_now().date()
