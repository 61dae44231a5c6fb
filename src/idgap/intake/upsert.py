"""Idempotent bulk upsert of one prepared source table, and the rejects table.

The stored keys and row hashes are read once and compared in Polars: a new key is loaded, a
known key with another hash is updated (and `idgap_changed_at` set, so identity and gap status
are re-evaluated), the rest is unchanged and not written at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.intake.contract import TableSpec
from idgap.intake.prepare import LINE, REASON
from idgap.intake.report import TableReport
from idgap.store.bulk import insert_frame, now_column, read_frame, update_frame
from idgap.store.tables import SOURCE_TABLES, import_rejects

OLD_HASH = "_old_hash"


def _key_schema(key: tuple[str, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {k: (pl.Date if k == "activity_date" else pl.Utf8) for k in key}
    schema[OLD_HASH] = pl.Utf8
    return schema


def stored_hashes(conn: sa.Connection, spec: TableSpec, rows: pl.DataFrame) -> pl.DataFrame:
    """Key + hash of the stored rows the incoming ones could collide with."""
    table = SOURCE_TABLES[spec.table]
    stmt = sa.select(*[table.c[k] for k in spec.key], table.c.idgap_row_hash)
    if "activity_date" in spec.key and rows.height:
        # activity grows by day: only the days in the file can collide
        days = rows["activity_date"]
        stmt = stmt.where(table.c.activity_date.between(days.min(), days.max()))
    return read_frame(conn, stmt, _key_schema(spec.key))


def upsert_source(
    conn: sa.Connection,
    spec: TableSpec,
    rows: pl.DataFrame,
    rep: TableReport,
    *,
    now: dt.datetime,
) -> pl.DataFrame:
    """Write one prepared table; count into `rep`; return the keys inserted or changed."""
    table = SOURCE_TABLES[spec.table]
    key = list(spec.key)
    joined = rows.join(stored_hashes(conn, spec, rows), on=key, how="left")
    new = joined.filter(pl.col(OLD_HASH).is_null())
    changed = joined.filter(
        pl.col(OLD_HASH).is_not_null() & (pl.col(OLD_HASH) != pl.col("idgap_row_hash"))
    )
    rep.loaded, rep.updated = new.height, changed.height
    rep.unchanged = rows.height - new.height - changed.height
    payload = [c for c in rows.columns if c != LINE]
    insert_frame(
        conn,
        table,
        new.select(payload).with_columns(
            now_column("idgap_loaded_at", now), now_column("idgap_changed_at", now)
        ),
    )
    update_frame(
        conn, table, changed.select(payload).with_columns(now_column("idgap_changed_at", now)), key
    )
    return pl.concat([new.select(key), changed.select(key)])


def record_rejects(
    conn: sa.Connection,
    rejects: pl.DataFrame,
    rep: TableReport,
    *,
    run_id: int | None,
    now: dt.datetime,
    listed: int,
) -> None:
    """Keep every rejected row (line, reason, raw values as JSON); list the first in `rep`."""
    rep.rejected += rejects.height
    if rejects.height == 0:
        return
    raw_cols = [c for c in rejects.columns if c not in (LINE, REASON)]
    frame = rejects.sort(LINE).select(
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        pl.lit(rep.table).alias("table_name"),
        pl.lit(rep.file).alias("file_name"),
        pl.col(LINE).cast(pl.Int64).alias("line_number"),
        pl.col(REASON).str.slice(0, 500).alias("reason"),
        pl.struct(raw_cols).struct.json_encode().alias("raw_row"),
        now_column("created_at", now),
    )
    insert_frame(conn, import_rejects, frame)
    room = max(listed - len(rep.rejects), 0)
    rep.rejects.extend(
        {"line": line, "reason": reason}
        for line, reason in frame.head(room).select("line_number", "reason").iter_rows()
    )
