"""Idempotent bulk upsert by natural key, with a row hash deciding updated vs unchanged."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import sqlalchemy as sa

from idgap.intake.contract import TableSpec
from idgap.intake.report import TableReport
from idgap.store.tables import SOURCE_TABLES, import_rejects

CHUNK = 20_000
MAX_LISTED_REJECTS = 50


def _existing(conn: sa.Connection, table: sa.Table, key: tuple[str, ...]) -> pl.DataFrame:
    cols = [table.c[k] for k in key] + [table.c.idgap_row_hash]
    rows = conn.execute(sa.select(*cols)).all()
    schema = {k: (pl.Date if k == "activity_date" else pl.Utf8) for k in key}
    schema["_old_hash"] = pl.Utf8
    return pl.DataFrame(rows, schema=schema, orient="row")


def _records(df: pl.DataFrame) -> list[dict]:
    recs = df.to_dicts()
    for r in recs:
        if r.get("idgap_extra") is not None:
            r["idgap_extra"] = json.loads(r["idgap_extra"])
    return recs


def upsert_rows(
    conn: sa.Connection,
    spec: TableSpec,
    rows: pl.DataFrame,
    rejects: pl.DataFrame,
    *,
    file_name: str,
    run_id: int | None,
    now: dt.datetime,
) -> tuple[TableReport, list[str]]:
    """Write one prepared file; returns the report and the keys that were inserted or changed."""
    table = SOURCE_TABLES[spec.table]
    key = spec.key
    rep = TableReport(spec.table, file_name, rejected=rejects.height)
    old = _existing(conn, table, key)
    joined = rows.join(old, on=list(key), how="left")
    new = joined.filter(pl.col("_old_hash").is_null())
    changed = joined.filter(
        pl.col("_old_hash").is_not_null() & (pl.col("_old_hash") != pl.col("idgap_row_hash"))
    )
    rep.loaded, rep.updated = new.height, changed.height
    rep.unchanged = rows.height - new.height - changed.height
    stamp = {"idgap_loaded_at": now, "idgap_changed_at": now}
    payload_cols = [c for c in rows.columns if c != "_line"]
    for start in range(0, new.height, CHUNK):
        chunk = (
            new.slice(start, CHUNK)
            .select(payload_cols)
            .with_columns(**{k: pl.lit(v) for k, v in stamp.items()})
        )
        conn.execute(table.insert(), _records(chunk))
    if changed.height:
        where = sa.and_(*[table.c[k] == sa.bindparam(f"k_{k}") for k in key])
        values: dict[str, sa.BindParameter] = {
            c: sa.bindparam(c) for c in payload_cols if c not in key
        }
        values["idgap_changed_at"] = sa.bindparam("idgap_changed_at")
        stmt = table.update().where(where).values(values)
        upd = changed.select(payload_cols).with_columns(
            idgap_changed_at=pl.lit(now), **{f"k_{k}": pl.col(k) for k in key}
        )
        for start in range(0, upd.height, CHUNK):
            conn.execute(stmt, _records(upd.slice(start, CHUNK)))
    if rejects.height:
        raw_cols = [c for c in rejects.columns if c not in ("_line", "_reason")]
        listed = rejects.select(
            "_line", "_reason", pl.struct(raw_cols).struct.json_encode().alias("_raw")
        )
        conn.execute(
            import_rejects.insert(),
            [
                {
                    "run_id": run_id,
                    "table_name": spec.table,
                    "file_name": file_name,
                    "line_number": line,
                    "reason": reason,
                    "raw_row": raw,
                    "created_at": now,
                }
                for line, reason, raw in listed.iter_rows()
            ],
        )
        rep.rejects = [
            {"line": line, "reason": reason}
            for line, reason, _ in listed.head(MAX_LISTED_REJECTS).iter_rows()
        ]
    touched = (
        pl.concat([new.select(key[0]), changed.select(key[0])])[key[0]].cast(pl.Utf8).to_list()
    )
    return rep, touched
