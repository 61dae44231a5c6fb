"""The dashboard's trend: each day's gap for the leads the active filters select.

The leads are those of the tiles (`GapFilters.clauses()` over `lead_status`, search and lead
dates included), so every filter applies and the last day, today, equals the tiles. A day's
figures say, of the selected leads dated up to that day, how many were still unresolved at
its end (in the park's time zone) and what they had at stake: a lead counts as unresolved
until the day it became resolved (`lead_status.resolved_at`). Money is valued at today's
trips: `amount_at_stake` for leads still open, `expected_amount` for those resolved since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.gaps.query import GapFilters, money, ratio_pct
from idgap.store.tables import lead_status

ls = lead_status
TREND_DAYS = 180
RESOLVED = ls.c.gap_reason == "resolved"
ROWS_SCHEMA: dict[str, Any] = {  # naive timestamps (SQLite) are read as UTC
    "lead_date": pl.Date, "resolved": pl.Boolean, "resolved_at": pl.Datetime("us", "UTC"),
    "leads": pl.Int64, "money": pl.Float64,
}  # fmt: skip


def _rows(conn: sa.Connection, f: GapFilters) -> pl.DataFrame:
    """The selected leads grouped by lead date and the moment they became resolved."""
    resolved_at = sa.case((RESOLVED, ls.c.resolved_at))
    stake = sa.case((RESOLVED, ls.c.expected_amount), else_=ls.c.amount_at_stake)
    stmt = (
        sa.select(ls.c.lead_date, RESOLVED, resolved_at, sa.func.count(),
                  sa.func.sum(sa.func.coalesce(stake, 0.0)))
        .where(*f.clauses())
        .group_by(ls.c.lead_date, RESOLVED, resolved_at)
    )  # fmt: skip
    return pl.DataFrame(conn.execute(stmt).all(), schema=ROWS_SCHEMA, orient="row")


def _day_index(rows: pl.DataFrame, start: dt.date, last: int, timezone: str) -> pl.DataFrame:
    """Per row: the day it starts counting (`li`) and the day it stops being open (`ri`)."""
    local = pl.col("resolved_at").dt.convert_time_zone(timezone).dt.date()
    li = ((pl.col("lead_date") - pl.lit(start)).dt.total_days()).clip(0, last)
    ri = (local - pl.lit(start)).dt.total_days()
    return rows.with_columns(li=li).with_columns(
        # resolved with no timestamp: resolved all along; open leads never stop counting
        ri=pl.when(pl.col("resolved"))
        .then(pl.max_horizontal(ri.fill_null(pl.col("li")), pl.col("li")).clip(upper_bound=last))
        .otherwise(None)
    )


def _series(idx: pl.DataFrame, n: int) -> pl.DataFrame:
    """Running sums of leads counted, open and at stake on each of the `n` days."""
    days = pl.DataFrame({"i": pl.arange(0, n, eager=True)})
    start = idx.group_by(pl.col("li").alias("i")).agg(
        total=pl.col("leads").sum(), open=pl.col("leads").sum(), stake=pl.col("money").sum()
    )
    stop = (
        idx.filter(pl.col("ri").is_not_null())
        .group_by(pl.col("ri").alias("i"))
        .agg(total=pl.lit(0, pl.Int64), open=-pl.col("leads").sum(), stake=-pl.col("money").sum())
    )
    moves = pl.concat([start, stop], how="vertical_relaxed").group_by("i").agg(pl.all().sum())
    return (
        days.join(moves, on="i", how="left")
        .fill_null(0)
        .sort("i")
        .select("i", pl.col("total", "open", "stake").cum_sum())
    )


def gap_trend(
    conn: sa.Connection,
    *,
    filters: GapFilters | Mapping[str, Any] | None = None,
    today: dt.date,
    timezone: str,
    days: int = TREND_DAYS,
) -> dict[str, Any]:
    """Up to `days` daily points ending today, from the first day a selected lead counts."""
    start = today - dt.timedelta(days=days - 1)
    rows = _rows(conn, GapFilters.of(filters))
    if rows.is_empty():
        return {"items": [], "total": 0, "days": days}
    series = _series(_day_index(rows, start, days - 1, timezone), days)
    items = [
        _point(start + dt.timedelta(days=int(i)), int(total), int(open_), stake)
        for i, total, open_, stake in series.iter_rows()
        if total
    ]
    return {"items": items, "total": len(items), "days": days}


def _point(day: dt.date, total: int, unresolved: int, stake: float) -> dict[str, Any]:
    return {
        "day": day,
        "total_leads": total,
        "unresolved": unresolved,
        "resolved": total - unresolved,
        "pct_unresolved": ratio_pct(unresolved, total),
        "amount_at_stake": money(stake),
    }
