"""The driver index, persisted: `driver_index` rows + `index_versions`, kept incrementally.

Only drivers whose `idgap_row_hash` changed (or that are new) are re-normalised; removed
drivers are dropped. Which ones is decided in SQL (two anti-joins on the primary key), so
only their ids leave the database. The version is the content hash of the whole normalised
index (`matching.index.index_version`), so equal content always has the same version; every
update stamps it with the next `generation`, so the highest generation names the version the
table holds now.

Reading a million rows back is the slow part, so the frame is also kept in this process and,
for an SQLite file store, in a Parquet file next to it. A cached frame whose version is the
table's current one is patched with the changed drivers instead of being read again; one made
by another process, or before a rolled-back update, is not trusted and the table is read.
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
from idgap.store.bulk import read_frame, stage_frames
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
    cache: str = "none"  # memory | parquet | none: where the frame came from


@dataclass
class _Cached:
    marker: tuple
    frame: pl.DataFrame
    version: str


_memory: dict[str, _Cached] = {}


def _marker(conn: sa.Connection) -> tuple:
    """Cheap fingerprint of `drivers` and `driver_index`: equal means nothing to do."""
    d, ix = drivers, driver_index
    n, last = conn.execute(sa.select(sa.func.count(), sa.func.max(d.c.idgap_changed_at))).one()
    n_ix = conn.execute(sa.select(sa.func.count()).select_from(ix)).scalar_one()
    return (int(n), str(last), int(n_ix))


def load_driver_index(conn: sa.Connection, *, now: dt.datetime) -> tuple[pl.DataFrame, IndexInfo]:
    """Bring `driver_index` up to date with `drivers` and return (index frame, info).

    Writes in the caller's transaction (a dry run can roll it back).
    """
    key = str(conn.engine.url)
    marker = _marker(conn)
    mem = _memory.get(key)
    if mem and mem.marker == marker:
        return mem.frame, IndexInfo(mem.version, mem.frame.height, cache="memory")
    current, generation = _current(conn)
    disk = _read_parquet(conn)
    if disk and disk.marker == marker and disk.version == current:
        _memory[key] = disk
        return disk.frame, IndexInfo(disk.version, disk.frame.height, cache="parquet")
    base = next((c for c in (mem, disk) if c and c.version == current), None)
    new, modified, removed = _diff(conn)
    changed = new + modified
    fresh, rebuilt = _apply(conn, changed, modified + removed)
    if rebuilt:  # every row was just written: the fresh rows are the whole table
        frame = fresh.sort("driver_id")
    elif base is not None:
        gone = pl.Series(changed + removed, dtype=pl.Utf8).implode()
        kept = base.frame.filter(~pl.col("driver_id").is_in(gone))
        frame = pl.concat([kept, fresh.select(kept.columns)]).sort("driver_id")
    else:
        frame = _read_table(conn)
    # unchanged: the table holds its current version, no need to hash a million rows again
    unchanged = current is not None and not (changed or removed)
    version = current if unchanged and current is not None else index_version(frame)
    if version != current:
        _record_version(conn, version, frame.height, len(changed) + len(removed), now, generation)
    cached = _Cached(_marker(conn), frame, version)
    _memory[key] = cached
    _write_parquet(conn, cached)
    source = "none" if base is None or rebuilt else ("memory" if base is mem else "parquet")
    return frame, IndexInfo(version, frame.height, len(changed), len(removed), cache=source)


def _current(conn: sa.Connection) -> tuple[str | None, int]:
    """(version the table holds now, its generation); (None, 0) before the first build."""
    iv = index_versions
    row = conn.execute(
        sa.select(iv.c.version, iv.c.generation)
        .where(iv.c.generation.is_not(None))
        .order_by(iv.c.generation.desc())
        .limit(1)
    ).first()
    return (row[0], int(row[1])) if row else (None, 0)


def _diff(conn: sa.Connection) -> tuple[list[str], list[str], list[str]]:
    """(new, modified, removed) driver ids, by raw row hash, in SQL."""
    d, ix = drivers, driver_index
    changed = (
        sa.select(d.c.driver_id, ix.c.driver_id.is_not(None))
        .select_from(d.outerjoin(ix, ix.c.driver_id == d.c.driver_id))
        .where(sa.or_(ix.c.driver_id.is_(None), ix.c.row_hash != d.c.idgap_row_hash))
    )
    removed = (
        sa.select(ix.c.driver_id)
        .select_from(ix.outerjoin(d, d.c.driver_id == ix.c.driver_id))
        .where(d.c.driver_id.is_(None))
    )
    rows = conn.execute(changed).all()
    new = [driver for driver, stored in rows if not stored]
    modified = [driver for driver, stored in rows if stored]
    return new, modified, list(conn.execute(removed).scalars())


def _raw_drivers(conn: sa.Connection, ids: list[str], total: int) -> pl.DataFrame:
    d = drivers
    cols = [d.c[c] for c in RAW_COLUMNS] + [d.c.idgap_row_hash]
    schema = {c.name: (pl.Date if c.name == "hire_date" else pl.Utf8) for c in cols}
    if len(ids) > FULL_REBUILD_SHARE * max(total, 1):
        every = read_frame(conn, sa.select(*cols), schema, large=True)
        return every.filter(pl.col("driver_id").is_in(pl.Series(ids).implode()))
    parts = [
        read_frame(conn, sa.select(*cols).where(d.c.driver_id.in_(ids[i : i + CHUNK])), schema)
        for i in range(0, len(ids), CHUNK)
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def _apply(conn: sa.Connection, changed: list[str], stale: list[str]) -> tuple[pl.DataFrame, bool]:
    """Delete the `stale` rows (modified or removed drivers), insert the `changed` ones (new or
    modified) re-normalised; returns (those fresh rows, whether they are now the whole table).

    The fresh rows are normalised and staged before the first write, so an SQLite store takes
    them as Arrow (`store.bulk.stage_frames`); delete and insert share the caller's transaction.
    """
    ix = driver_index
    stored_n = conn.execute(sa.select(sa.func.count()).select_from(ix)).scalar_one()
    rebuilt = len(stale) == stored_n  # every stored row goes (or there were none)
    fresh = _normalised(conn, changed) if changed else pl.DataFrame(schema=SCHEMA)
    with stage_frames(conn, {"fresh": (fresh, ix)}) as staged:
        if rebuilt and stale:
            conn.execute(ix.delete())
        else:
            for i in range(0, len(stale), CHUNK):
                conn.execute(ix.delete().where(ix.c.driver_id.in_(stale[i : i + CHUNK])))
        staged.insert(ix, "fresh")
    return fresh, rebuilt and bool(changed)


def _normalised(conn: sa.Connection, changed: list[str]) -> pl.DataFrame:
    total = conn.execute(sa.select(sa.func.count()).select_from(drivers)).scalar_one()
    raw = _raw_drivers(conn, changed, total)
    fresh = build_driver_index(raw.drop("idgap_row_hash")).with_columns(
        row_hash=raw["idgap_row_hash"]  # the intake's stable hash: what `_diff` compares
    )
    return fresh.select(list(INDEX_COLUMNS))


def _read_table(conn: sa.Connection) -> pl.DataFrame:
    cols = [driver_index.c[c] for c in INDEX_COLUMNS]
    stmt = sa.select(*cols).order_by(driver_index.c.driver_id)
    return read_frame(conn, stmt, SCHEMA, large=True)


def _record_version(
    conn: sa.Connection, version: str, n: int, n_changed: int, now: dt.datetime, generation: int
) -> None:
    """Stamp `version` as the table's content with the next generation (A -> B -> A included)."""
    iv = index_versions
    values = {"created_at": now, "n_drivers": n, "n_changed": n_changed,
              "generation": generation + 1}  # fmt: skip
    if conn.execute(sa.select(iv.c.version).where(iv.c.version == version)).first() is None:
        conn.execute(iv.insert().values(version=version, **values))
    else:
        conn.execute(iv.update().where(iv.c.version == version).values(**values))


