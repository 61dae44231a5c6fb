"""`lead_status`: one row per cabinet lead, recomputed set-based by whoever changes its inputs.

Writers (import, matching, recovery, manual resolution) call `refresh_lead_status` inside their
own transaction for the leads they touched, so pages read a table instead of recomputing a
whole-table view per request (REF §10.2).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import polars as pl
import sqlalchemy as sa

from idgap.config import Settings
from idgap.gaps.rules import LEADS, gap_reason, milestones, risk_level
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

CHUNK = 900  # stays under SQLite's bound-parameter limit


def _frame(conn: sa.Connection, stmt: sa.Select, schema: dict) -> pl.DataFrame:
    return pl.DataFrame(conn.execute(stmt).all(), schema=schema, orient="row")


def _chunked(conn: sa.Connection, make: callable, keys: Sequence[str] | None, schema: dict) -> pl.DataFrame:
    if keys is None:
        return _frame(conn, make(None), schema)
    parts = [_frame(conn, make(list(keys[i : i + CHUNK])), schema) for i in range(0, len(keys), CHUNK)]
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def _where_in(stmt: sa.Select, col: sa.Column, keys: list[str] | None) -> sa.Select:
    return stmt if keys is None else stmt.where(col.in_(keys))


def compute_lead_status(
    conn: sa.Connection, lead_ids: Sequence[str] | None, *, today: dt.date, settings: Settings
) -> pl.DataFrame:
    """The lead_status rows for `lead_ids` (None = every lead), as a frame."""
    S = pl.Utf8
    leads = _chunked(conn, lambda k: _where_in(
        sa.select(cabinet_leads.c.lead_id, cabinet_leads.c.lead_date), cabinet_leads.c.lead_id, k),
        lead_ids, {"lead_id": S, "lead_date": pl.Date})
    ids = leads["lead_id"].to_list()
    links = _chunked(conn, lambda k: _where_in(
        sa.select(identity_links.c.source_pk, identity_links.c.person_key)
        .where(identity_links.c.source_table == LEADS), identity_links.c.source_pk, k),
        ids if lead_ids is not None else None, {"lead_id": S, "person_key": S})
    persons = links["person_key"].unique().drop_nulls().to_list()
    dlinks = _chunked(conn, lambda k: _where_in(
        sa.select(identity_links.c.person_key, identity_links.c.source_pk, drivers.c.park_id)
        .select_from(identity_links.outerjoin(drivers, drivers.c.driver_id == identity_links.c.source_pk))
        .where(identity_links.c.source_table == "drivers"), identity_links.c.person_key, k),
        persons, {"person_key": S, "driver_id": S, "park_id": S})
    origins = _chunked(conn, lambda k: _where_in(
        sa.select(identity_origin.c.person_key, identity_origin.c.origin_tag,
                  identity_origin.c.origin_source_table, identity_origin.c.origin_source_id),
        identity_origin.c.person_key, k), persons,
        {"person_key": S, "origin_tag": S, "origin_source_table": S, "origin_source_id": S})
    decisions = _latest_decisions(conn, ids if lead_ids is not None else None)
    review_driver = _review_drivers(conn, ids if lead_ids is not None else None)

    primary = (dlinks.with_columns(t=(pl.col("park_id") == settings.park_id).cast(pl.Int8))
               .sort(["person_key", "t", "driver_id"], descending=[False, True, False])
               .group_by("person_key", maintain_order=True).agg(pl.col("driver_id").first()))
    df = (leads.join(links, on="lead_id", how="left")
          .join(primary, on="person_key", how="left")
          .join(origins, on="person_key", how="left")
          .join(decisions, on="lead_id", how="left")
          .join(review_driver, on="lead_id", how="left"))
    df = df.with_columns(
        has_identity=pl.col("person_key").is_not_null(),
        has_driver=pl.col("driver_id").is_not_null(),
        has_origin=((pl.col("origin_source_table") == LEADS) & (pl.col("origin_source_id") == pl.col("lead_id"))).fill_null(False),
        gap_age_days=(pl.lit(today) - pl.col("lead_date")).dt.total_days().cast(pl.Int32),
    ).with_columns(gap_reason=gap_reason())
    df = df.with_columns(
        risk_level=risk_level(),
        origin_detail=pl.when(pl.col("gap_reason") == "other_origin").then(
            pl.concat_str([pl.col("origin_tag"), pl.col("origin_source_id")], separator=":")
        ),
    )
    trips = _trips(conn, df, dlinks, settings)
    df = df.join(trips, on="lead_id", how="left").with_columns(
        pl.col("trips_14d").fill_null(0), pl.col("candidate_trips").fill_null(0)
    )
    reached, amount = milestones(pl.col("trips_14d"), settings)
    _, cand_amount = milestones(pl.col("candidate_trips"), settings)
    unresolved = pl.col("gap_reason") != "resolved"
    return df.with_columns(
        milestones_reached=reached,
        expected_amount=amount.cast(pl.Float64),
        amount_at_stake=pl.when(unresolved).then(
            pl.when(pl.col("has_driver")).then(amount).otherwise(cand_amount)
        ).otherwise(0.0).cast(pl.Float64),
        as_of=pl.lit(today),
    )


def _latest_decisions(conn: sa.Connection, ids: list[str] | None) -> pl.DataFrame:
    md = match_decisions
    schema = {"lead_id": pl.Utf8, "last_outcome": pl.Utf8, "last_reason_code": pl.Utf8, "_id": pl.Int64}
    df = _chunked(conn, lambda k: _where_in(
        sa.select(md.c.source_pk, md.c.outcome, md.c.reason_code, md.c.id).where(md.c.source_table == LEADS),
        md.c.source_pk, k), ids, schema)
    return df.sort("_id").group_by("lead_id").agg(pl.all().last()).drop("_id")


def _review_drivers(conn: sa.Connection, ids: list[str] | None) -> pl.DataFrame:
    """The best open candidate of each queued lead: whose trips say what the lead is worth."""
    u = identity_unmatched
    rows = _chunked(conn, lambda k: _where_in(
        sa.select(u.c.source_pk, u.c.candidates).where(u.c.source_table == LEADS, u.c.status == "OPEN",
                                                       u.c.outcome == "review"), u.c.source_pk, k),
        ids, {"lead_id": pl.Utf8, "candidates": pl.Object})
    out = []
    for lead_id, cands in rows.iter_rows():
        cands = json.loads(cands) if isinstance(cands, str) else (cands or [])
        if cands:
            out.append((lead_id, cands[0].get("driver_id")))
    return pl.DataFrame(out, schema={"lead_id": pl.Utf8, "candidate_driver": pl.Utf8}, orient="row")


def _trips(conn: sa.Connection, df: pl.DataFrame, dlinks: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Trips in the half-open window [lead_date, lead_date + N days), over all the person's drivers."""
    per_lead = pl.concat([
        df.select("lead_id", "lead_date", "person_key").join(dlinks.select("person_key", "driver_id"),
                                                             on="person_key").select("lead_id", "lead_date", "driver_id", pl.lit("own").alias("kind")),
        df.filter(pl.col("candidate_driver").is_not_null()).select(
            "lead_id", "lead_date", pl.col("candidate_driver").alias("driver_id"), pl.lit("cand").alias("kind")),
    ])
    empty = pl.DataFrame(schema={"lead_id": pl.Utf8, "trips_14d": pl.Int64, "candidate_trips": pl.Int64})
    if per_lead.height == 0:
        return empty
    drv = per_lead["driver_id"].unique().to_list()
    lo, hi = per_lead["lead_date"].min(), per_lead["lead_date"].max() + dt.timedelta(days=settings.claim_window_days)
    sd = summary_daily
    act = _chunked(conn, lambda k: sa.select(sd.c.driver_id, sd.c.activity_date, sd.c.count_orders_completed)
                   .where(sd.c.driver_id.in_(k), sd.c.activity_date >= lo, sd.c.activity_date < hi),
                   drv, {"driver_id": pl.Utf8, "d": pl.Date, "n": pl.Int64})
    window = pl.duration(days=settings.claim_window_days)
    j = per_lead.join(act, on="driver_id").filter(
        (pl.col("d") >= pl.col("lead_date")) & (pl.col("d") < pl.col("lead_date") + window))
    sums = j.group_by("lead_id", "kind").agg(pl.col("n").sum())
    wide = sums.pivot(on="kind", index="lead_id", values="n")
    return wide.select(
        "lead_id",
        (pl.col("own") if "own" in wide.columns else pl.lit(0)).cast(pl.Int64).alias("trips_14d"),
        (pl.col("cand") if "cand" in wide.columns else pl.lit(0)).cast(pl.Int64).alias("candidate_trips"),
    )


