"""Runs history, one run's detail, and "run recovery now"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from idgap.errors import JobLocked
from idgap.recovery import job
from idgap.views.runs import run_view, runs_view
from idgap.web.deps import (
    MAX_ID,
    MAX_PAGE,
    Conn,
    Csrf,
    Operator,
    Viewer,
    flash,
    render_page,
    stale_runs,
    web_state,
)
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)


@router.get("/ejecuciones", name="web_runs")
@router.get("/ejecuciones.json")
def runs(
    request: Request,
    user: Viewer,
    conn: Conn,
    kind: str = "",
    page: int = Query(1, ge=1, le=MAX_PAGE),
) -> Response:
    stale_runs(request, conn)
    view = runs_view(conn, kind=kind or None, page=page)
    return render_page(request, user, "runs.html", view=view, active="runs")


@router.get("/ejecuciones/{run_id}", name="web_run")
@router.get("/ejecuciones/{run_id}.json")
def run_detail(
    request: Request, run_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: Viewer, conn: Conn
) -> Response:
    stale_runs(request, conn)
    view = run_view(conn, run_id)
    return render_page(request, user, "run.html", view=view, active="runs", run=view)


@router.post("/ejecuciones")
def run_now(request: Request, user: Operator, _csrf: Csrf) -> Response:
    state = web_state(request)
    try:
        job.start_background_run(
            state.engine, settings=state.settings, triggered_by=f"web:{user.name}"
        )
    except JobLocked:
        flash(
            request,
            "Ya hay un recovery en ejecución; espere a que termine y vuelva a intentarlo.",
            "warn",
        )
        return RedirectResponse("/ejecuciones", status_code=303)
    flash(request, "Recovery iniciado: en ejecución. Esta página muestra su avance.", "ok")
    return RedirectResponse("/ejecuciones", status_code=303)