def _cache_meta(conn: sa.Connection) -> Path | None:
    """`<db>.driver-index.json`, naming the Parquet file of one version next to it."""
    if not is_sqlite(conn.engine):
        return None
    db = conn.engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(f"{db}.driver-index.json")


def _read_parquet(conn: sa.Connection) -> _Cached | None:
    meta = _cache_meta(conn)
    if meta is None or not meta.exists():
        return None
    try:
        info = json.loads(meta.read_text())
        frame = pl.read_parquet(meta.with_name(info["file"]))
        return _Cached(tuple(info["marker"]), frame, str(info["version"]))
    except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
        return None  # a damaged cache is only a slower start


def _write_parquet(conn: sa.Connection, cached: _Cached) -> None:
    """Frame first (one file per version), then the small JSON that names it, each replaced
    atomically: a kill at any point leaves a JSON naming a complete file."""
    meta = _cache_meta(conn)
    if meta is None:
        return
    name = f"{meta.name.removesuffix('.json')}.{cached.version}.parquet"
    try:
        tmp = meta.with_name(name + ".tmp")
        cached.frame.write_parquet(tmp)
        os.replace(tmp, meta.with_name(name))
        info = {"marker": list(cached.marker), "version": cached.version, "file": name}
        meta.with_name(meta.name + ".tmp").write_text(json.dumps(info))
        os.replace(meta.with_name(meta.name + ".tmp"), meta)
        for old in meta.parent.glob(f"{meta.name.removesuffix('.json')}.*.parquet"):
            if old.name != name:
                old.unlink(missing_ok=True)
    except OSError:
        return  # read-only directory: no cache, same results


def forget_cache() -> None:
    """Drop the in-process cache (tests; a changed store behind our back)."""
    _memory.clear()
