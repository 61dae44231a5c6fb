"""Run history for the API and the runs page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from idgap.clock import utc_now
from idgap.errors import NotFound
from idgap.recovery.heartbeat import mark_stale_runs
from idgap.store.tables import runs


def list_runs(
    conn: sa.Connection,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 20,
    offset: int = 0,
    stale_after_s: float | None = None,
) -> dict[str, Any]:
    """Runs newest first; with `stale_after_s`, dead `running` runs are marked first."""
    if stale_after_s is not None:
        mark_stale_runs(conn, now=utc_now(), stale_after_s=stale_after_s)
    where = []
    if kind:
        where.append(runs.c.kind == kind)
    if status:
        where.append(runs.c.status == status)
    total = conn.execute(sa.select(sa.func.count()).select_from(runs).where(*where)).scalar_one()
    items = [
        dict(r)
        for r in conn.execute(
            sa.select(runs)
            .where(*where)
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .limit(limit)
            .offset(offset)
        ).mappings()
    ]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def get_run(
    conn: sa.Connection, run_id: int, *, stale_after_s: float | None = None
) -> dict[str, Any]:
    if stale_after_s is not None:
        mark_stale_runs(conn, now=utc_now(), stale_after_s=stale_after_s)
    row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
    if row is None:
        raise NotFound(f"no run #{run_id}")
    return dict(row)
