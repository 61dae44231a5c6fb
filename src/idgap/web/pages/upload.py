"""Leads CSV upload and its import report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, Response, UploadFile

from idgap.clock import utc_now
from idgap.errors import InputError
from idgap.intake import service as intake
from idgap.web.deps import Csrf, Operator, Viewer, page_context, web_state
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

LEADS_TABLE = "module_ct_cabinet_leads"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


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
