"""`claims`: one row per lead x milestone, recomputed set-based for the leads a writer touched.

Inputs are what the writers already keep current: the lead's `lead_status` row (person,
driver, trips in the window, what its best review candidate would earn) and the payments
matched to it (`payment_matches`). `refresh_lead_status` calls `refresh_claims` for the same
leads in the same transaction, so the ledger moves with the gap status; only changed rows are
rewritten.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from idgap.claims.model import FLAG_COLUMNS, PaymentOutcome
from idgap.claims.model import ClaimStatus as C
from idgap.config import Settings
from idgap.gaps.inputs import keyed
from idgap.store.bulk import Staged, now_column, stage_frames
from idgap.store.keys import in_keys
from idgap.store.tables import cabinet_payments, claims, lead_status, payment_matches

S, D, B, I64, F = pl.Utf8, pl.Date, pl.Boolean, pl.Int64, pl.Float64
WHOLE_TABLE_ABOVE = 5_000
CLAIM_COLUMNS = (
    "lead_id",
    "milestone",
    "lead_date",
    "person_key",
    "driver_id",
    "amount",
    "trips_14d",
    "reached",
    "paid",
    "payment_id",
    "status",
    "at_stake",
    "deadline",
)
CLAIM_SCHEMA = {
    "lead_id": S,
    "milestone": I64,
    "lead_date": D,
    "person_key": S,
    "driver_id": S,
    "amount": F,
    "trips_14d": I64,
    "reached": B,
    "paid": B,
    "payment_id": S,
    "status": S,
    "at_stake": F,
    "deadline": D,
}


def milestone_frame(settings: Settings) -> pl.DataFrame:
    """milestone, amount and the cumulative amount up to it (amounts add up, SPEC §1)."""
    trips, amounts = settings.milestone_trips, settings.milestone_amounts
    return pl.DataFrame(
        {
            "milestone": list(trips),
            "amount": list(amounts),
            "cumulative": list(itertools.accumulate(amounts)),
        },
        schema={"milestone": I64, "amount": F, "cumulative": F},
    )


def derive_claims(
    leads: pl.DataFrame, paid: pl.DataFrame, *, settings: Settings, today: dt.date
) -> pl.DataFrame:
    """Pure part. `leads`: lead_id, lead_date, person_key, driver_id, trips_14d,
    amount_at_stake; `paid`: lead_id, milestone, payment_id. -> CLAIM_SCHEMA rows."""
    first_paid = paid.group_by("lead_id", "milestone").agg(pl.col("payment_id").min())
    grace = settings.claim_window_days + settings.claim_deadline_days
    df = (
        leads.join(milestone_frame(settings), how="cross")
        .join(first_paid, on=["lead_id", "milestone"], how="left")
        .with_columns(
            trips_14d=pl.col("trips_14d").fill_null(0).cast(I64),
            identified=pl.col("driver_id").is_not_null(),
            paid=pl.col("payment_id").is_not_null(),
            deadline=pl.col("lead_date") + pl.duration(days=grace),
        )
        .with_columns(reached=pl.col("identified") & (pl.col("trips_14d") >= pl.col("milestone")))
    )
    # a lead without driver: `amount_at_stake` is its best candidate's cumulative amount, so
    # the candidate reached a milestone exactly when that amount covers the milestone's total
    candidate_reached = pl.col("amount_at_stake").fill_null(0) >= pl.col("cumulative") - 1e-9
    return df.with_columns(
        status=_status(today),
        at_stake=pl.when(~pl.col("identified") & candidate_reached).then("amount").otherwise(0.0),
    ).select(CLAIM_COLUMNS)


def _status(today: dt.date) -> pl.Expr:
    paid, reached = pl.col("paid"), pl.col("reached")
    return (
        pl.when(paid & reached)
        .then(pl.lit(C.PAID.value))
        .when(paid)
        .then(pl.lit(C.PAID_NOT_REACHED.value))
        .when(~pl.col("identified"))
        .then(pl.lit(C.UNIDENTIFIED.value))
        .when(reached & (pl.col("deadline") < pl.lit(today)))
        .then(pl.lit(C.EXPIRED.value))
        .when(reached)
        .then(pl.lit(C.OWED.value))
        .otherwise(pl.lit(C.NOT_REACHED.value))
    )


def _in(stmt: sa.Select, col: sa.ColumnElement, keys: list[str] | None) -> sa.Select:
    return stmt if keys is None else stmt.where(col.in_(keys))


def _lead_rows(conn: sa.Connection, lead_ids: list[str] | None) -> pl.DataFrame:
    ls = lead_status
    stmt = sa.select(
        ls.c.lead_id,
        ls.c.lead_date,
        ls.c.person_key,
        ls.c.driver_id,
        ls.c.trips_14d,
        ls.c.amount_at_stake,
    )
    schema = {
        "lead_id": S,
        "lead_date": D,
        "person_key": S,
        "driver_id": S,
        "trips_14d": I64,
        "amount_at_stake": F,
    }
    return keyed(conn, lambda k: _in(stmt, ls.c.lead_id, k), lead_ids, schema)


def paid_milestones(conn: sa.Connection, lead_ids: list[str] | None) -> pl.DataFrame:
    """lead_id, milestone, payment_id of every matched payment of these leads, per flag."""
    pm, p = payment_matches, cabinet_payments
    stmt = (
        sa.select(pm.c.lead_id, pm.c.payment_id, *[p.c[c] for c in FLAG_COLUMNS.values()])
        .join(p, p.c.id == pm.c.payment_id)
        .where(pm.c.outcome == PaymentOutcome.MATCHED.value, pm.c.lead_id.is_not(None))
    )
    schema = {"lead_id": S, "payment_id": S} | {c: B for c in FLAG_COLUMNS.values()}
    rows = keyed(conn, lambda k: _in(stmt, pm.c.lead_id, k), lead_ids, schema)
    parts = [
        rows.filter(pl.col(col)).select(
            "lead_id", pl.lit(m, dtype=I64).alias("milestone"), "payment_id"
        )
        for m, col in FLAG_COLUMNS.items()
    ]
    return pl.concat(parts)


def _stored(conn: sa.Connection, lead_ids: list[str] | None) -> pl.DataFrame:
    stmt = sa.select(*[claims.c[c] for c in CLAIM_COLUMNS])
    return keyed(conn, lambda k: _in(stmt, claims.c.lead_id, k), lead_ids, CLAIM_SCHEMA)


def compute_claims(
    conn: sa.Connection, lead_ids: list[str] | None, *, today: dt.date, settings: Settings
) -> pl.DataFrame:
    return derive_claims(
        _lead_rows(conn, lead_ids),
        paid_milestones(conn, lead_ids),
        settings=settings,
        today=today,
    )


def refresh_claims(
    conn: sa.Connection,
    lead_ids: Sequence[str] | None,
    *,
    today: dt.date,
    settings: Settings,
    now: dt.datetime | None = None,
) -> int:
    """Recompute the claims rows of `lead_ids` (None = every lead); -> rows written."""
    changes = claim_changes(conn, lead_ids, today=today, settings=settings)
    stamp = now or dt.datetime.now(dt.UTC)
    with stage_frames(conn, changes.frames(stamp)) as staged:
        write_claims(staged, changes)
    return changes.written


@dataclass(frozen=True)
class ClaimChanges:
    """The leads whose claims rows moved and their fresh rows (a lead is rewritten whole).
    Computed by reads only, so the follow-ups stage it with the search keys."""

    stale: list[str]  # lead ids whose stored rows go
    rewrite: pl.DataFrame  # CLAIM_COLUMNS rows of those leads
    written: int  # rows changed or gone (what `refresh_claims` reports)

    def frames(self, now: dt.datetime) -> dict[str, tuple[pl.DataFrame, sa.Table]]:
        """The frame to stage (`store.bulk.stage_frames`) for `write_claims`."""
        return {"claims": (self.rewrite.with_columns(now_column("updated_at", now)), claims)}


def claim_changes(
    conn: sa.Connection, lead_ids: Sequence[str] | None, *, today: dt.date, settings: Settings
) -> ClaimChanges:
    """Compare the claims of `lead_ids` (None = every lead) with the stored ones (reads)."""
    ids = None if lead_ids is None else list(dict.fromkeys(lead_ids))
    if ids is not None and not ids:
        return ClaimChanges([], pl.DataFrame(schema=CLAIM_SCHEMA), 0)
    scan_all = ids is None or len(ids) > WHOLE_TABLE_ABOVE
    fresh = compute_claims(conn, None if scan_all else ids, today=today, settings=settings)
    old = _stored(conn, None if scan_all else ids)
    if scan_all and ids is not None:
        wanted = pl.Series("lead_id", ids, dtype=S)
        fresh = fresh.filter(pl.col("lead_id").is_in(wanted))
        old = old.filter(pl.col("lead_id").is_in(wanted))
    key = ["lead_id", "milestone"]
    changed = fresh.join(old, on=list(CLAIM_COLUMNS), how="anti", nulls_equal=True)
    gone = old.join(fresh, on=key, how="anti")
    stale = pl.concat([changed.select("lead_id"), gone.select("lead_id")]).unique()
    rewrite = fresh.join(stale, on="lead_id", how="semi")
    return ClaimChanges(stale["lead_id"].to_list(), rewrite, changed.height + gone.height)


def write_claims(staged: Staged, changes: ClaimChanges) -> None:
    """A lead whose rows moved is rewritten whole: one DELETE for the stale leads, then the
    frame staged with `changes.frames()`."""
    _delete(staged.conn, changes.stale)
    staged.insert(claims, "claims")


def _delete(conn: sa.Connection, leads: list[str]) -> None:
    if leads:
        conn.execute(claims.delete().where(in_keys(claims.c.lead_id, leads)))


def expire_claims(conn: sa.Connection, *, today: dt.date) -> int:
    """Owed claims whose deadline passed since they were computed become expired."""
    result = conn.execute(
        claims.update()
        .where(claims.c.status == C.OWED.value, claims.c.deadline < today)
        .values(status=C.EXPIRED.value)
    )
    return result.rowcount or 0
