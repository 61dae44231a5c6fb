"""Login with an API token, and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from idgap.access import verify_token
from idgap.clock import utc_now
from idgap.security.throttle import client_of
from idgap.sessions import end_session, open_session
from idgap.web.deps import Csrf, get_session, page_context, set_session, web_state
from idgap.web.routing import WebRoute
from idgap.web.session import SESSION_MAX_AGE_S, login_session, role_name

router = APIRouter(route_class=WebRoute)


def safe_next(target: str | None) -> str:
    """Only local paths: '/x' yes, '//evil.example' or 'https://…' no (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, *, next_url: str, error: str | None, status: int) -> Response:
    context = page_context(request, None, next_url=next_url, error=error)
    return web_state(request).templates.TemplateResponse(
        request, "login.html", context, status_code=status
    )


@router.get("/login", name="web_login")
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002 - query name
    if get_session(request).authenticated:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_url=safe_next(next), error=None, status=200)


@router.post("/login")
def login_submit(
    request: Request,
    _csrf: Csrf,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",  # noqa: A002 - form field name
) -> Response:
    state, client = web_state(request), client_of(request)
    state.login_throttle.check(
        client, "Demasiados intentos fallidos de acceso. Espere un momento y vuelva a intentarlo."
    )
    principal, sid = None, None
    if token.strip():
        with state.engine.begin() as conn:
            now = utc_now()
            principal = verify_token(conn, token.strip(), now=now)
            if principal is not None:
                sid = open_session(
                    conn, token_id=principal.token_id, now=now, max_age_s=SESSION_MAX_AGE_S
                )
    if principal is None or sid is None:
        state.login_throttle.failed(client, f"token {token.strip()[:8]!r}...")
        error = "Token no válido, caducado o revocado."
        return _login_page(request, next_url=safe_next(next), error=error, status=401)
    session = login_session(
        token_id=int(principal.token_id),
        name=principal.name,
        role=role_name(principal.role),
        sid=sid,
    )
    set_session(request, session)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, _csrf: Csrf) -> Response:
    """Ends the server-side session: the old cookie, replayed, leads to the login page."""
    with web_state(request).engine.begin() as conn:
        end_session(conn, get_session(request).sid, now=utc_now())
    set_session(request, None)
    return RedirectResponse("/login", status_code=303)
