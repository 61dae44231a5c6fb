"""System health: the recovery job, the review backlog, unlinked driver activity."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from idgap.clock import utc_now
from idgap.gaps import read as gaps
from idgap.web.deps import Conn, Viewer, page_context, web_state
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

UNLINKED_DAYS = 60


@router.get("/salud", name="web_health")
def health(request: Request, user: Viewer, conn: Conn) -> Response:
    data = gaps.data_health(conn, now=utc_now())
    activity = gaps.unlinked_activity(conn, limit=UNLINKED_DAYS)["items"]
    peak = max((int(r.get("trips_from_unlinked_drivers") or 0) for r in activity), default=0)
    context = page_context(
        request, user, active="health", health=data, activity=activity, peak=peak
    )
    return web_state(request).templates.TemplateResponse(request, "health.html", context)
