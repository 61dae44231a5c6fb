"""The driver index, kept: `drivers` normalised in one vectorised Polars pass, cached as Parquet.

The index is derived data, so it is kept as a cache rather than a table: the frame lives in
this process and in a Parquet file (next to an SQLite file store; under
`~/.cache/idgap/<store>/` for PostgreSQL), and `index_versions` names the content version the
store's drivers have now (the highest `generation`). Every cached frame carries each driver's
`row_hash` (the intake's hash of its raw row), so any cached frame made by this code is a valid
base: drivers whose hash moved are re-normalised, removed ones dropped, the rest kept.

- unchanged: the store's fingerprint (drivers count, last change, current version) equals the
  cached frame's: nothing is read or hashed (in memory, or one Parquet read in a new process);
- changed: the stored hashes are compared with the cache in Polars, only changed drivers are
  read and normalised;
- no usable cache: every driver is read and normalised once.
An import hands its new and changed driver rows over directly (`index_imported`), so the first
build needs no read back from the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from idgap.matching import index as index_module
from idgap.matching import normalize as normalize_module
from idgap.matching.index import INDEX_COLUMNS, RAW_COLUMNS, build_driver_index, index_version
from idgap.store.bulk import read_frame
from idgap.store.db import is_sqlite
from idgap.store.keys import in_keys
from idgap.store.tables import drivers, index_versions

SCHEMA: dict[str, pl.DataType] = {
    c: (pl.Date() if c == "hire_date" else pl.Utf8()) for c in INDEX_COLUMNS
}
FULL_READ_SHARE = 0.2  # above this share of changed drivers, read them all in one query
RAW_SCHEMA: dict[str, pl.DataType] = {
    **{c: (pl.Date() if c == "hire_date" else pl.Utf8()) for c in RAW_COLUMNS},
    "idgap_row_hash": pl.Utf8(),
}
Marker = tuple[int, str, str | None, int, str]  # drivers, last change, version, generation, code


@dataclass
class IndexInfo:
    version: str
    n_drivers: int
    n_changed: int = 0
    n_removed: int = 0
    cache: str = "none"  # memory | parquet | none: where the frame came from


@dataclass
class _Cached:
    marker: Marker
    frame: pl.DataFrame
    version: str


_memory: dict[str, _Cached] = {}
_background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="driver-index")
_writes: list[Future[None]] = []  # Parquet cache files being written


def _code_version() -> str:
    """The normaliser's fingerprint: a frame made by other code is never a base."""
    digest = hashlib.sha256(pl.__version__.encode())
    for module in (normalize_module, index_module):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:12]


CODE = _code_version()


def store_marker(conn: sa.Connection) -> Marker:
    """Cheap fingerprint of the store's drivers and index version: equal means nothing to do."""
    d = drivers
    n, last = conn.execute(sa.select(sa.func.count(), sa.func.max(d.c.idgap_changed_at))).one()
    version, generation = _current(conn)
    return (int(n), str(last), version, generation, CODE)


def load_driver_index(conn: sa.Connection, *, now: dt.datetime) -> tuple[pl.DataFrame, IndexInfo]:
    """Bring the index up to date with `drivers` and return (index frame, info).

    Writes (a new version) in the caller's transaction (a dry run can roll it back)."""
    key, marker = _key(conn), store_marker(conn)
    mem, disk = _memory.get(key), None
    if mem and mem.marker == marker:
        return mem.frame, IndexInfo(mem.version, mem.frame.height, cache="memory")
    if mem is None or mem.marker[4] != CODE:
        disk = _read_parquet(conn)
        if disk and disk.marker == marker:
            _memory[key] = disk
            return disk.frame, IndexInfo(disk.version, disk.frame.height, cache="parquet")
    base = next((c for c in (mem, disk) if c is not None and c.marker[4] == CODE), None)
    if base is None:
        frame = build_from_store(conn)
        info = _settle(conn, frame, None, now=now, changed=frame.height, removed=0)
        return frame, info
    frame, changed, removed = _patched(conn, base.frame)
    info = _settle(conn, frame, base, now=now, changed=changed, removed=removed)
    info.cache = "memory" if base is mem else "parquet"
    return frame, info


@dataclass
class ImportedIndex:
    """The index an import's driver rows make, normalised in a thread beside the import's
    writes (pure Polars, which releases the GIL while SQLite writes): `None` when no cached
    frame is known to hold the store as it was before the import."""

    job: Future[tuple[pl.DataFrame, str, int]] | None


