from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile

from idgap.api.deps import AppSettings, Engine, Operator
from idgap.api.schemas import ImportOut
from idgap.clock import utc_now
from idgap.errors import InputError
from idgap.intake.service import import_bytes

router = APIRouter(prefix="/cabinet-leads", tags=["intake"])
MAX_UPLOAD = 50 * 1024 * 1024


@router.post("/upload-csv", response_model=ImportOut)
async def upload_csv(
    file: Annotated[UploadFile, File(description="module_ct_cabinet_leads CSV")],
    engine: Engine,
    _: Operator,
    settings: AppSettings,
) -> dict[str, Any]:
    """Import a leads CSV: loaded / updated / unchanged / rejected with line and reason."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InputError("file larger than 50 MB; import it with `idgap import` instead")
    report = import_bytes(
        engine,
        data,
        file_name=file.filename or "upload.csv",
        table="module_ct_cabinet_leads",
        now=utc_now(),
        settings=settings,
    )
    return report.to_dict()
