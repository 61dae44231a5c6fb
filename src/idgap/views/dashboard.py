"""The dashboard: totals, job tiles, reason x risk, one page of leads, alert groups, trend."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from idgap.clock import park_day
from idgap.gaps.alerts import alert_groups
from idgap.gaps.query import GapFilters
from idgap.gaps.read import gap_items, gap_summary, recovery_status
from idgap.gaps.trend import TREND_DAYS, gap_trend

PAGE_SIZE = 25


@dataclass(frozen=True)
class DashboardQuery:
    filters: GapFilters = field(default_factory=GapFilters)
    sort: str | None = None
    page: int = 1
    page_size: int = PAGE_SIZE

    @property
    def filtered(self) -> bool:
        return any(v is not None for v in dataclasses.asdict(self.filters).values())


def dashboard_view(
    conn: sa.Connection, *, query: DashboardQuery, now: dt.datetime, timezone: str
) -> dict[str, Any]:
    """Ages and the trend count in the park's days (`timezone`); the trend has the tiles' leads."""
    day = park_day(now, timezone)
    f = query.filters
    summary = gap_summary(conn, filters=f, today=day)
    page = gap_items(
        conn, filters=f, page=query.page, page_size=query.page_size, sort=query.sort, today=day
    )
    return {
        "as_of": day,
        "filters": dataclasses.asdict(f),
        "filtered": query.filtered,
        "sort": query.sort,
        "totals": summary["totals"],
        "breakdown": summary["breakdown"],
        "job": recovery_status(conn, now=now),
        "items": page["items"],
        "meta": page["meta"],
        "alerts": alert_groups(conn, filters=f, today=day),
        "trend": gap_trend(conn, filters=f, today=day, timezone=timezone, days=TREND_DAYS),
    }
