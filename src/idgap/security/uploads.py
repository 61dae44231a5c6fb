"""Uploads read inside the endpoint, after authentication, under the edge's streaming cap."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from idgap.errors import InputError

MAX_FIELDS = 20


@dataclass(frozen=True)
class Upload:
    file_name: str
    data: bytes
    form: FormData


async def read_upload(request: Request, *, field: str, missing: str, empty: str) -> Upload:
    """The multipart form with its one file; the edge (EdgeGuard) stops it past the cap."""
    form = await request.form(max_files=1, max_fields=MAX_FIELDS)
    upload = form.get(field)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputError(missing)
    data = await upload.read()
    if not data:
        raise InputError(empty)
    return Upload(upload.filename, data, form)


def upload_request_body(description: str) -> dict:
    """The OpenAPI requestBody of an upload route whose endpoint reads the form itself."""
    schema = {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary", "description": description}},
    }
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }
