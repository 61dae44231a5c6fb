"""One error shape: {"error": {"code", "message"}}; a 500 never shows the exception text."""

from __future__ import annotations

import logging
import uuid

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from idgap.errors import IdgapError
from idgap.security.dberrors import refusal_of

log = logging.getLogger("idgap.api")
LOCATIONS = ("query", "body", "path", "header")
HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def error_body(code: str, message: str, **extra: object) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def install(app: FastAPI) -> None:
    @app.exception_handler(IdgapError)
    async def idgap_error(request: Request, exc: IdgapError) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(
            error_body(exc.code, exc.message), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = first.get("loc", ())
        where = ".".join(p for p in loc if isinstance(p, str) and p not in LOCATIONS)
        msg = f"invalid {where or 'request'}: {first.get('msg', 'bad value')}"
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errs]
        return JSONResponse(error_body("invalid_request", msg, details=details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:12]
        log.exception("request %s failed: %s %s", request_id, request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "internal error", request_id=request_id),
            status_code=500,
            headers={"X-Request-ID": request_id},
        )

    async def database_refusal(request: Request, exc: Exception) -> JSONResponse:
        # Two writers raced (e.g. the same lead resolved twice at once): the loser's
        # transaction is rolled back, and it gets the same 409 as the checked case. A value
        # the database cannot hold (2^64, NUL in text) is the caller's 422.
        refusal = refusal_of(exc)
        if refusal is None:
            return await crash(request, exc)
        log.warning("%s on %s %s: %s", refusal.code, request.method, request.url.path, exc)
        return JSONResponse(error_body(refusal.code, refusal.message), status_code=refusal.status)

    app.add_exception_handler(sa.exc.DBAPIError, database_refusal)
    app.add_exception_handler(OverflowError, database_refusal)
