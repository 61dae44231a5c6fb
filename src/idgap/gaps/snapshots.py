"""Daily snapshots of the gap, for the trend chart."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from idgap.clock import utc_now
from idgap.store.tables import gap_snapshots, lead_status


def record_snapshot(conn: sa.Connection, *, today: dt.date) -> None:
    ls = lead_status
    rows = conn.execute(sa.select(ls.c.gap_reason, sa.func.count(), sa.func.coalesce(
        sa.func.sum(ls.c.amount_at_stake), 0)).group_by(ls.c.gap_reason)).all()
    by_reason = {r: n for r, n, _ in rows}
    total = sum(by_reason.values())
    resolved = by_reason.get("resolved", 0)
    values = {
        "total_leads": total, "unresolved": total - resolved, "resolved": resolved,
        "pct_unresolved": round(100 * (total - resolved) / total, 2) if total else 0.0,
        "breakdown": by_reason, "amount_at_stake": float(sum(a for _, _, a in rows)),
        "recorded_at": utc_now(),
    }
    if conn.execute(sa.select(gap_snapshots.c.day).where(gap_snapshots.c.day == today)).first():
        conn.execute(gap_snapshots.update().where(gap_snapshots.c.day == today).values(values))
    else:
        conn.execute(gap_snapshots.insert().values(day=today, **values))
