"""Shared fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL tests skip with a visible reason when the server is unreachable, and fail instead
under CI=true, so a green CI always means both backends ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

from idgap.store.db import make_engine

# Property tests check behaviour, not speed (performance lives in `make bench`): no per-example
# deadline, so a loaded machine cannot fail them.
hypothesis_settings.register_profile("idgap", deadline=None)
hypothesis_settings.load_profile("idgap")

PG_URL = os.environ.get(
    "IDGAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_unreachable_reason() -> str | None:
    try:
        probe = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(sa.text("select 1"))
        probe.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"
    return None


_PG_REASON: list[str | None] = []


def require_postgres() -> None:
    if not _PG_REASON:
        _PG_REASON.append(_pg_unreachable_reason())
    reason = _PG_REASON[0]
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true requires PostgreSQL)")
        pytest.skip(reason)


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def new_database_url(backend: str, tmp_path) -> tuple[str, object]:
    """A fresh, empty database URL for `backend`, plus a cleanup callable."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'idgap.db'}", lambda: None
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        admin.dispose()

    return _pg_schema_url(schema), drop


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request, tmp_path) -> Iterator[str]:
    """URL of a fresh, empty database on each backend (schema not yet created)."""
    url, cleanup = new_database_url(request.param, tmp_path)
    yield url
    cleanup()  # type: ignore[operator]


@pytest.fixture
def engine(db_url) -> Iterator[sa.Engine]:
    """A migrated, empty store on each backend."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()
