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
from itertools import pairwise
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.clock import local_midnight, utc_offsets
from idgap.gaps.query import GapFilters, money, ratio_pct
from idgap.store.tables import lead_status

ls = lead_status
TREND_DAYS = 180
RESOLVED = ls.c.gap_reason == "resolved"
MOVES_SCHEMA: dict[str, Any] = {"day": pl.Date, "leads": pl.Int64, "money": pl.Float64}


def local_day(
    conn: sa.Connection, col: Any, timezone: str, start: dt.datetime, end: dt.datetime
) -> Any:
    """SQL: the park's calendar day of the UTC instant `col`, exact over [start, end)."""
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(timezone, col), sa.Date)
    segments = utc_offsets(timezone, start, end)  # SQLite has no zones: shift per DST segment

    def shifted(offset: dt.timedelta) -> Any:
        return sa.func.date(col, f"{int(offset.total_seconds())} seconds")

    whens = [(col < until, shifted(off)) for (_, off), (until, _) in pairwise(segments)]
    return sa.case(*whens, else_=shifted(segments[-1][1])) if whens else shifted(segments[0][1])


def _moves(conn: sa.Connection, where: list, day: Any, money: Any) -> pl.DataFrame:
    """Leads and money per `day` (one scan, one small group per day)."""
    stmt = sa.select(sa.type_coerce(day, sa.Date), sa.func.count(), sa.func.sum(money))
    stmt = stmt.where(*where).group_by(day)
    return pl.DataFrame(conn.execute(stmt).all(), schema=MOVES_SCHEMA, orient="row")


def _starts_and_stops(
    conn: sa.Connection, f: GapFilters, start: dt.date, today: dt.date, timezone: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The days the selected leads start counting, and the days resolved ones stop being open.

    A lead counts from its lead date (the window's first day for older ones) and is open until
    the park's day it became resolved: never before it counts, so a lead resolved before the
    window, or resolved with no timestamp, is never open in it.
    """
    begin = local_midnight(start, timezone)
    end = local_midnight(today + dt.timedelta(days=1), timezone)
    lead_day = sa.case((ls.c.lead_date < start, start), else_=ls.c.lead_date)
    resolved_day = sa.case(
        (ls.c.resolved_at.is_(None), lead_day),
        (ls.c.resolved_at < begin, start - dt.timedelta(days=1)),
        else_=local_day(conn, ls.c.resolved_at, timezone, begin, end),
    )
    stop_day = sa.case((resolved_day < lead_day, lead_day), else_=resolved_day)
    stake = sa.case((RESOLVED, ls.c.expected_amount), else_=ls.c.amount_at_stake)
    where = f.clauses()
    starts = _moves(conn, where, lead_day, stake)
    stops = _moves(conn, [*where, RESOLVED], stop_day, ls.c.expected_amount)
    return starts, stops


def _series(starts: pl.DataFrame, stops: pl.DataFrame, start: dt.date, n: int) -> pl.DataFrame:
    """Running sums of leads counted, open and at stake on each of the `n` days."""
    days = pl.DataFrame({"day": pl.date_range(start, start + dt.timedelta(days=n - 1), eager=True)})
    last = pl.lit(days["day"][-1])
    stops = stops.with_columns(pl.min_horizontal("day", last))  # resolved "after" today: today
    leads, money = pl.col("leads"), pl.col("money")
    moves = pl.concat([
        starts.select("day", total=leads, open=leads, stake=money),
        stops.select("day", total=pl.lit(0, pl.Int64), open=-leads, stake=-money),
    ]).group_by("day").agg(pl.all().sum())  # fmt: skip
    return (
        days.join(moves, on="day", how="left")
        .fill_null(0)
        .sort("day")
        .select("day", pl.col("total", "open", "stake").cum_sum())
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
    starts, stops = _starts_and_stops(conn, GapFilters.of(filters), start, today, timezone)
    series = _series(starts, stops, start, days)
    items = [
        _point(day, int(total), int(open_), stake)
        for day, total, open_, stake in series.iter_rows()
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
