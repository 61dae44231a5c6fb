from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from idgap.api.deps import AppSettings, Engine, Operator
from idgap.api.schemas import ImportOut
from idgap.clock import utc_now
from idgap.intake.service import import_bytes
from idgap.security.uploads import read_upload, upload_request_body

router = APIRouter(prefix="/cabinet-leads", tags=["intake"])
UPLOAD_PATH = "/cabinet-leads/upload-csv"


@router.post(
    "/upload-csv",
    response_model=ImportOut,
    openapi_extra=upload_request_body("module_ct_cabinet_leads CSV"),
)
async def upload_csv(
    request: Request, engine: Engine, _: Operator, settings: AppSettings
) -> dict[str, Any]:
    """Import a leads CSV: loaded / updated / unchanged / rejected with line and reason.

    The body is read only after the token is checked, and only up to IDGAP_MAX_UPLOAD_MB
    (413 beyond; bigger files go through `idgap import`).
    """
    upload = await read_upload(
        request, field="file", missing="send the CSV as multipart field 'file'",
        empty="the uploaded file is empty",
    )  # fmt: skip
    report = await run_in_threadpool(
        import_bytes, engine, upload.data, file_name=upload.file_name,
        table="module_ct_cabinet_leads", now=utc_now(), settings=settings,
    )  # fmt: skip
    return report.to_dict()
