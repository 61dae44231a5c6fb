"""The rows of an export as Polars frames, selected by the same filters as the screens.

The gap table uses `gaps.query.GapFilters` (search included) and the gap table's order; the
review queue uses `identity.queue.QueueFilters` and its money-first order. Codes stay codes
(they are data); dates stay dates, amounts numbers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.gaps.query import GapFilters, ensure_current_ages
from idgap.gaps.read import ITEM_COLUMNS, gap_order
from idgap.identity.queue import QueueFilters, queue_page
from idgap.store.tables import cabinet_leads, lead_status

ls, cl = lead_status, cabinet_leads
S, D, I64, F, B = pl.Utf8, pl.Date, pl.Int64, pl.Float64, pl.Boolean
TS = pl.Datetime("us", "UTC")
GAP_TYPES: dict[str, Any] = {
    "lead_date": D, "has_identity": B, "has_driver": B, "has_origin": B, "gap_age_days": I64,
    "trips_14d": I64, "milestones_reached": I64, "expected_amount": F, "amount_at_stake": F,
    "resolved_at": TS,
}  # fmt: skip
LEAD_NAME = ("first_name", "middle_name", "last_name")
GAP_SCHEMA = {c: GAP_TYPES.get(c, S) for c in ITEM_COLUMNS} | {
    "lead_name": S, "lead_phone": S, "lead_plate": S,
}  # fmt: skip


def gap_frame(
    conn: sa.Connection,
    *,
    filters: GapFilters | Mapping[str, Any] | None = None,
    sort: str | None = None,
    today: dt.date | None = None,
) -> pl.DataFrame:
    """Every lead of the gap table that passes `filters`, in the table's order."""
    if today is not None:
        ensure_current_ages(conn, today=today)
    where = GapFilters.of(filters).clauses()
    name = sa.func.trim(
        sa.func.coalesce(cl.c.first_name, "") + " " + sa.func.coalesce(cl.c.middle_name, "")
        + " " + sa.func.coalesce(cl.c.last_name, "")
    )  # fmt: skip
    cols = [ls.c[c] for c in ITEM_COLUMNS]
    stmt = (
        sa.select(*cols, name, cl.c.park_phone, cl.c.asset_plate_number)
        .select_from(ls.outerjoin(cl, cl.c.lead_id == ls.c.lead_id))
        .where(*where)
        .order_by(*gap_order(sort))
    )
    rows = conn.execute(stmt).all()
    df = pl.DataFrame(rows, schema=GAP_SCHEMA, orient="row")
    return df.with_columns(pl.col("lead_name").str.replace_all(r"\s+", " "))


REVIEW_SCHEMA: dict[str, Any] = {
    "queue_id": I64, "lead_id": S, "source_table": S, "lead_date": D, "outcome": S,
    "reason_code": S, "status": S, "amount_at_stake": F, "gap_age_days": I64, "linkable": B,
    "candidates": I64, "best_driver_id": S, "best_park_id": S, "best_score": F,
    "resolved_by": S, "resolved_at": TS, "resolution_note": S,
}  # fmt: skip


def _candidates(raw: object) -> list[dict[str, Any]]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    if isinstance(value, dict):  # the reference's {"candidates": [...]} shape
        value = value.get("candidates")
    return [c for c in value or [] if isinstance(c, dict)] if isinstance(value, list) else []


def review_frame(
    conn: sa.Connection,
    *,
    filters: QueueFilters | Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> pl.DataFrame:
    """Every queue item that passes `filters`, most money first, with its best candidate."""
    if today is not None:
        ensure_current_ages(conn, today=today)
    items, _ = queue_page(conn, QueueFilters.of(filters), limit=None)
    out = []
    for it in items:
        cands = _candidates(it.get("candidates"))
        best = cands[0] if cands else {}
        out.append((
            it["id"], it["source_pk"], it["source_table"], it["lead_date"], it["outcome"],
            it["reason_code"], it["status"], float(it["amount_at_stake"] or 0.0),
            it["gap_age_days"], it["linkable"], len(cands), best.get("driver_id"),
            best.get("park_id"), best.get("score"), it["resolved_by"], it["resolved_at"],
            it["resolution_note"],
        ))  # fmt: skip
    return pl.DataFrame(out, schema=REVIEW_SCHEMA, orient="row")
