"""System health: the status and its findings (as `idgap diagnose`), backlog, activity."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from idgap.config import Settings
from idgap.gaps.diagnose import diagnose
from idgap.gaps.health import identity_counts, unlinked_activity

UNLINKED_DAYS = 60


def health_view(conn: sa.Connection, *, now: dt.datetime, settings: Settings) -> dict[str, Any]:
    """The diagnosis itself plus identity counts: the web health page is `idgap diagnose`."""
    report = diagnose(conn, now=now, settings=settings)
    activity = unlinked_activity(conn, limit=UNLINKED_DAYS)["items"]
    return {
        "generated_at": now,
        "status": report["status"],
        "findings": report["health"]["findings"],
        "freshness": report["health"]["freshness"],
        "job": report["job"],
        "review_queue": report["review_queue"],
        "gap_totals": report["gap"]["totals"],
        "links": report["links"],
        "integrity": report["integrity"],
        "recommendations": report["recommendations"],
        "identity": identity_counts(conn),
        "activity": activity,
        "activity_peak": max((a["trips_from_unlinked_drivers"] for a in activity), default=0),
    }
