"""The reads `lead_status` is computed from, one frame per input, for a set of leads or all.

Joins and sums that touch big tables (links, summary_daily) run in the database; only one
row per lead (or per person) comes back to Polars.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.config import Settings
from idgap.gaps.rules import DRIVERS, LEADS, ORIGIN_TAG_TABLE
from idgap.store.bulk import read_frame
from idgap.store.keys import in_keys
from idgap.store.tables import (
    cabinet_leads,
    drivers,
    identity_links,
    identity_origin,
    identity_unmatched,
    lead_status,
    match_decisions,
    summary_daily,
)

S, D, B, I32, I64, F = pl.Utf8, pl.Date, pl.Boolean, pl.Int32, pl.Int64, pl.Float64
TS = pl.Datetime("us", "UTC")

MakeStmt = Callable[[list[str] | None], sa.Select]


def _frame(conn: sa.Connection, stmt: sa.Select, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    # in bulk: SQLAlchemy's per-row result processing cost ~10 s per 100,000-lead run
    return read_frame(conn, stmt, schema)


def keyed(
    conn: sa.Connection, make: MakeStmt, keys: Sequence[str] | None, schema: dict
) -> pl.DataFrame:
    """Run `make(keys)` once (`make` filters with `_in`, i.e. `in_keys`; None = every row)."""
    if keys is not None and not keys:
        return pl.DataFrame(schema=schema)
    return _frame(conn, make(None if keys is None else list(keys)), schema)


def _in(stmt: sa.Select, col: sa.ColumnElement, keys: list[str] | None) -> sa.Select:
    return stmt if keys is None else stmt.where(in_keys(col, keys))


def _lead_link() -> Any:  # an alias of identity_links (SQLAlchemy's alias types vary)
    return identity_links.alias("lead_link")


def leads_with_identity(conn: sa.Connection, lead_ids: Sequence[str] | None) -> pl.DataFrame:
    """lead_id, lead_date, the lead link's person and its time, the person's origin."""
    link, o = _lead_link(), identity_origin
    joined = cabinet_leads.outerjoin(
        link, sa.and_(link.c.source_table == LEADS, link.c.source_pk == cabinet_leads.c.lead_id)
    ).outerjoin(o, o.c.person_key == link.c.person_key)
    cols = (
        cabinet_leads.c.lead_id, cabinet_leads.c.lead_date, link.c.person_key,
        link.c.linked_at, o.c.origin_tag, o.c.origin_source_table, o.c.origin_source_id,
        o.c.updated_at,
    )  # fmt: skip
    schema = {
        "lead_id": S, "lead_date": D, "person_key": S, "link_linked_at": TS, "origin_tag": S,
        "origin_source_table": S, "origin_source_id": S, "origin_updated_at": TS,
    }  # fmt: skip
    df = keyed(
        conn,
        lambda k: _in(sa.select(*cols).select_from(joined), cabinet_leads.c.lead_id, k),
        lead_ids,
        schema,
    )
    # rows imported without a source table still say where they come from through their tag
    tag_table = pl.col("origin_tag").replace_strict(ORIGIN_TAG_TABLE, default=None)
    return df.with_columns(pl.col("origin_source_table").fill_null(tag_table))


def driver_links(
    conn: sa.Connection, person_keys: list[str] | None, *, park_id: str
) -> pl.DataFrame:
    """Per person: the driver to show (a target-park one first), and the first driver link time.

    `person_keys=None` reads every driver link (cheaper than IN lists when refreshing all).
    """
    dl = identity_links
    stmt = (
        sa.select(dl.c.person_key, dl.c.source_pk, drivers.c.park_id, dl.c.linked_at)
        .select_from(dl.outerjoin(drivers, drivers.c.driver_id == dl.c.source_pk))
        .where(dl.c.source_table == DRIVERS)
    )
    schema = {"person_key": S, "driver_id": S, "park_id": S, "linked_at": TS}
    links = keyed(conn, lambda k: _in(stmt, dl.c.person_key, k), person_keys, schema)
    return (
        links.with_columns(other_park=(pl.col("park_id") != park_id).fill_null(True))
        .sort("person_key", "other_park", "driver_id")
        .group_by("person_key", maintain_order=True)
        .agg(pl.col("driver_id").first(), pl.col("linked_at").min().alias("driver_linked_at"))
    )


def latest_decisions(conn: sa.Connection, lead_ids: Sequence[str] | None) -> pl.DataFrame:
    """The newest match decision per lead (decisions are append-only: highest id is newest)."""
    md = match_decisions

    def make(keys: list[str] | None) -> sa.Select:
        newest = (
            _in(
                sa.select(sa.func.max(md.c.id).label("id")).where(md.c.source_table == LEADS),
                md.c.source_pk,
                keys,
            )
            .group_by(md.c.source_pk)
            .subquery()
        )
        return sa.select(md.c.source_pk, md.c.outcome, md.c.reason_code).join(
            newest, newest.c.id == md.c.id
        )

    schema = {"lead_id": S, "last_outcome": S, "last_reason_code": S}
    return keyed(conn, make, lead_ids, schema)


def window_end(conn: sa.Connection, lead_date: sa.ColumnElement, days: int) -> sa.ColumnElement:
    """lead_date + N days, as SQL for the connected backend (SQLite stores ISO date text)."""
    if conn.dialect.name == "sqlite":
        return sa.func.date(lead_date, f"+{int(days)} days")
    return lead_date + sa.literal(int(days), sa.Integer)


def trips_in_window(
    conn: sa.Connection, lead_ids: Sequence[str] | None, *, settings: Settings
) -> pl.DataFrame:
    """Trips of all the lead's person's drivers in [lead_date, lead_date + window), per lead."""
    link, dl = _lead_link(), identity_links.alias("driver_link")
    sd, cl = summary_daily, cabinet_leads
    joined = (
        cl.join(link, sa.and_(link.c.source_table == LEADS, link.c.source_pk == cl.c.lead_id))
        .join(dl, sa.and_(dl.c.source_table == DRIVERS, dl.c.person_key == link.c.person_key))
        .join(
            sd,
            sa.and_(
                sd.c.driver_id == dl.c.source_pk,
                sd.c.activity_date >= cl.c.lead_date,
                sd.c.activity_date < window_end(conn, cl.c.lead_date, settings.claim_window_days),
            ),
        )
    )
    total = sa.func.sum(sd.c.count_orders_completed)
    schema = {"lead_id": S, "trips_14d": I64}
    return keyed(
        conn,
        lambda k: _in(sa.select(cl.c.lead_id, total).select_from(joined), cl.c.lead_id, k).group_by(
            cl.c.lead_id
        ),
        lead_ids,
        schema,
    )


def _best_candidates(conn: sa.Connection, lead_ids: Sequence[str] | None) -> pl.DataFrame:
    """lead_id, lead_date, driver_id of the best candidate of each lead open for review.

    The candidates are read as JSON text and their first driver taken by a JSON path in
    Polars (best first: engine contract); the reference's {"candidates": [...]} shape too."""
    u = identity_unmatched
    stmt = (
        sa.select(u.c.source_pk, cabinet_leads.c.lead_date, sa.cast(u.c.candidates, sa.Text))
        .join(cabinet_leads, cabinet_leads.c.lead_id == u.c.source_pk)
        .where(u.c.source_table == LEADS, u.c.status == "OPEN", u.c.outcome == "review")
    )
    schema = {"lead_id": S, "lead_date": D, "candidates": S}
    rows = keyed(conn, lambda k: _in(stmt, u.c.source_pk, k), lead_ids, schema)
    text = pl.col("candidates")
    best = pl.coalesce(
        text.str.json_path_match("$[0].driver_id"),
        text.str.json_path_match("$.candidates[0].driver_id"),
    )
    return rows.select("lead_id", "lead_date", driver_id=best).filter(
        pl.col("driver_id").is_not_null() & (pl.col("driver_id") != "")
    )


