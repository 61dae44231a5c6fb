"""The driver index, persisted: `driver_index` rows + `index_versions`, kept incrementally.

Only drivers whose `idgap_row_hash` changed (or that are new) are re-normalised; removed
drivers are dropped. The version is the content hash of the whole normalised index
(`matching.index.index_version`), so equal content always has the same version.

Loading a million rows back from the database is the slow part, so the frame is also kept in
this process and, for an SQLite file store, in a Parquet file next to it. Both caches are
keyed by a cheap marker of the `drivers` and `driver_index` tables and carry their version.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from idgap.identity.persons import CHUNK
from idgap.matching.index import INDEX_COLUMNS, RAW_COLUMNS, build_driver_index, index_version
from idgap.store.db import is_sqlite
from idgap.store.tables import driver_index, drivers, index_versions

SCHEMA: dict[str, pl.DataType] = {
    c: (pl.Date() if c == "hire_date" else pl.Utf8()) for c in INDEX_COLUMNS
}
FULL_REBUILD_SHARE = 0.5  # above this share of changed drivers, read them all in one query


@dataclass
class IndexInfo:
    version: str
    n_drivers: int
    n_changed: int = 0
    n_removed: int = 0
    cache: str = "none"  # memory | parquet | none


_memory: dict[str, tuple[tuple, pl.DataFrame, str]] = {}


def _marker(conn: sa.Connection) -> tuple:
    d, ix = drivers, driver_index
    n, last = conn.execute(sa.select(sa.func.count(), sa.func.max(d.c.idgap_changed_at))).one()
    n_ix = conn.execute(sa.select(sa.func.count()).select_from(ix)).scalar_one()
    return (int(n), str(last), int(n_ix))


def _parquet_path(conn: sa.Connection) -> Path | None:
    if not is_sqlite(conn.engine):
        return None
    db = conn.engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(f"{db}.driver-index.parquet")


def load_driver_index(conn: sa.Connection, *, now: dt.datetime) -> tuple[pl.DataFrame, IndexInfo]:
    """Bring `driver_index` up to date with `drivers` and return (index frame, info).

    Writes in the caller's transaction (a dry run can roll it back).
    """
    key = str(conn.engine.url)
    marker = _marker(conn)
    cached = _memory.get(key)
    if cached and cached[0] == marker:
        return cached[1], IndexInfo(cached[2], cached[1].height, cache="memory")
    from_file = _read_parquet(conn, marker)
    if from_file is not None:
        frame, version = from_file
        _memory[key] = (marker, frame, version)
        return frame, IndexInfo(version, frame.height, cache="parquet")
    changed, removed = _diff(conn)
    if changed or removed:
        _apply(conn, changed, removed)
    frame = _read_table(conn)
    version = index_version(frame)
    _record_version(conn, version, frame.height, len(changed) + len(removed), now)
    marker = _marker(conn)
    _memory[key] = (marker, frame, version)
    _write_parquet(conn, marker, frame, version)
    return frame, IndexInfo(version, frame.height, len(changed), len(removed))


def _diff(conn: sa.Connection) -> tuple[list[str], list[str]]:
    """(new or changed driver ids, removed driver ids) by raw row hash."""
    d, ix = drivers, driver_index
    current = pl.DataFrame(
        conn.execute(sa.select(d.c.driver_id, d.c.idgap_row_hash)).all(),
        schema={"driver_id": pl.Utf8, "row_hash": pl.Utf8},
        orient="row",
    )
    stored = pl.DataFrame(
        conn.execute(sa.select(ix.c.driver_id, ix.c.row_hash)).all(),
        schema={"driver_id": pl.Utf8, "row_hash": pl.Utf8},
        orient="row",
    )
    changed = current.join(stored, on=["driver_id", "row_hash"], how="anti")["driver_id"]
    removed = stored.join(current, on="driver_id", how="anti")["driver_id"]
    return changed.to_list(), removed.to_list()


def _raw_drivers(conn: sa.Connection, ids: list[str], total: int) -> pl.DataFrame:
    d = drivers
    cols = [d.c[c] for c in RAW_COLUMNS] + [d.c.idgap_row_hash]
    schema = {c.name: (pl.Date if c.name == "hire_date" else pl.Utf8) for c in cols}
    if len(ids) > FULL_REBUILD_SHARE * max(total, 1):
        wanted = set(ids)
        rows = [r for r in conn.execute(sa.select(*cols)).all() if r[0] in wanted]
    else:
        rows = []
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            rows.extend(conn.execute(sa.select(*cols).where(d.c.driver_id.in_(part))).all())
    return pl.DataFrame(rows, schema=schema, orient="row")


def _apply(conn: sa.Connection, changed: list[str], removed: list[str]) -> None:
    ix = driver_index
    total = conn.execute(sa.select(sa.func.count()).select_from(drivers)).scalar_one()
    gone = changed + removed
    stored_n = conn.execute(sa.select(sa.func.count()).select_from(ix)).scalar_one()
    if len(gone) >= stored_n:
        conn.execute(ix.delete())
    else:
        for i in range(0, len(gone), CHUNK):
            conn.execute(ix.delete().where(ix.c.driver_id.in_(gone[i : i + CHUNK])))
    if not changed:
        return
    raw = _raw_drivers(conn, changed, total)
    fresh = build_driver_index(raw.drop("idgap_row_hash")).with_columns(
        row_hash=raw["idgap_row_hash"]  # the intake's stable hash: what `_diff` compares
    )
    rows = fresh.select(list(INDEX_COLUMNS)).to_dicts()
    for i in range(0, len(rows), 50_000):  # bounded statement memory on a first full build
        conn.execute(ix.insert(), rows[i : i + 50_000])


def _read_table(conn: sa.Connection) -> pl.DataFrame:
    cols = [driver_index.c[c] for c in INDEX_COLUMNS]
    return pl.DataFrame(
        conn.execute(sa.select(*cols).order_by(driver_index.c.driver_id)).all(),
        schema=SCHEMA,
        orient="row",
    )


def _record_version(
    conn: sa.Connection, version: str, n: int, n_changed: int, now: dt.datetime
) -> None:
    iv = index_versions
    if conn.execute(sa.select(iv.c.version).where(iv.c.version == version)).first() is None:
        conn.execute(
            iv.insert().values(version=version, created_at=now, n_drivers=n, n_changed=n_changed)
        )


def _read_parquet(conn: sa.Connection, marker: tuple) -> tuple[pl.DataFrame, str] | None:
    path = _parquet_path(conn)
    meta = path.with_suffix(".json") if path else None
    if path is None or meta is None or not path.exists() or not meta.exists():
        return None
    try:
        info = json.loads(meta.read_text())
        if tuple(info["marker"]) != marker:
            return None
        frame = pl.read_parquet(path)
    except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
        return None  # a damaged cache is only a slower start
    return frame, str(info["version"])


def _write_parquet(conn: sa.Connection, marker: tuple, frame: pl.DataFrame, version: str) -> None:
    path = _parquet_path(conn)
    if path is None:
        return
    try:
        tmp = path.with_suffix(".parquet.tmp")
        frame.write_parquet(tmp)
        os.replace(tmp, path)
        path.with_suffix(".json").write_text(
            json.dumps({"marker": list(marker), "version": version})
        )
    except OSError:
        return  # read-only directory: no cache, same results


def forget_cache() -> None:
    """Drop the in-process cache (tests; a changed store behind our back)."""
    _memory.clear()
