"""Import throughput: 1,000,000 drivers into SQLite and PostgreSQL (when reachable).

Per backend: the first import (all rows new), a re-import of the same file (all unchanged,
nothing written) and a re-import with 10 % of the rows changed (bulk update); after each, the
persisted driver index is brought up to date as the recovery job does (first: a full build;
unchanged: a cache hit; 10 % changed: only those re-normalised), plus a cold load in a fresh
process state. Also the seed-size park end to end: import, match and gap analysis. `--quick`
uses 200,000 drivers.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from bench.common import peak_rss_mb, save

ANCHOR = dt.date(2026, 11, 25)
PG = os.environ.get("IDGAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def _pg_target() -> tuple[str | None, Callable[[], None]]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(PG)
        with admin.begin() as c:
            c.execute(sa.schema.CreateSchema(schema))
    except sa.exc.OperationalError:
        return None, lambda: None

    def drop() -> None:
        with admin.begin() as c:
            c.execute(sa.schema.DropSchema(schema, cascade=True))
        admin.dispose()

    sep = "&" if "?" in PG else "?"
    return f"{PG}{sep}options=-csearch_path%3D{schema}", drop


def _changed_copy(drivers: pl.DataFrame, out: Path) -> int:
    """The same drivers with every tenth one's phone changed."""
    tenth = pl.int_range(pl.len()) % 10 == 0
    changed = drivers.with_columns(
        phone=pl.when(tenth).then(pl.lit("+51 900 000 000")).otherwise(pl.col("phone"))
    )
    changed.write_csv(out / "drivers.csv")
    return int(drivers.select((tenth & (pl.col("phone") != "+51 900 000 000")).sum()).item())


def bench_backend(backend: str, url: str, folders: dict[str, Path], n: int) -> dict[str, Any]:
    from idgap.config import Settings
    from idgap.intake.service import import_path
    from idgap.store.db import make_engine

    engine = make_engine(url)
    settings = Settings(database_url=url)

    def load(folder: Path) -> Any:
        return import_path(engine, folder, now=dt.datetime.now(dt.UTC), settings=settings)

    first, t_first = _timed(lambda: load(folders["same"]))
    ix_first = _index(engine)
    again, t_again = _timed(lambda: load(folders["same"]))
    ix_again = _index(engine)
    ix_cold = _index(engine, cold=True)
    changed, t_changed = _timed(lambda: load(folders["changed"]))
    ix_changed = _index(engine)
    engine.dispose()
    assert first.tables[0].loaded == n and again.tables[0].unchanged == n
    assert ix_first["changed"] == n and ix_again["cache"] == "memory"
    assert ix_changed["changed"] == changed.tables[0].updated
    result = {
        "import_seconds": round(t_first, 1),
        "rows_per_s": round(n / t_first),
        "reimport_unchanged_seconds": round(t_again, 1),
        "reimport_unchanged_rows_per_s": round(n / t_again),
        "reimport_10pct_changed_seconds": round(t_changed, 1),
        "updated": changed.tables[0].updated,
        "driver_index_full_build_seconds": ix_first["seconds"],
        "driver_index_unchanged_seconds": ix_again["seconds"],
        "driver_index_cold_load_seconds": ix_cold["seconds"],
        "driver_index_cold_load_from": ix_cold["cache"],
        "driver_index_10pct_changed_seconds": ix_changed["seconds"],
    }
    print(
        f"{backend}: {n:,} drivers in {t_first:.1f}s ({n / t_first:,.0f} rows/s); "
        f"re-import unchanged {t_again:.1f}s; {result['updated']:,} changed {t_changed:.1f}s; "
        f"driver index: full {ix_first['seconds']}s, unchanged {ix_again['seconds']}s, "
        f"cold ({ix_cold['cache']}) {ix_cold['seconds']}s, 10 % changed {ix_changed['seconds']}s",
        flush=True,
    )
    return result


def _index(engine: sa.Engine, *, cold: bool = False) -> dict[str, Any]:
    """Bring the persisted driver index up to date, as step 0 of the recovery job does."""
    from idgap.recovery.index_store import forget_cache, load_driver_index

    if cold:
        forget_cache()  # as a new process would start

    def run() -> Any:
        with engine.begin() as conn:
            return load_driver_index(conn, now=dt.datetime.now(dt.UTC))

    (_, info), seconds = _timed(run)
    changed = info.n_changed + info.n_removed
    return {"seconds": round(seconds, 2), "changed": changed, "cache": info.cache}


def bench_seed_end_to_end(tmp: Path) -> dict[str, float]:
    from idgap.config import Settings
    from idgap.intake.service import import_path
    from idgap.recovery.job import run_recovery
    from idgap.store.db import make_engine
    from idgap.synth import generate_park, write_park

    seed = tmp / "seed"
    write_park(generate_park(leads=800, drivers=127_000, seed=42, anchor_date=ANCHOR), seed)
    url = f"sqlite:///{tmp / 'seed.db'}"
    engine, settings = make_engine(url), Settings(database_url=url)
    _, t_import = _timed(
        lambda: import_path(engine, seed, now=dt.datetime.now(dt.UTC), settings=settings)
    )
    _, t_match = _timed(lambda: run_recovery(engine, settings=settings, kind="match"))
    print(
        f"seed park 800 x 127,000 end to end: import {t_import:.1f}s + match/gaps {t_match:.1f}s",
        flush=True,
    )
    return {
        "import_s": round(t_import, 1),
        "match_and_gaps_s": round(t_match, 1),
        "total_s": round(t_import + t_match, 1),
    }


def main() -> int:
    from idgap.synth import generate_park

    tmp = Path(tempfile.mkdtemp(prefix="idgap-bench-"))
    try:
        return _run(tmp, generate_park)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # two 1M-row CSVs and the databases


def _run(tmp: Path, generate_park: Callable[..., Any]) -> int:
    n = 200_000 if "--quick" in sys.argv else 1_000_000
    drivers = generate_park(leads=1000, drivers=n, seed=1, anchor_date=ANCHOR).drivers
    n = drivers.height
    folders = {"same": tmp / "drivers", "changed": tmp / "drivers_changed"}
    for folder in folders.values():
        folder.mkdir()
    drivers.write_csv(folders["same"] / "drivers.csv")
    _changed_copy(drivers, folders["changed"])
    del drivers
    results: dict[str, Any] = {"drivers": n, "columns": 18}
    results["sqlite"] = bench_backend("sqlite", f"sqlite:///{tmp / 'bench.db'}", folders, n)
    pg_url, drop = _pg_target()
    if pg_url:
        try:
            results["postgresql"] = bench_backend("postgresql", pg_url, folders, n)
        finally:
            drop()
    results["seed_end_to_end"] = bench_seed_end_to_end(tmp)
    results["peak_rss_mb"] = peak_rss_mb()
    save("import", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
