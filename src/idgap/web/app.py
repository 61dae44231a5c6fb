"""The server-rendered web UI (Spanish), mounted at / on the API's FastAPI app."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from idgap.config import Settings
from idgap.security.edge import install_edge
from idgap.security.throttle import FailureThrottle
from idgap.web.deps import WebState
from idgap.web.pages import (
    cobranza,
    dashboard,
    exports,
    health,
    lead,
    login,
    persons,
    review,
    runs,
    upload,
)
from idgap.web.render import STATIC_DIR, make_templates
from idgap.web.session import SessionCodec

# one module per page under web/pages/; a new page adds its module here
ROUTERS = (login, dashboard, review, lead, persons, runs, upload, health, cobranza, exports)


def mount_web(app: FastAPI, settings: Settings, engine: sa.Engine) -> None:
    """Register the pages at / and the static files at /static (the API stays under /api)."""
    app.state.idgap_web = WebState(
        settings=settings,
        engine=engine,
        templates=make_templates(settings.timezone),
        codec=SessionCodec(settings.secret_key),
        login_throttle=FailureThrottle(
            what="web login",
            allowed=settings.login_failures_allowed,
            window_s=settings.auth_window_s,
        ),
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in ROUTERS:
        app.include_router(module.router, include_in_schema=False)


def create_web_app(settings: Settings, engine: sa.Engine) -> FastAPI:
    """The web UI alone (tests and benchmarks that do not need the API)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    install_edge(app, settings, upload_paths=set())
    mount_web(app, settings, engine)
    return app
