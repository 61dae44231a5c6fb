"""Lead page: its source data, identity and bonus, trips in the claim window, decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response

from idgap.identity import read as identity
from idgap.web.deps import Conn, Viewer, page_context, web_state
from idgap.web.review_view import lead_facts
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)


def trips_per_day(rows: list[dict[str, Any]], window: dict[str, Any] | None) -> list[dict]:
    """Every day of the claim window with its trips (all the person's drivers) and a bar width."""
    if not window:
        return []
    per_day: dict[dt.date, int] = {}
    for row in rows:
        day = row["activity_date"]
        per_day[day] = per_day.get(day, 0) + int(row.get("count_orders_completed") or 0)
    start, end = window["start"], window["end_exclusive"]
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    peak = max(per_day.values(), default=0)
    cumulative = 0
    out = []
    for day in days:
        trips = per_day.get(day, 0)
        cumulative += trips
        width = 100 * trips // peak if peak else 0
        out.append({"day": day, "trips": trips, "cumulative": cumulative, "width": width})
    return out


@router.get("/leads/{lead_id}", name="web_lead")
def lead_page(request: Request, lead_id: str, user: Viewer, conn: Conn) -> Response:
    lead = identity.get_lead(conn, lead_id, settings=web_state(request).settings)
    context = page_context(
        request,
        user,
        active="dashboard",
        lead=lead,
        facts=lead_facts(lead, {"source_pk": lead_id}),
        trips=trips_per_day(lead["trips"], lead["window"]),
    )
    return web_state(request).templates.TemplateResponse(request, "lead.html", context)
