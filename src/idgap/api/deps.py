"""Annotated dependencies: a connection per request, the caller's principal, role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from idgap.access import Principal, Role, verify_token
from idgap.clock import utc_now
from idgap.config import Settings
from idgap.errors import AuthError, Forbidden

bearer = HTTPBearer(auto_error=False, description="API token from `idgap token create`")


def get_engine(request: Request) -> sa.Engine:
    return request.app.state.engine


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_conn(engine: Annotated[sa.Engine, Depends(get_engine)]) -> Iterator[sa.Connection]:
    with (
        engine.begin() as conn
    ):  # one transaction per request: writes commit together or not at all
        yield conn


def get_principal(
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    engine: Annotated[sa.Engine, Depends(get_engine)],
) -> Principal:
    if creds is None:
        raise AuthError("missing bearer token; send Authorization: Bearer <token>")
    with engine.begin() as conn:
        principal = verify_token(conn, creds.credentials, now=utc_now())
    if principal is None:
        raise AuthError("invalid or revoked token")
    return principal


def require(role: Role) -> Callable[..., Principal]:
    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.can(role):
            raise Forbidden(
                f"this action needs the {role.name} role; your token is {principal.role.name}"
            )
        return principal

    return check


Conn = Annotated[sa.Connection, Depends(get_conn)]
Engine = Annotated[sa.Engine, Depends(get_engine)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Viewer = Annotated[Principal, Depends(require(Role.viewer))]
Operator = Annotated[Principal, Depends(require(Role.operator))]
Admin = Annotated[Principal, Depends(require(Role.admin))]
