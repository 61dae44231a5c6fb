"""Daily gap snapshots: the % unresolved over time (the dashboard's trend line)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from idgap.gaps.read import gap_summary
from idgap.store.tables import gap_snapshots


def record_snapshot(
    conn: sa.Connection, *, today: dt.date, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Write (or overwrite) today's row from lead_status, in the caller's transaction.

    Called by the recovery job and by imports; the last call of a day wins, so the row says
    where the day ended.
    """
    from idgap.gaps.status import refresh_ages

    refresh_ages(conn, today=today)  # same transaction: the breakdown's risks are today's
    summary = gap_summary(conn, filters=None, today=today)
    totals = summary["totals"]
    row = {
        "day": today,
        "total_leads": totals["total_leads"],
        "unresolved": totals["unresolved"],
        "resolved": totals["resolved"],
        "pct_unresolved": totals["pct_unresolved"],
        "breakdown": summary["breakdown"],
        "amount_at_stake": totals["amount_at_stake_unresolved"],
        "recorded_at": now or dt.datetime.now(dt.UTC),
    }
    conn.execute(sa.delete(gap_snapshots).where(gap_snapshots.c.day == today))
    conn.execute(sa.insert(gap_snapshots).values(**row))
    return row
