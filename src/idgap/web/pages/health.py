"""System health: the status of `idgap diagnose`, the review backlog, unlinked driver activity."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from idgap import clock
from idgap.views.health import health_view
from idgap.web.deps import Conn, Viewer, render_page, stale_runs, web_state
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)


@router.get("/salud", name="web_health")
@router.get("/salud.json")
def health(request: Request, user: Viewer, conn: Conn) -> Response:
    stale_runs(request, conn)
    view = health_view(conn, now=clock.utc_now(), settings=web_state(request).settings)
    return render_page(request, user, "health.html", view=view, active="health")