STATUS_COLUMNS = (
    "lead_id", "lead_date", "person_key", "driver_id", "has_identity", "has_driver", "has_origin",
    "gap_reason", "origin_detail", "gap_age_days", "risk_level", "as_of", "trips_14d",
    "milestones_reached", "expected_amount", "amount_at_stake", "last_outcome", "last_reason_code",
)  # fmt: skip


def refresh_lead_status(
    conn: sa.Connection, lead_ids: Sequence[str] | None, *, today: dt.date, settings: Settings,
    now: dt.datetime | None = None,
) -> int:
    """Recompute and store lead_status for `lead_ids` (None = all). Returns rows written."""
    if lead_ids is not None and not lead_ids:
        return 0
    fresh = compute_lead_status(conn, list(dict.fromkeys(lead_ids)) if lead_ids is not None else None,
                                today=today, settings=settings)
    stamp = now or dt.datetime.now(dt.UTC)
    ids = fresh["lead_id"].to_list()
    old = _chunked(conn, lambda k: _where_in(sa.select(lead_status.c.lead_id, lead_status.c.resolved_at),
                                             lead_status.c.lead_id, k),
                   ids if lead_ids is not None else None, {"lead_id": pl.Utf8, "resolved_at": pl.Datetime("us", "UTC")})
    fresh = fresh.select(STATUS_COLUMNS).join(old, on="lead_id", how="left").with_columns(
        resolved_at=pl.when(pl.col("gap_reason") == "resolved")
        .then(pl.col("resolved_at").fill_null(pl.lit(stamp)))
        .otherwise(None),
        updated_at=pl.lit(stamp),
    )
    if lead_ids is None:
        conn.execute(lead_status.delete())
    else:
        for i in range(0, len(ids), CHUNK):
            conn.execute(lead_status.delete().where(lead_status.c.lead_id.in_(ids[i : i + CHUNK])))
    records = fresh.to_dicts()
    for i in range(0, len(records), 20_000):
        conn.execute(lead_status.insert(), records[i : i + 20_000])
    return len(records)


def refresh_ages(conn: sa.Connection, *, today: dt.date, settings: Settings) -> int:
    """Ages and risk move daily: recompute rows computed on an earlier day."""
    stale = conn.execute(sa.select(sa.func.count()).where(lead_status.c.as_of < today)).scalar_one()
    if stale:
        refresh_lead_status(conn, None, today=today, settings=settings)
    return stale