def start_imported_index(
    conn: sa.Connection, rows: pl.DataFrame, *, before: Marker
) -> ImportedIndex:
    """Before an import merges `rows` (its new and changed drivers: raw columns and
    `idgap_row_hash`) into a store whose marker is `before`: start patching the index with
    them, when a cached frame is known to hold the store as it was (or it had no drivers);
    otherwise the next `load_driver_index` compares hashes."""
    if rows.height == 0:  # nothing new: the cache stays valid as it is
        return ImportedIndex(None)
    if before[0] == 0:
        base: pl.DataFrame | None = pl.DataFrame(schema=SCHEMA)
    else:
        cached = _memory.get(_key(conn)) or _read_parquet(conn)
        base = cached.frame if cached and cached.marker == before else None
    if base is None:
        return ImportedIndex(None)
    return ImportedIndex(_background.submit(_patched_with, base, rows))


def _patched_with(base: pl.DataFrame, rows: pl.DataFrame) -> tuple[pl.DataFrame, str, int]:
    fresh = _normalised(rows)
    frame = _patch(base, fresh, fresh["driver_id"])
    return frame, index_version(frame), fresh.height


def finish_imported_index(conn: sa.Connection, started: ImportedIndex, *,
                          now: dt.datetime) -> IndexInfo | None:  # fmt: skip
    """After the import's writes: record the new version and cache the frame (its Parquet
    file written in the background: `wait_for_cache_files`)."""
    if started.job is None:
        return None
    frame, version, changed = started.job.result()
    return _settle(conn, frame, None, now=now, changed=changed, removed=0, version=version,
                   background=True)  # fmt: skip


def index_imported(
    conn: sa.Connection, rows: pl.DataFrame, *, before: Marker, now: dt.datetime
) -> IndexInfo | None:
    """`start_imported_index` and `finish_imported_index` in one go (rows already merged)."""
    return finish_imported_index(conn, start_imported_index(conn, rows, before=before), now=now)


def wait_for_cache_files() -> None:
    """Every Parquet cache file this process started writing is complete."""
    while _writes:
        _writes.pop().result()


def build_from_store(conn: sa.Connection) -> pl.DataFrame:
    """Every driver read and normalised (no cache involved)."""
    return _normalised(_raw_drivers(conn, None)).sort("driver_id")


