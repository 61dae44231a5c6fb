"""`lead_status`: one row per cabinet lead, recomputed set-based by whoever changes its inputs.

Writers (import, matching, recovery, manual resolution) call `refresh_lead_status` inside their
own transaction for the leads they touched, so pages read a table instead of recomputing a
whole-table view per request (REF §10.2). Only rows whose figures changed are rewritten, so a
refresh after a small change costs reads, not writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
import sqlalchemy as sa

from idgap.claims.ledger import claim_changes, refresh_claims, write_claims
from idgap.config import Settings
from idgap.gaps import inputs
from idgap.gaps.rules import gap_reason, milestones, origin_detail, risk_level, risk_level_sql
from idgap.identity.search_index import search_key_changes, sync_search_keys, write_search_keys
from idgap.store.bulk import insert_frame, now_column, stage_frames
from idgap.store.keys import in_keys
from idgap.store.tables import lead_status

WHOLE_TABLE_ABOVE = 20_000  # lead ids; past this one scan of every lead beats index probes

STATUS_COLUMNS = (
    "lead_id", "lead_date", "person_key", "driver_id", "has_identity", "has_driver", "has_origin",
    "gap_reason", "origin_detail", "gap_age_days", "risk_level", "as_of", "trips_14d",
    "milestones_reached", "expected_amount", "amount_at_stake", "last_outcome", "last_reason_code",
)  # fmt: skip


def compute_lead_status(
    conn: sa.Connection, lead_ids: Sequence[str] | None, *, today: dt.date, settings: Settings
) -> pl.DataFrame:
    """The lead_status rows for `lead_ids` (None = every lead), plus `became_resolved_at`."""
    base = inputs.leads_with_identity(conn, lead_ids)
    persons = None if lead_ids is None else base["person_key"].drop_nulls().unique().to_list()
    drivers = inputs.driver_links(conn, persons, park_id=settings.park_id)
    df = (
        base.join(drivers, on="person_key", how="left")
        .join(inputs.latest_decisions(conn, lead_ids), on="lead_id", how="left")
        .join(inputs.trips_in_window(conn, lead_ids, settings=settings), on="lead_id", how="left")
        .join(inputs.candidate_trips(conn, lead_ids, settings=settings), on="lead_id", how="left")
    )
    return _derive(df, today=today, settings=settings)


def _derive(df: pl.DataFrame, *, today: dt.date, settings: Settings) -> pl.DataFrame:
    """Pure part: flags, reason, age, risk, money. `df` has one row per lead."""
    df = df.with_columns(
        pl.col("trips_14d").fill_null(0).cast(pl.Int64),
        pl.col("candidate_trips").fill_null(0).cast(pl.Int64),
        has_identity=pl.col("person_key").is_not_null(),
        has_driver=pl.col("driver_id").is_not_null(),
        has_origin=(
            (pl.col("origin_source_table") == "module_ct_cabinet_leads")
            & (pl.col("origin_source_id") == pl.col("lead_id"))
        ).fill_null(False),
        gap_age_days=(pl.lit(today) - pl.col("lead_date")).dt.total_days().cast(pl.Int32),
        as_of=pl.lit(today),
    ).with_columns(gap_reason=gap_reason())
    reached, amount = milestones(pl.col("trips_14d"), settings)
    _, candidate_amount = milestones(pl.col("candidate_trips"), settings)
    unresolved = pl.col("gap_reason") != "resolved"
    return df.with_columns(
        risk_level=risk_level(),
        origin_detail=pl.when(pl.col("gap_reason") == "other_origin").then(origin_detail()),
        milestones_reached=reached.cast(pl.Int32),
        expected_amount=amount.cast(pl.Float64),
        # What resolving the lead would be worth: its own drivers' trips when a driver is known,
        # else the best review candidate's trips (0 when nobody is in sight).
        amount_at_stake=pl.when(unresolved)
        .then(pl.when(pl.col("has_driver")).then(amount).otherwise(candidate_amount))
        .otherwise(0.0)
        .cast(pl.Float64),
        # the moment link, driver link and origin were all in place
        became_resolved_at=pl.max_horizontal(
            "link_linked_at", "driver_linked_at", "origin_updated_at"
        ),
    )


def refresh_lead_status(
    conn: sa.Connection,
    lead_ids: Sequence[str] | None,
    *,
    today: dt.date,
    settings: Settings,
    now: dt.datetime | None = None,
    followups: bool = True,
) -> int:
    """Recompute lead_status for `lead_ids` (None = all) and store what changed.

    Returns the number of rows written (inserted, updated or deleted). `now` stamps
    `updated_at`; `resolved_at` comes from the link/driver/origin timestamps themselves.
    `followups=False` leaves search keys and claims to the caller (`refresh_followups` once
    per run, for a writer that refreshes many batches).
    """
    if lead_ids is not None:
        lead_ids = list(dict.fromkeys(lead_ids))
        if not lead_ids:
            return 0
    # many ids: one pass over everything beats hundreds of IN-list chunks
    scan_all = lead_ids is None or len(lead_ids) > WHOLE_TABLE_ABOVE
    fresh = compute_lead_status(
        conn, None if scan_all else lead_ids, today=today, settings=settings
    )
    old = inputs.stored_status(conn, None if scan_all else lead_ids)
    if scan_all and lead_ids is not None:
        wanted = pl.Series("lead_id", lead_ids, dtype=pl.Utf8)
        fresh = fresh.filter(pl.col("lead_id").is_in(wanted))
        old = old.filter(pl.col("lead_id").is_in(wanted))
    changed, gone = _diff(fresh, old)
    stamp = now or dt.datetime.now(dt.UTC)
    _delete(conn, changed["lead_id"].to_list() + gone)
    insert_frame(conn, lead_status, _rows_to_write(changed, stamp))
    if followups:
        refresh_followups(conn, lead_ids, today=today, settings=settings, now=stamp)
    return changed.height + len(gone)


def refresh_followups(
    conn: sa.Connection,
    lead_ids: Sequence[str] | None,
    *,
    today: dt.date,
    settings: Settings,
    now: dt.datetime,
) -> None:
    """What moves with the gap status: the leads' (and their persons') search keys and the
    claims ledger (issue 14), in the caller's transaction (None = every lead).

    Named leads: both are computed first (reads), then staged together (one bulk stage) and
    written set-based; of the key rows only the difference is written."""
    if lead_ids is None:
        sync_search_keys(conn, None)
        refresh_claims(conn, None, today=today, settings=settings, now=now)
        return
    keys = search_key_changes(conn, lead_ids, ())
    owed = claim_changes(conn, lead_ids, today=today, settings=settings)
    with stage_frames(conn, {**keys.frames(), **owed.frames(now)}) as staged:
        write_search_keys(staged, keys)
        write_claims(staged, owed)


def _diff(fresh: pl.DataFrame, old: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Fresh rows that differ from the stored ones (or are new), and stored ids now gone."""
    compared = [c for c in STATUS_COLUMNS if c != "lead_id"]
    old = old.rename({c: f"{c}_old" for c in old.columns if c != "lead_id"})
    joined = fresh.join(old, on="lead_id", how="left")
    differs = (
        pl.any_horizontal([~pl.col(c).eq_missing(pl.col(f"{c}_old")) for c in compared])
        | pl.col("lead_date_old").is_null()
    )
    changed = joined.filter(differs).select(
        *STATUS_COLUMNS, "became_resolved_at", pl.col("resolved_at_old").alias("resolved_at")
    )
    gone = old.join(fresh.select("lead_id"), on="lead_id", how="anti")["lead_id"].to_list()
    return changed, gone