def candidate_trips(
    conn: sa.Connection, lead_ids: Sequence[str] | None, *, settings: Settings
) -> pl.DataFrame:
    """Trips of the best review candidate in the lead's window: what resolving it would earn."""
    empty = pl.DataFrame(schema={"lead_id": S, "candidate_trips": I64})
    best = _best_candidates(conn, lead_ids)
    if best.height == 0:
        return empty
    window = dt.timedelta(days=settings.claim_window_days)
    lo, hi = best["lead_date"].min(), best["lead_date"].max() + window  # type: ignore[operator]
    sd = summary_daily
    stmt = sa.select(sd.c.driver_id, sd.c.activity_date, sd.c.count_orders_completed).where(
        sd.c.activity_date >= lo, sd.c.activity_date < hi
    )
    schema = {"driver_id": S, "activity_date": D, "n": I64}
    activity = keyed(
        conn, lambda k: _in(stmt, sd.c.driver_id, k), best["driver_id"].unique().to_list(), schema
    )
    in_window = (pl.col("activity_date") >= pl.col("lead_date")) & (
        pl.col("activity_date") < pl.col("lead_date") + pl.duration(days=window.days)
    )
    return (
        best.join(activity, on="driver_id")
        .filter(in_window)
        .group_by("lead_id")
        .agg(pl.col("n").sum().alias("candidate_trips"))
    )


def stored_status(conn: sa.Connection, lead_ids: Sequence[str] | None) -> pl.DataFrame:
    """The lead_status rows as stored now (to write only what changed)."""
    from idgap.gaps.status import STATUS_COLUMNS

    types = {
        "lead_date": D, "has_identity": B, "has_driver": B, "has_origin": B, "gap_age_days": I32,
        "as_of": D, "trips_14d": I64, "milestones_reached": I32, "expected_amount": F,
        "amount_at_stake": F,
    }  # fmt: skip
    schema = {c: types.get(c, S) for c in STATUS_COLUMNS} | {"resolved_at": TS}
    cols = [lead_status.c[c] for c in schema]
    stmt = sa.select(*cols)
    return keyed(conn, lambda k: _in(stmt, lead_status.c.lead_id, k), lead_ids, schema)
