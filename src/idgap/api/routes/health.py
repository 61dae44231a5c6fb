from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter

from idgap import __version__
from idgap.api.deps import Engine
from idgap.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(engine: Engine) -> Health:
    """Liveness and database reachability; the only endpoint without a token."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.select(1))
        db = "ok"
    except sa.exc.SQLAlchemyError:
        db = "unreachable"
    return Health(status="ok" if db == "ok" else "degraded", database=db, version=__version__)