def _patched(conn: sa.Connection, base: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """`base` brought in line with the stored hashes: (frame, n changed, n removed)."""
    d = drivers
    hashes = read_frame(
        conn, sa.select(d.c.driver_id, d.c.idgap_row_hash),
        {"driver_id": pl.Utf8, "row_hash": pl.Utf8}, large=True,
    )  # fmt: skip
    known = base.select("driver_id", "row_hash")
    changed = hashes.join(known, on=["driver_id", "row_hash"], how="anti")["driver_id"]
    removed = known.join(hashes, on="driver_id", how="anti")["driver_id"]
    if changed.len() == 0 and removed.len() == 0:
        return base, 0, 0
    wanted = None if changed.len() > FULL_READ_SHARE * hashes.height else changed.to_list()
    raw = _raw_drivers(conn, wanted)
    if wanted is None:
        raw = raw.filter(pl.col("driver_id").is_in(changed.implode()))
    frame = _patch(base, _normalised(raw), pl.concat([changed, removed]))
    return frame, changed.len(), removed.len()


def _patch(base: pl.DataFrame, fresh: pl.DataFrame, gone: pl.Series) -> pl.DataFrame:
    kept = base.filter(~pl.col("driver_id").is_in(gone.implode()))
    return pl.concat([kept, fresh.select(kept.columns)]).sort("driver_id")


def _raw_drivers(conn: sa.Connection, ids: list[str] | None) -> pl.DataFrame:
    d = drivers
    stmt = sa.select(*[d.c[c] for c in RAW_SCHEMA])
    if ids is not None:
        stmt = stmt.where(in_keys(d.c.driver_id, ids))
    return read_frame(conn, stmt, RAW_SCHEMA, large=ids is None or len(ids) > 10_000)


def _normalised(raw: pl.DataFrame) -> pl.DataFrame:
    """Raw driver rows -> index rows; `row_hash` is the intake's stable hash of the row."""
    fresh = build_driver_index(raw.select(*[c for c in RAW_COLUMNS if c in raw.columns]))
    return fresh.with_columns(row_hash=raw["idgap_row_hash"].cast(pl.Utf8)).select(
        *[pl.col(c).cast(t) for c, t in SCHEMA.items()]
    )


def _settle(
    conn: sa.Connection,
    frame: pl.DataFrame,
    base: _Cached | None,
    *,
    now: dt.datetime,
    changed: int,
    removed: int,
    version: str | None = None,
    background: bool = False,
) -> IndexInfo:
    """Record the frame's version (if new) and cache the frame under the store's new marker
    (`background`: its Parquet file written by a thread, see `wait_for_cache_files`)."""
    unchanged = base is not None and not (changed or removed)
    if version is None:
        version = base.version if unchanged and base is not None else index_version(frame)
    current, generation = _current(conn)
    if version != current:
        _record_version(conn, version, frame.height, changed + removed, now, generation)
    cached = _Cached(store_marker(conn), frame, version)
    _memory[_key(conn)] = cached
    # one writer thread: cache files are written in the order their versions were made
    _writes.append(_background.submit(_write_parquet, _cache_meta(conn), cached))
    if not background:
        wait_for_cache_files()
    return IndexInfo(version, frame.height, changed, removed)


def _current(conn: sa.Connection) -> tuple[str | None, int]:
    """(version the store's drivers have now, its generation); (None, 0) before the first."""
    iv = index_versions
    row = conn.execute(
        sa.select(iv.c.version, iv.c.generation)
        .where(iv.c.generation.is_not(None))
        .order_by(iv.c.generation.desc())
        .limit(1)
    ).first()
    return (row[0], int(row[1])) if row else (None, 0)


def _record_version(
    conn: sa.Connection, version: str, n: int, n_changed: int, now: dt.datetime, generation: int
) -> None:
    """Stamp `version` as the drivers' content with the next generation (A -> B -> A included)."""
    iv = index_versions
    values = {"created_at": now, "n_drivers": n, "n_changed": n_changed,
              "generation": generation + 1}  # fmt: skip
    if conn.execute(sa.select(iv.c.version).where(iv.c.version == version)).first() is None:
        conn.execute(iv.insert().values(version=version, **values))
    else:
        conn.execute(iv.update().where(iv.c.version == version).values(**values))


# --- the cache files -----------------------------------------------------------------------


def _key(conn: sa.Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


def _cache_meta(conn: sa.Connection) -> Path | None:
    """`<db>.driver-index.json` beside an SQLite file; for PostgreSQL, in this user's cache
    directory (0700: nobody else can plant an index), one folder per store URL."""
    if is_sqlite(conn.engine):
        db = conn.engine.url.database
        if not db or db == ":memory:" or db.startswith("file:"):
            return None
        return Path(f"{db}.driver-index.json")
    try:
        root = Path.home() / ".cache" / "idgap"
        folder = root / hashlib.sha256(_key(conn).encode()).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        root.chmod(0o700)
    except (OSError, RuntimeError):  # no home directory, or not writable: no cache
        return None
    return folder / "driver-index.json"


def _read_parquet(conn: sa.Connection) -> _Cached | None:
    meta = _cache_meta(conn)
    if meta is None or not meta.exists():
        return None
    try:
        info = json.loads(meta.read_text())
        frame = pl.read_parquet(meta.with_name(info["file"]))
        marker = tuple(info["marker"])
        return _Cached(marker, frame, str(info["version"]))  # type: ignore[arg-type]
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError):
        return None  # a damaged cache is only a slower start


def _write_parquet(meta: Path | None, cached: _Cached) -> None:
    """Frame first (one file per version), then the small JSON that names it, each replaced
    atomically: a kill at any point leaves a JSON naming a complete file."""
    if meta is None:
        return
    stem = meta.name.removesuffix(".json")
    name = f"{stem}.{cached.version}.parquet"
    try:
        tmp = meta.with_name(f"{name}.{os.getpid()}.tmp")
        cached.frame.write_parquet(tmp, compression="lz4", statistics=False)
        os.replace(tmp, meta.with_name(name))
        info = {"marker": list(cached.marker), "version": cached.version, "file": name}
        meta.with_name(f"{meta.name}.{os.getpid()}.tmp").write_text(json.dumps(info))
        os.replace(meta.with_name(f"{meta.name}.{os.getpid()}.tmp"), meta)
        for old in meta.parent.glob(f"{stem}.*.parquet"):
            if old.name != name:
                old.unlink(missing_ok=True)
    except (OSError, pl.exceptions.PolarsError):
        # read-only directory, full disk: no cache, same results (and, written after the
        # import's commit, never an import's failure)
        return


def forget_cache(conn: sa.Connection | None = None) -> None:
    """Drop the in-process cache (tests: a new process); with `conn`, that store's files too."""
    wait_for_cache_files()
    _memory.clear()
    meta = _cache_meta(conn) if conn is not None else None
    if meta is not None:
        stem = meta.name.removesuffix(".json")
        for old in [meta, *meta.parent.glob(f"{stem}.*.parquet")]:
            old.unlink(missing_ok=True)
