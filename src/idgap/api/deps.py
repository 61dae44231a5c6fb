"""Annotated dependencies: the caller's principal first, then one connection per request.

Order matters for availability: the route's connection depends on the principal, so a request
with a bad token is refused before it holds a pool connection, and a throttled client is refused
before it touches the database at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from idgap.access import Principal as TokenPrincipal
from idgap.access import Role, verify_token
from idgap.clock import utc_now
from idgap.config import Settings
from idgap.errors import AuthError, Forbidden
from idgap.security.throttle import FailureThrottle, client_of

bearer = HTTPBearer(auto_error=False, description="API token from `idgap token create`")


def get_engine(request: Request) -> sa.Engine:
    return request.app.state.engine


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def token_throttle(request: Request) -> FailureThrottle:
    return request.app.state.token_throttle


def get_principal(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    engine: Annotated[sa.Engine, Depends(get_engine)],
) -> TokenPrincipal:
    throttle, client = token_throttle(request), client_of(request)
    throttle.check(client, "too many requests with bad tokens; wait and retry")
    if creds is None:
        raise AuthError("missing bearer token; send Authorization: Bearer <token>")
    # Its own short transaction, released before the route's: last_used_at is recorded even
    # when the route fails, and the request never holds two connections.
    with engine.begin() as conn:
        principal = verify_token(conn, creds.credentials, now=utc_now())
    if principal is None:
        throttle.failed(client, f"token {creds.credentials[:8]!r}...")
        raise AuthError("invalid, expired or revoked token")
    return principal


def get_conn(
    engine: Annotated[sa.Engine, Depends(get_engine)],
    _: Annotated[TokenPrincipal, Depends(get_principal)],
) -> Iterator[sa.Connection]:
    """One transaction per request, opened only for an authenticated caller."""
    with engine.begin() as conn:
        yield conn


def require_role(role: Role) -> Callable[..., TokenPrincipal]:
    """A dependency that admits tokens of `role` or higher (401 without one, 403 below it)."""

    def check(principal: Annotated[TokenPrincipal, Depends(get_principal)]) -> TokenPrincipal:
        if not principal.can(role):
            raise Forbidden(
                f"this action needs the {role.name} role; your token is {principal.role.name}"
            )
        return principal

    return check


# scope="function": the commit runs before the response is sent, so a failed commit is an
# error response, never a 200 for work that was rolled back.
Conn = Annotated[sa.Connection, Depends(get_conn, scope="function")]
Engine = Annotated[sa.Engine, Depends(get_engine)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Principal = Annotated[TokenPrincipal, Depends(get_principal)]
Viewer = Annotated[TokenPrincipal, Depends(require_role(Role.viewer))]
Operator = Annotated[TokenPrincipal, Depends(require_role(Role.operator))]
Admin = Annotated[TokenPrincipal, Depends(require_role(Role.admin))]
