"""Per-request plumbing of the web UI: its state, the session, the user, roles and CSRF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Form, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.templating import Jinja2Templates

from idgap.clock import utc_now
from idgap.config import Settings
from idgap.errors import Forbidden, IdgapError
from idgap.recovery.heartbeat import mark_stale_runs
from idgap.security.throttle import FailureThrottle
from idgap.sessions import session_owner
from idgap.web.session import (
    SESSION_COOKIE,
    SessionCodec,
    WebSession,
    csrf_matches,
    new_session,
    role_allows,
)

# Bounds of numeric page parameters: anything larger is a 422 page, not a database overflow.
MAX_PAGE = 1_000_000
MAX_POS = 10_000_000
MAX_ID = 2**31 - 1


class LoginRequired(Exception):
    """Raised by `current_user`; the web route class turns it into a redirect to /login."""


class CsrfError(IdgapError):
    status = 403
    code = "csrf"


@dataclass
class WebState:
    settings: Settings
    engine: sa.Engine
    templates: Jinja2Templates
    codec: SessionCodec
    login_throttle: FailureThrottle


@dataclass(frozen=True)
class WebUser:
    token_id: int
    name: str
    role: str

    def can(self, needed: str) -> bool:
        return role_allows(self.role, needed)


def web_state(request: Request) -> WebState:
    return request.app.state.idgap_web


def get_session(request: Request) -> WebSession:
    """The request's session; a new anonymous one (sent back as a cookie) if none is valid."""
    cached = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached
    session = web_state(request).codec.loads(request.cookies.get(SESSION_COOKIE))
    if session is None:
        session = new_session()
        request.state.session_dirty = True
    request.state.web_session = session
    return session


def set_session(request: Request, session: WebSession | None) -> None:
    """Replace the session; None logs out (the cookie is deleted)."""
    request.state.web_session = session
    request.state.session_dirty = True
    request.state.session_cleared = session is None


def pop_flash(request: Request) -> tuple[str | None, str]:
    session = get_session(request)
    if not session.flash:
        return None, "info"
    set_session(request, session.without_flash())
    return session.flash, session.flash_kind


def flash(request: Request, message: str, kind: str = "info") -> None:
    set_session(request, get_session(request).with_flash(message, kind))


def current_user(request: Request) -> WebUser:
    """The user of a live server-side session; anything else goes to the login page."""
    session = get_session(request)
    if not session.authenticated:
        raise LoginRequired
    with web_state(request).engine.connect() as conn:
        owner = session_owner(conn, session.sid, now=utc_now())
    if owner is None or owner.token_id != session.token_id:
        set_session(request, None)
        raise LoginRequired
    return WebUser(token_id=owner.token_id, name=owner.name, role=owner.role)


def require(role: str) -> Callable[..., WebUser]:
    """Dependency factory: the logged-in user, who must hold at least `role`."""

    def dependency(user: Annotated[WebUser, Depends(current_user)]) -> WebUser:
        if not user.can(role):
            raise Forbidden(
                f"Esta acción requiere el rol «{role}»; su token tiene el rol «{user.role}»."
            )
        return user

    return dependency


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every form POST carries the session's CSRF token in a hidden field."""
    verify_csrf(request, csrf_token)


def verify_csrf(request: Request, submitted: object) -> None:
    """The check itself, for pages that read their form after authenticating (uploads)."""
    if not isinstance(submitted, str) or not csrf_matches(get_session(request), submitted):
        raise CsrfError(
            "El formulario caducó o no es válido (token CSRF). "
            "Recargue la página e intente de nuevo."
        )


def connection(
    request: Request, _user: Annotated[WebUser, Depends(current_user)]
) -> Iterator[sa.Connection]:
    """The page's connection, opened only once the user is known (never two at once).

    Pages read; the one write a page may make is marking dead runs interrupted
    (`stale_runs`), committed when the page succeeded.
    """
    with web_state(request).engine.connect() as conn:
        yield conn
        conn.commit()


def stale_runs(request: Request, conn: sa.Connection) -> None:
    """Mark runs without a recent heartbeat interrupted before a page shows run status."""
    limit = web_state(request).settings.run_stale_after_s
    mark_stale_runs(conn, now=utc_now(), stale_after_s=limit)


Viewer = Annotated[WebUser, Depends(require("viewer"))]
Operator = Annotated[WebUser, Depends(require("operator"))]
Admin = Annotated[WebUser, Depends(require("admin"))]
Csrf = Annotated[None, Depends(check_csrf)]
Conn = Annotated[sa.Connection, Depends(connection)]


def page_context(request: Request, user: WebUser | None, **extra: Any) -> dict[str, Any]:
    message, kind = pop_flash(request)
    state = web_state(request)
    return {
        "user": user,
        "csrf_token": get_session(request).csrf,
        "currency": state.settings.currency,
        "flash": message,
        "flash_kind": kind,
        **extra,
    }


def render_page(
    request: Request, user: WebUser, template: str, *, view: Any, **extra: Any
) -> Response:
    """A screen's view model as HTML, or as JSON when the path ends in .json (live pages)."""
    if request.url.path.endswith(".json"):
        return JSONResponse(jsonable_encoder(view))
    context = page_context(request, user, view=view, **extra)
    return web_state(request).templates.TemplateResponse(request, template, context)
