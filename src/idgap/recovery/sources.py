"""Load what the engine needs from the store: candidates of leads and scouting rows.

The work list applies the retry rule (REF §10.3 defect 7): a record without identity is
decided when it was never decided, or the driver index or the ruleset version changed since its
latest decision, or the record itself changed after it. Nothing is terminal forever, and nothing
is re-decided for nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from idgap.identity.persons import LEADS, SCOUTING
from idgap.matching.activity import TRIPS_SCHEMA
from idgap.matching.candidates import leads_to_candidates, scouting_to_candidates
from idgap.matching.model import Reason
from idgap.store.bulk import read_frame
from idgap.store.keys import in_keys
from idgap.store.tables import (
    cabinet_leads,
    identity_links,
    identity_unmatched,
    match_decisions,
    scouting_daily,
    summary_daily,
)

SOURCES = {
    LEADS: (cabinet_leads, cabinet_leads.c.lead_id, leads_to_candidates, "lead_date"),
    SCOUTING: (scouting_daily, scouting_daily.c.id, scouting_to_candidates, "registration_date"),
}


@dataclass
class WorkList:
    candidates: pl.DataFrame  # canonical candidates, most urgent first
    without_identity: int  # records without a link
    skipped_unchanged: int  # ... of which nothing changed since their latest decision


def _frame(rows: list[dict], table: str) -> pl.DataFrame | None:
    if not rows:
        return None
    _, _, to_candidates, date_col = SOURCES[table]
    df = pl.DataFrame(rows, infer_schema_length=None)
    return to_candidates(df.with_columns(pl.col(date_col).cast(pl.Date)))


def _columns(t: sa.Table) -> list[sa.Column]:
    """Source columns the engine reads: leads keep `idgap_extra` (Yango's activity flags
    arrive there); for other sources the kept extra columns are not matched on."""
    return [c for c in t.c if c.name != "idgap_extra" or t is cabinet_leads]


def _unlinked_query(table: str) -> sa.Select:
    """Source rows without a link, with their latest decision's index version and time."""
    t, pk, _, _ = SOURCES[table]
    lk, u, md = identity_links, identity_unmatched, match_decisions
    decided = sa.func.coalesce(md.c.decided_at, u.c.updated_at)
    return (
        sa.select(
            *_columns(t),
            u.c.index_version.label("_iv"),
            u.c.reason_code.label("_queued_reason"),
            md.c.ruleset_version.label("_rv"),
            decided.label("_decided"),
        )
        .select_from(
            t.outerjoin(lk, sa.and_(lk.c.source_table == table, lk.c.source_pk == pk))
            .outerjoin(u, sa.and_(u.c.source_table == table, u.c.source_pk == pk))
            .outerjoin(md, md.c.id == u.c.decision_id)
        )
        .where(lk.c.id.is_(None))
    )


def work_list(
    conn: sa.Connection,
    *,
    version: str,
    today: dt.date,
    window_days: int,
    ruleset_version: str | None = None,
) -> WorkList:
    """Leads and scouting rows due for a decision; inside-the-window and newest first.

    `version` is the driver index's; `ruleset_version` the matcher's (None: not compared).
    """
    frames, total, skipped = [], 0, 0
    for table in SOURCES:
        rows = [dict(r) for r in conn.execute(_unlinked_query(table)).mappings()]
        total += len(rows)
        due = [r for r in rows if _is_due(r, version, ruleset_version)]
        skipped += len(rows) - len(due)
        frame = _frame([_strip(r) for r in due], table)
        if frame is not None:
            frames.append(frame)
    if not frames:
        return WorkList(pl.DataFrame(), total, skipped)
    out = pl.concat(frames, how="vertical_relaxed")
    return WorkList(urgent_first(out, today=today, window_days=window_days), total, skipped)


# a human undid this lead's automatic link (identity.undo): the matcher must not redo it
HUMAN_HELD_REASONS = (Reason.REOPENED.value,)


def _is_due(row: dict, version: str, ruleset_version: str | None) -> bool:
    if row.get("_queued_reason") in HUMAN_HELD_REASONS:
        return False
    if row["_iv"] is None or row["_decided"] is None:
        return True  # never decided
    if row["_iv"] != version:
        return True  # the driver index changed since
    if ruleset_version is not None and row["_rv"] is not None and row["_rv"] != ruleset_version:
        return True  # decided by another matcher version (or the other ruleset)
    changed, decided = row["idgap_changed_at"], row["_decided"]
    return _aware(changed) > _aware(decided)  # the record changed since


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _strip(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def urgent_first(cands: pl.DataFrame, *, today: dt.date, window_days: int) -> pl.DataFrame:
    """Leads still inside their claim window first, then newest first (REF §10.3 defect 7)."""
    age = (pl.lit(today) - pl.col("lead_date")).dt.total_days()
    return (
        cands.with_columns(_in_window=((age >= 0) & (age < window_days)).fill_null(False))
        .sort(
            ["_in_window", "lead_date", "source_pk"],
            descending=[True, True, False],
            nulls_last=True,
        )
        .drop("_in_window")
    )


def candidates_for(conn: sa.Connection, table: str, pks: Sequence[str]) -> pl.DataFrame | None:
    """Candidates of specific records of `table` (e.g. lead links whose person lacks a driver)."""
    if table not in SOURCES or not pks:
        return None
    t, pk, _, _ = SOURCES[table]
    stmt = sa.select(*_columns(t)).where(in_keys(pk, sorted(set(pks))))
    return _frame([dict(r) for r in conn.execute(stmt).mappings()], table)


def trips_frame(conn: sa.Connection, candidates: pl.DataFrame, *, days: int) -> pl.DataFrame:
    """The engine's activity input: per-driver daily trips (`summary_daily`) from the earliest
    lead date of `candidates` to `days` after the latest (the widest window measured)."""
    if candidates.height == 0 or "lead_date" not in candidates.columns:
        return pl.DataFrame(schema=TRIPS_SCHEMA)
    first, last = candidates["lead_date"].min(), candidates["lead_date"].max()
    if first is None or last is None:
        return pl.DataFrame(schema=TRIPS_SCHEMA)
    sd = summary_daily
    stmt = sa.select(
        sd.c.driver_id, sd.c.activity_date, sd.c.count_orders_completed.label("trips")
    ).where(
        sd.c.activity_date >= first,
        sd.c.activity_date <= last + dt.timedelta(days=days),  # type: ignore[operator]
        sd.c.count_orders_completed > 0,
    )
    return read_frame(conn, stmt, TRIPS_SCHEMA)
