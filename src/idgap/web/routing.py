"""The route class of every web page: errors become Spanish pages, the session becomes a cookie.

Handling errors here rather than with app-wide exception handlers keeps the API's JSON error
rendering untouched: the same IdgapError is JSON under /api and a page here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from idgap.errors import IdgapError, InputError
from idgap.security.dberrors import refusal_of
from idgap.web.deps import LoginRequired, WebUser, get_session, web_state
from idgap.web.session import SESSION_COOKIE, cookie_kwargs

log = logging.getLogger(__name__)

ERROR_TITLES = {
    400: "Solicitud no válida",
    401: "Sesión requerida",
    403: "Acceso denegado",
    404: "No encontrado",
    409: "Conflicto",
    422: "Datos no válidos",
    500: "Error interno",
}


def render_error(request: Request, status: int, message: str) -> Response:
    state = web_state(request)
    session = get_session(request)
    user = None
    if session.authenticated and session.token_id is not None and session.role:
        user = WebUser(token_id=session.token_id, name=session.name or "", role=session.role)
    context = {
        "user": user,
        "csrf_token": session.csrf,
        "status": status,
        "title": ERROR_TITLES.get(status, "Error"),
        "message": message,
        "currency": state.settings.currency,
        "flash": None,
    }
    return state.templates.TemplateResponse(request, "error.html", context, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "entrada"
        parts.append(f"{where}: {err.get('msg', 'valor no válido')}")
    return "Parámetros no válidos: " + "; ".join(parts)


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = request.url.path
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _write_session_cookie(request: Request, response: Response) -> None:
    if not getattr(request.state, "session_dirty", False):
        return
    if getattr(request.state, "session_cleared", False):
        response.delete_cookie(SESSION_COOKIE, path="/")
        return
    codec = web_state(request).codec
    secure = web_state(request).settings.cookie_secure or request.url.scheme == "https"
    value = codec.dumps(request.state.web_session)
    response.set_cookie(SESSION_COOKIE, value, **cookie_kwargs(secure=secure))


async def _refuse_nul_in_form(request: Request) -> None:
    """NUL in a posted form field is a 400 (the edge screens path and query; uploads are
    multipart, read by their page after the session check)."""
    ctype = request.headers.get("content-type", "")
    if request.method != "POST" or not ctype.startswith("application/x-www-form-urlencoded"):
        return
    form = await request.form()  # cached: the route reads the same parsed form
    for key, value in form.multi_items():
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            raise InputError("Un campo del formulario contiene un carácter nulo (NUL).", status=400)


def _database_refusal(request: Request, exc: sa.exc.DBAPIError | OverflowError) -> Response:
    """A race lost to another writer is a 409 page; a value the database refuses, a 422."""
    refusal = refusal_of(exc)
    if refusal is None:
        log.exception("web page %s failed", request.url.path)
        return render_error(
            request, 500, "Ocurrió un error inesperado. El detalle quedó en el registro."
        )
    log.warning("%s on %s %s: %s", refusal.code, request.method, request.url.path, exc)
    return render_error(request, refusal.status, refusal.message_es)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                await _refuse_nul_in_form(request)
                response = await inner(request)
            except LoginRequired:
                response = _login_redirect(request)
            except RequestValidationError as exc:
                response = render_error(request, 422, _validation_message(exc))
            except IdgapError as exc:
                response = render_error(request, exc.status, exc.message)
                response.headers.update(exc.headers)
            except (sa.exc.DBAPIError, OverflowError) as exc:
                response = _database_refusal(request, exc)
            except Exception:  # a 500 page never shows exception text; the log has it
                log.exception("web page %s failed", request.url.path)
                response = render_error(
                    request, 500, "Ocurrió un error inesperado. El detalle quedó en el registro."
                )
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            _write_session_cookie(request, response)
            return response

        return handler
