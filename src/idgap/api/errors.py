"""One error shape: {"error": {"code", "message"}}; a 500 never shows the exception text."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from idgap.errors import IdgapError

log = logging.getLogger("idgap.api")


def error_body(code: str, message: str, **extra: object) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def install(app: FastAPI) -> None:
    @app.exception_handler(IdgapError)
    async def idgap_error(request: Request, exc: IdgapError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            error_body(exc.code, exc.message), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path"))
        msg = f"invalid {where or 'request'}: {first.get('msg', 'bad value')}"
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errs]
        return JSONResponse(error_body("invalid_request", msg, details=details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body("http_error", str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:12]
        log.exception("request %s failed: %s %s", request_id, request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "internal error", request_id=request_id), status_code=500
        )
