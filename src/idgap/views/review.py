"""The review queue: its size (the same count health and diagnose show) and one slice of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from idgap.gaps.health import review_backlog
from idgap.gaps.query import ensure_current_ages
from idgap.identity import read as identity
from idgap.identity.queue import QueueFilters

SIDE_LIST = 8


def review_view(
    conn: sa.Connection,
    *,
    pos: int,
    count: int = SIDE_LIST,
    filters: QueueFilters | None = None,
    today: dt.date,
) -> dict[str, Any]:
    """Queue entries [pos, pos + count) (the first is the one on screen) and the backlog.

    `total` is the filtered queue; unfiltered it equals `backlog.open`, the pending-review
    count of health and `idgap diagnose`. Ages (days open) are first shifted to `today`,
    the park's day.
    """
    ensure_current_ages(conn, today=today)
    result = identity.list_unmatched(conn, filters=filters, limit=count, offset=pos)
    entries = result["items"]
    return {
        "pos": pos,
        "total": int(result["total"]),
        "backlog": review_backlog(conn),
        "current": entries[0] if entries else None,
        "upcoming": entries[1:],
    }
