"""Runs history and "run recovery now", leads CSV upload with its report, system health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from idgap.clock import utc_now
from idgap.errors import InputError, JobLocked
from idgap.gaps import read as gaps
from idgap.intake import service as intake
from idgap.recovery import job
from idgap.recovery import read as recovery
from idgap.web.deps import Conn, Csrf, Operator, Viewer, flash, page_context, web_state
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

RUNS_PAGE = 25
LEADS_TABLE = "module_ct_cabinet_leads"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UNLINKED_DAYS = 60


@router.get("/ejecuciones", name="web_runs")
def runs(
    request: Request, user: Viewer, conn: Conn, kind: str = "", page: int = Query(1, ge=1)
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
def run_detail(request: Request, run_id: int, user: Viewer, conn: Conn) -> Response:
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


@router.get("/carga", name="web_upload")
def upload_form(request: Request, user: Viewer) -> Response:
    context = page_context(request, user, active="upload", report=None)
    return web_state(request).templates.TemplateResponse(request, "upload.html", context)


def _read_upload(upload: UploadFile) -> bytes:
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise InputError("El archivo está vacío.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError("El archivo supera el máximo de 200 MB.")
    return data


@router.post("/carga")
def upload_submit(
    request: Request,
    user: Operator,
    _csrf: Csrf,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if file is None or not file.filename:
        raise InputError("Elija un archivo CSV de leads.")
    state = web_state(request)
    report = intake.import_bytes(
        state.engine,
        _read_upload(file),
        file_name=file.filename,
        table=LEADS_TABLE,
        now=utc_now(),
        settings=state.settings,
    )
    tables = report.to_dict()["tables"]
    context = page_context(request, user, active="upload", report=tables, file_name=file.filename)
    return state.templates.TemplateResponse(request, "upload.html", context)


@router.get("/salud", name="web_health")
def health(request: Request, user: Viewer, conn: Conn) -> Response:
    data = gaps.data_health(conn, now=utc_now())
    activity = gaps.unlinked_activity(conn, limit=UNLINKED_DAYS)["items"]
    peak = max((int(r.get("trips_from_unlinked_drivers") or 0) for r in activity), default=0)
    context = page_context(
        request, user, active="health", health=data, activity=activity, peak=peak
    )
    return web_state(request).templates.TemplateResponse(request, "health.html", context)
