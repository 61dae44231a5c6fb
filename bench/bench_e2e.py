"""`idgap match` (SQLite) and `idgap recover` (PostgreSQL) end to end, from a fresh process,
against the bulk-I/O limit of this machine measured in the same run (issue 11 item 6).

Per backend: the command's wall time, its stage breakdown (index, repair, read, match, write,
gap status: recorded by the run itself in `runs.stats.timings`), its peak memory, and
`limit` = what Polars + ADBC need to read the rows the command reads (drivers and leads) and to
bulk-write the rows it wrote (every identity table it filled, read back from the store) into an
empty database of the same backend. The ratio wall / limit is the figure the targets are on
(match <= 4x, recover on PostgreSQL <= 5x). The seed-size park's import + match + diagnose is
timed as three fresh processes.

    python -m bench.bench_e2e [--quick]      (--quick: only the seed-size park)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from bench.common import save

DATA = Path(__file__).parent / "data"
PG = os.environ.get("IDGAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SIZES = {"seed": (800, 127_000), "large": (100_000, 1_000_000)}
ANCHOR = "2026-11-25"
READ_TABLES = ("drivers", "module_ct_cabinet_leads")
WRITTEN_TABLES = (
    "match_decisions", "persons", "identity_links", "link_history", "identity_origin",
    "identity_origin_history", "identity_unmatched", "lead_status",
)  # fmt: skip


def idgap(*args: str, db: str) -> tuple[float, float, str]:
    """Run the CLI in a fresh process: wall seconds, peak MB of that process, stdout."""
    peak_file = DATA / f"peak-{uuid.uuid4().hex[:6]}.txt"
    started = time.perf_counter()
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(peak_file),
         sys.executable, "-m", "idgap.cli.main", "--db", db, *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    peak_kb = int(peak_file.read_text().split()[-1]) if peak_file.exists() else 0
    peak_file.unlink(missing_ok=True)
    if out.returncode:
        raise RuntimeError(f"idgap {' '.join(args)} failed: {out.stderr[-2000:]}")
    return round(wall, 2), round(peak_kb / 1024, 1), out.stdout


SHARED = Path(os.environ.get("IDGAP_BENCH_DATA", "/work/parks")) / "csv-large"


def park(size: str) -> Path:
    """The generated park's CSVs ($IDGAP_BENCH_DATA/csv-large for the large one when it is
    there, else generated and cached under bench/data/)."""
    if size == "large" and (SHARED / "drivers.csv").exists():
        return SHARED
    leads, drivers = SIZES[size]
    out = DATA / f"e2e-{size}"
    if not (out / "drivers.csv").exists():
        subprocess.run(
            [sys.executable, "-m", "idgap.cli.main", "generate", "--leads", str(leads),
             "--drivers", str(drivers), "--seed", "42", "--anchor-date", ANCHOR, "--out",
             str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        (out / "truth_leads.csv").unlink(missing_ok=True)
    return out


def imported_sqlite(size: str) -> Path:
    """The park imported once into an SQLite file (by this schema: the file names its
    revision); each trial works on a copy."""
    from idgap.store.db import head_revision

    db = DATA / f"e2e-{size}-{head_revision()}.db"
    done = db.with_suffix(".imported")
    if not done.exists():
        db.unlink(missing_ok=True)
        idgap("import", str(park(size)), db=f"sqlite:///{db}")
        done.touch()
    return db


def adbc_uri(url: str) -> str:
    """The ADBC form of a store URL (PostgreSQL: libpq URI with the schema as search_path)."""
    if url.startswith("sqlite"):
        return url  # Polars strips the scheme for the SQLite driver
    return url.replace("postgresql+psycopg://", "postgresql://")


def bulk_limit(url: str, target_url: str, *, schema: str | None = None) -> dict[str, float]:
    """Seconds Polars + ADBC take to read READ_TABLES and to write WRITTEN_TABLES (their rows
    as the command left them) into the empty store at `target_url`."""
    frames = {name: _read_back(url, name) for name in WRITTEN_TABLES}
    started = time.perf_counter()
    for name in READ_TABLES:
        pl.read_database_uri(f"SELECT * FROM {name}", adbc_uri(url), engine="adbc")  # noqa: S608
    read = time.perf_counter() - started
    started = time.perf_counter()
    for name, frame in frames.items():
        table = f"{schema}.{name}" if schema else name
        frame.write_database(table, adbc_uri(target_url), engine="adbc", if_table_exists="replace")
    write = time.perf_counter() - started
    rows = sum(f.height for f in frames.values())
    return {"read": round(read, 2), "write": round(write, 2), "limit": round(read + write, 2),
            "rows_written": rows}  # fmt: skip


def _read_back(url: str, name: str) -> pl.DataFrame:
    """A table as stored (JSON as text: SQLite keeps text, ADBC reads PostgreSQL's jsonb as
    text); an all-null column reads as Null, which ADBC cannot ingest, so it becomes text."""
    query = f"SELECT * FROM {name}"  # noqa: S608 - bench table names
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            frame = pl.read_database(query, conn, infer_schema_length=None)
        engine.dispose()
    else:
        frame = pl.read_database_uri(query, adbc_uri(url), engine="adbc")
    return frame.with_columns(pl.col(pl.Null).cast(pl.Utf8))


def report(wall: float, peak: float, stdout: str, limit: dict[str, float]) -> dict[str, Any]:
    run = json.loads(stdout)
    counts = {k: run[k] for k in ("processed", "matched", "review", "unmatched")}
    return {"wall": wall, "peak_rss_mb": peak, "stages": run.get("timings", {}), **limit,
            "ratio": round(wall / limit["limit"], 2), **counts}  # fmt: skip


def copy_store(db: Path, trial: Path) -> None:
    """The SQLite file and the driver-index cache its import left next to it."""
    shutil.copy(db, trial)
    meta = Path(f"{db}.driver-index.json")
    if meta.exists():
        info = json.loads(meta.read_text())
        shutil.copy(meta.with_name(info["file"]), trial.with_name(info["file"]))
        shutil.copy(meta, Path(f"{trial}.driver-index.json"))


def match_sqlite(size: str, tmp: Path) -> dict[str, Any]:
    trial = tmp / "match.db"
    copy_store(imported_sqlite(size), trial)
    wall, peak, out = idgap("match", "--json", db=f"sqlite:///{trial}")
    limit = bulk_limit(f"sqlite:///{trial}", f"sqlite:///{tmp / 'limit.db'}")
    return report(wall, peak, out, limit)


def recover_postgresql(size: str) -> dict[str, Any]:
    schema = f"bench_writes_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG)
    try:
        with admin.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
            conn.execute(sa.schema.CreateSchema(f"{schema}_limit"))
        url = f"{PG}?options=-csearch_path%3D{schema}"
        import_wall, _, _ = idgap("import", str(park(size)), db=url)
        wall, peak, out = idgap("recover", "--json", db=url)
        limit = bulk_limit(url, PG, schema=f"{schema}_limit")
        return {"import_wall": import_wall, **report(wall, peak, out, limit)}
    except sa.exc.OperationalError as exc:
        return {"skipped": f"PostgreSQL not reachable: {type(exc).__name__}"}
    finally:
        with admin.begin() as conn:
            for s in (schema, f"{schema}_limit"):
                conn.execute(sa.schema.DropSchema(s, cascade=True, if_exists=True))
        admin.dispose()


def seed_end_to_end(tmp: Path) -> dict[str, Any]:
    """The seed-size park: import + match + diagnose, three fresh processes, one new store."""
    db = f"sqlite:///{tmp / 'seed.db'}"
    steps = {}
    for name, args in (("import", ("import", str(park("seed")))), ("match", ("match", "--json")),
                       ("diagnose", ("diagnose", "--json"))):  # fmt: skip
        steps[name], _, _ = idgap(*args, db=db)
    return {"steps": steps, "total": round(sum(steps.values()), 2)}


def line(name: str, r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"{name}: {r['skipped']}"
    stages = " ".join(f"{k} {v}" for k, v in r["stages"].items())
    return (
        f"{name}: {r['wall']} s ({stages}); limit {r['limit']} s (read {r['read']} + write "
        f"{r['write']}, {r['rows_written']:,} rows) -> {r['ratio']}x; peak {r['peak_rss_mb']} MB;"
        f" {r['matched']:,} matched / {r['review']:,} review / {r['unmatched']:,} unmatched"
    )


def main() -> int:
    quick = "--quick" in sys.argv
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    tmp = DATA / f"e2e-tmp-{uuid.uuid4().hex[:6]}"
    tmp.mkdir(parents=True)
    try:
        results["seed"] = seed_end_to_end(tmp)
        print(f"seed 800 x 127,000 import + match + diagnose: {results['seed']}", flush=True)
        size = "seed" if quick else "large"
        leads, drivers = SIZES[size]
        results["size"] = f"{leads} x {drivers}"
        results["match_sqlite"] = match_sqlite(size, tmp)
        print(line(f"idgap match, SQLite, {leads:,} x {drivers:,}", results["match_sqlite"]))
        results["recover_postgresql"] = recover_postgresql(size)
        print(line(f"idgap recover, PostgreSQL, {leads:,} x {drivers:,}",
                   results["recover_postgresql"]))  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["load_after"] = os.getloadavg()
    print(f"load average before {results['load_before']}, after {results['load_after']}")
    save("e2e", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
