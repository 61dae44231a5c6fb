"""Leads CSV upload and its import report."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from idgap.clock import utc_now
from idgap.errors import IdgapError
from idgap.intake import service as intake
from idgap.security.uploads import read_upload
from idgap.web.deps import Operator, Viewer, page_context, verify_csrf, web_state
from idgap.web.labels import intake_message
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

LEADS_TABLE = "module_ct_cabinet_leads"


@router.get("/carga", name="web_upload")
def upload_form(request: Request, user: Viewer) -> Response:
    context = page_context(request, user, active="upload", report=None)
    return web_state(request).templates.TemplateResponse(request, "upload.html", context)


@router.post("/carga")
async def upload_submit(request: Request, user: Operator) -> Response:
    """The form is read here, after the session check, under IDGAP_MAX_UPLOAD_MB (edge cap)."""
    state = web_state(request)
    upload = await read_upload(
        request, field="file", missing="Elija un archivo CSV de leads.",
        empty="El archivo está vacío.",
    )  # fmt: skip
    verify_csrf(request, upload.form.get("csrf_token"))
    try:
        report = await run_in_threadpool(
            intake.import_bytes, state.engine, upload.data, file_name=upload.file_name,
            table=LEADS_TABLE, now=utc_now(), settings=state.settings,
        )  # fmt: skip
    except IdgapError as exc:  # intake speaks English; the analyst reads Spanish
        exc.message = intake_message(exc.message)
        raise
    tables = report.to_dict()["tables"]
    context = page_context(
        request, user, active="upload", report=tables, file_name=upload.file_name
    )
    return state.templates.TemplateResponse(request, "upload.html", context)