def _rows_to_write(changed: pl.DataFrame, stamp: dt.datetime) -> pl.DataFrame:
    # resolved_at is the first time the lead was seen resolved and is kept afterwards.
    return changed.with_columns(
        resolved_at=pl.when(pl.col("resolved_at").is_not_null())
        .then(pl.col("resolved_at"))
        .when(pl.col("gap_reason") == "resolved")
        .then(pl.col("became_resolved_at").fill_null(pl.lit(stamp))),
        updated_at=now_column("updated_at", stamp),
    ).drop("became_resolved_at")


def _delete(conn: sa.Connection, ids: list[str]) -> None:
    if ids:
        conn.execute(lead_status.delete().where(in_keys(lead_status.c.lead_id, ids)))


def refresh_ages(conn: sa.Connection, *, today: dt.date) -> int:
    """Ages and risk move daily: shift rows computed for another day, set-based.

    Age is `today - lead_date`, so a row computed on day D is off by exactly `today - D`;
    one UPDATE per distinct stale day fixes age, risk and as_of without date functions.
    """
    stale_days = conn.execute(
        sa.select(lead_status.c.as_of).where(lead_status.c.as_of != today).distinct()
    ).scalars()
    updated = 0
    for day in list(stale_days):
        delta = (today - day).days
        new_age = lead_status.c.gap_age_days + delta
        result = conn.execute(
            lead_status.update()
            .where(lead_status.c.as_of == day)
            .values(
                gap_age_days=new_age,
                risk_level=risk_level_sql(lead_status.c.gap_reason, new_age),
                as_of=today,
            )
        )
        updated += result.rowcount or 0
    return updated


def has_stale_ages(conn: sa.Connection, *, today: dt.date) -> bool:
    query = sa.select(lead_status.c.lead_id).where(lead_status.c.as_of != today).limit(1)
    return conn.execute(query).first() is not None
