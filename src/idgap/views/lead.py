"""One lead: source row, status, decisions and the trips of its claim window up to today."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from idgap.config import Settings
from idgap.identity import read as identity


def trips_per_day(
    rows: list[dict[str, Any]], window: dict[str, Any] | None, *, today: dt.date
) -> list[dict[str, Any]]:
    """Each day of the claim window that has begun (none in the future) with its trips."""
    if not window:
        return []
    per_day: dict[dt.date, int] = {}
    for row in rows:
        day = row["activity_date"]
        per_day[day] = per_day.get(day, 0) + int(row.get("count_orders_completed") or 0)
    start = window["start"]
    end = min(window["end_exclusive"], today + dt.timedelta(days=1))
    days = [start + dt.timedelta(days=i) for i in range(max(0, (end - start).days))]
    peak = max(per_day.values(), default=0)
    cumulative, out = 0, []
    for day in days:
        trips = per_day.get(day, 0)
        cumulative += trips
        share = round(100 * trips / peak) if peak else 0
        out.append({"day": day, "trips": trips, "cumulative": cumulative, "share_pct": share})
    return out


def lead_view(
    conn: sa.Connection, lead_id: str, *, settings: Settings, today: dt.date
) -> dict[str, Any]:
    lead = identity.get_lead(conn, lead_id, settings=settings)
    window = lead["window"]
    return {
        **lead,
        "lead_id": lead_id,
        "trips_by_day": trips_per_day(lead["trips"], window, today=today),
        "window_days_left": None
        if not window
        else max(0, (window["end_exclusive"] - today).days - 1),
    }
