"""Runs history, one run's detail, and "run recovery now"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from idgap.errors import JobLocked
from idgap.recovery import job
from idgap.recovery import read as recovery
from idgap.web.deps import (
    MAX_ID,
    MAX_PAGE,
    Conn,
    Csrf,
    Operator,
    Viewer,
    flash,
    page_context,
    web_state,
)
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

RUNS_PAGE = 25


@router.get("/ejecuciones", name="web_runs")
def runs(
    request: Request,
    user: Viewer,
    conn: Conn,
    kind: str = "",
    page: int = Query(1, ge=1, le=MAX_PAGE),
) -> Response:
    result = recovery.list_runs(
        conn, kind=kind or None, limit=RUNS_PAGE, offset=(page - 1) * RUNS_PAGE
    )
    items, total = result["items"], result["total"]
    running = any(r["status"] == "running" for r in items)
    context = page_context(
        request,
        user,
        active="runs",
        items=items,
        total=total,
        page=page,
        kind=kind,
        running=running,
        page_size=RUNS_PAGE,
    )
    return web_state(request).templates.TemplateResponse(request, "runs.html", context)


@router.get("/ejecuciones/{run_id}", name="web_run")
def run_detail(
    request: Request, run_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: Viewer, conn: Conn
) -> Response:
    context = page_context(request, user, active="runs", run=recovery.get_run(conn, run_id))
    return web_state(request).templates.TemplateResponse(request, "run.html", context)


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
