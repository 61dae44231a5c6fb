"""The application factory: API under /api/v1, the web pages at / when present."""

from __future__ import annotations

import importlib.util

import sqlalchemy as sa
from fastapi import FastAPI

from idgap import __version__
from idgap.api import errors
from idgap.api.docs import install_docs
from idgap.api.routes import cabinet_leads, claims, health, identity, ops, screens
from idgap.api.schemas import ERROR_RESPONSES
from idgap.config import Settings, get_settings
from idgap.security.edge import install_edge
from idgap.security.throttle import FailureThrottle
from idgap.store.db import make_engine

PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, engine: sa.Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url, pool=settings.pool())
    app = FastAPI(
        title="idgap",
        version=__version__,
        description="Identity gap of a fleet park: gaps, alerts, review queue, recovery runs.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # served by api.docs from installed assets (offline, CSP-clean)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.token_throttle = FailureThrottle(
        what="API token", allowed=settings.token_failures_allowed, window_s=settings.auth_window_s
    )
    errors.install(app)
    install_edge(
        app, settings, upload_paths={f"{PREFIX}{m.UPLOAD_PATH}" for m in (cabinet_leads, claims)}
    )
    install_docs(app, PREFIX)
    app.include_router(health.router, prefix=PREFIX)
    for module in (ops, identity, cabinet_leads, claims, screens):
        app.include_router(module.router, prefix=PREFIX, responses=ERROR_RESPONSES)
    if importlib.util.find_spec("idgap.web.app") is not None:
        from idgap.web.app import mount_web

        mount_web(app, settings, engine)
    return app
