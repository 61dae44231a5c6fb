"""Import and driver index against this machine's limit, measured in the same run.

Per backend (SQLite file; PostgreSQL schema `bench_ingest` when reachable):
- limit: Polars reads the park's contract CSVs and ADBC bulk-writes them into a fresh SQLite
  file / PostgreSQL schema (`write_database(engine="adbc")`: no keys, no indexes, no checks);
- `idgap import DIR` into a fresh store from a fresh process (`/usr/bin/time -v`: wall clock,
  peak memory) with its stage breakdown (read, plan, write, index, gap_status: the import's own
  timings), then again with the same files (all unchanged); ratio = import / limit;
- the driver index: its first build is the import's `index` stage (built from the rows the
  import loads); then fresh processes: a new process (the Parquet cache), unchanged (in
  memory), and a store without any cache (every driver read back and normalised).
Park: 100,000 leads x 1,000,000 drivers (`idgap generate`, seed 42): $IDGAP_BENCH_PARK, else
$IDGAP_BENCH_DATA/csv-large, else generated under /work/parks/ingest-large; `--quick` uses the
seed-size park only (800 x 127,000). The seed park also runs end to end (import + match + gap
analysis).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import save

ANCHOR = "2026-11-25"
PG = os.environ.get("IDGAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_SCHEMA = "bench_ingest"
_SHARED = Path(os.environ.get("IDGAP_BENCH_DATA", "/work/parks")) / "csv-large"
LARGE = Path(
    os.environ.get("IDGAP_BENCH_PARK", _SHARED if _SHARED.exists() else "/work/parks/ingest-large")
)
SEED = Path(os.environ.get("IDGAP_BENCH_SEED_PARK", "/work/parks/ingest-seed"))
CONTRACT = ("module_ct_cabinet_leads", "drivers", "summary_daily", "module_ct_scouting_daily",
            "module_ct_migrations", "module_ct_cabinet_payments")  # fmt: skip
BIN = Path(sys.executable).parent


def park(path: Path, leads: int, drivers: int) -> Path:
    if not (path / "drivers.csv").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(BIN / "idgap"), "generate", "--leads", str(leads), "--drivers", str(drivers),
             "--seed", "42", "--anchor-date", ANCHOR, "--out", str(path)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return path


def rows_of(folder: Path) -> dict[str, int]:
    out = {}
    for name in CONTRACT:
        f = folder / f"{name}.csv"
        if f.exists():
            with f.open("rb") as fh:
                out[name] = sum(1 for _ in fh) - 1
    return out


# --- the limit ------------------------------------------------------------------------------

LIMIT_CODE = r"""
import sys, time, json, pathlib, polars as pl
backend, folder, target, schema = sys.argv[1:5]
names = json.loads(sys.argv[5])
started = time.perf_counter()
if backend == "sqlite":
    import adbc_driver_sqlite.dbapi as adbc
    conn = adbc.connect(target)
else:
    import adbc_driver_postgresql.dbapi as adbc
    conn = adbc.connect(target)
read = write = 0.0
with conn:
    for name in names:
        a = time.perf_counter()
        df = pl.read_csv(pathlib.Path(folder) / f"{name}.csv", infer_schema=False)
        b = time.perf_counter()
        table = name if backend == "sqlite" else f"{schema}.{name}"
        df.write_database(table, conn, engine="adbc", if_table_exists="replace")
        write += time.perf_counter() - b
        read += b - a
    conn.commit()
print(json.dumps({"seconds": time.perf_counter() - started, "read": read, "write": write}))
"""


def limit(backend: str, folder: Path, target: str, schema: str) -> dict[str, float]:
    """Polars read + ADBC bulk write of the same CSVs, in a fresh process."""
    names = [n for n in CONTRACT if (folder / f"{n}.csv").exists()]
    done = subprocess.run(
        [sys.executable, "-c", LIMIT_CODE, backend, str(folder), target, schema,
         json.dumps(names)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: round(v, 2) for k, v in out.items()}


# --- idgap from fresh processes -------------------------------------------------------------


def timed_cli(args: list[str], url: str) -> dict[str, Any]:
    """`/usr/bin/time -v idgap ...`: wall clock and peak memory of a fresh process."""
    env = {**os.environ, "IDGAP_DATABASE_URL": url}
    time_bin = shutil.which("time") or "/usr/bin/time"
    started = time.perf_counter()
    done = subprocess.run(
        [time_bin, "-v", str(BIN / "idgap"), *args], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"idgap {' '.join(args)} failed: {done.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return {"wall_s": round(wall, 2), "peak_mb": round(int(rss.group(1)) / 1024) if rss else None,
            "stdout": done.stdout}  # fmt: skip


INDEX_CODE = r"""
import sys, time, json, datetime as dt
t0 = time.perf_counter()
from idgap.store.db import make_engine
from idgap.recovery.index_store import forget_cache, load_driver_index
engine = make_engine(sys.argv[1])
if sys.argv[3] == "no-cache":
    with engine.connect() as conn:
        forget_cache(conn)
out = []
for _ in range(int(sys.argv[2])):
    a = time.perf_counter()
    with engine.begin() as conn:
        frame, info = load_driver_index(conn, now=dt.datetime.now(dt.UTC))
    out.append({"seconds": round(time.perf_counter() - a, 2), "cache": info.cache,
                "changed": info.n_changed, "rows": frame.height})
print(json.dumps({"calls": out, "process_s": round(time.perf_counter() - t0, 2)}))
"""


def index_in_fresh_process(url: str, calls: int, cache: str = "cache") -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", INDEX_CODE, url, str(calls), cache],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_backend(backend: str, folder: Path, url: str, limit_target: str) -> dict[str, Any]:
    lim = limit(backend, folder, limit_target, f"{PG_SCHEMA}_limit")
    first = timed_cli(["import", str(folder), "--json"], url)
    stages = json.loads(first["stdout"])["timings"]
    again = timed_cli(["import", str(folder), "--json"], url)
    unchanged = all(t["loaded"] == t["updated"] == 0 for t in json.loads(again["stdout"])["tables"])
    cold = index_in_fresh_process(url, 2)["calls"]
    rebuilt = index_in_fresh_process(url, 1, "no-cache")["calls"][0]
    result = {
        "limit_s": lim["seconds"], "limit_read_s": lim["read"], "limit_write_s": lim["write"],
        "import_s": first["wall_s"], "import_peak_mb": first["peak_mb"], "import_stages": stages,
        "import_ratio": round(first["wall_s"] / lim["seconds"], 2),
        "reimport_unchanged_s": again["wall_s"], "reimport_all_unchanged": unchanged,
        "reimport_ratio": round(again["wall_s"] / lim["seconds"], 2),
        "index_first_build_s": stages.get("index"), "index_rows": cold[0]["rows"],
        "index_new_process_s": cold[0]["seconds"], "index_new_process_from": cold[0]["cache"],
        "index_unchanged_s": cold[1]["seconds"], "index_unchanged_from": cold[1]["cache"],
        "index_without_cache_s": rebuilt["seconds"],
    }  # fmt: skip
    breakdown = " ".join(f"{k} {v}" for k, v in stages.items())
    print(
        f"{backend:10} limit {lim['seconds']:.1f}s (read {lim['read']:.1f} + write "
        f"{lim['write']:.1f}) | idgap import {first['wall_s']:.1f}s ({breakdown}) = "
        f"{result['import_ratio']}x limit, peak {first['peak_mb']} MB | re-import unchanged "
        f"{again['wall_s']:.1f}s = {result['reimport_ratio']}x | index: first build (in the "
        f"import) {stages.get('index')}s, new process {cold[0]['seconds']}s ({cold[0]['cache']}),"
        f" unchanged {cold[1]['seconds']}s, without any cache {rebuilt['seconds']}s",
        flush=True,
    )
    return result


def _pg_reset() -> bool:
    try:
        admin = sa.create_engine(PG, connect_args={"connect_timeout": 3})
        with admin.begin() as c:
            for name in (PG_SCHEMA, f"{PG_SCHEMA}_limit"):
                c.execute(sa.schema.DropSchema(name, cascade=True, if_exists=True))
                c.execute(sa.schema.CreateSchema(name))
        admin.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def _pg_urls() -> tuple[str, str]:
    sep = "&" if "?" in PG else "?"
    store = f"{PG}{sep}options=-csearch_path%3D{PG_SCHEMA}"
    raw = sa.make_url(PG).set(drivername="postgresql").render_as_string(hide_password=False)
    return store, raw


def run_park(label: str, folder: Path, tmp: Path) -> dict[str, Any]:
    print(f"\n{label}: {folder} {rows_of(folder)}", flush=True)
    out: dict[str, Any] = {"rows": rows_of(folder), "load_before": os.getloadavg()}
    db = tmp / f"{label}.db"
    out["sqlite"] = bench_backend(
        "sqlite", folder, f"sqlite:///{db}", str(tmp / f"{label}-limit.db")
    )
    if _pg_reset():
        store, raw = _pg_urls()
        out["postgresql"] = bench_backend("postgresql", folder, store, raw)
    out["load_after"] = os.getloadavg()
    print(f"load average before {out['load_before']}, after {out['load_after']}", flush=True)
    return out


def seed_end_to_end(folder: Path, tmp: Path) -> dict[str, float]:
    url = f"sqlite:///{tmp / 'seed-e2e.db'}"
    imp = timed_cli(["import", str(folder)], url)
    match = timed_cli(["match"], url)
    total = round(imp["wall_s"] + match["wall_s"], 2)
    print(f"seed park end to end (fresh processes): import {imp['wall_s']}s + match/gaps "
          f"{match['wall_s']}s = {total}s", flush=True)  # fmt: skip
    return {"import_s": imp["wall_s"], "match_and_gaps_s": match["wall_s"], "total_s": total}


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="idgap-bench-import-"))
    results: dict[str, Any] = {}
    try:
        seed = park(SEED, 800, 127_000)
        if "--quick" not in sys.argv:
            results["large"] = run_park("large", park(LARGE, 100_000, 1_000_000), tmp)
        results["seed"] = run_park("seed", seed, tmp)
        results["seed_end_to_end"] = seed_end_to_end(seed, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _pg_drop()
    save("import", results)
    return 0


def _pg_drop() -> None:
    try:
        admin = sa.create_engine(PG, connect_args={"connect_timeout": 3})
        with admin.begin() as c:
            for name in (PG_SCHEMA, f"{PG_SCHEMA}_limit"):
                c.execute(sa.schema.DropSchema(name, cascade=True, if_exists=True))
        admin.dispose()
    except sa.exc.OperationalError:
        return


if __name__ == "__main__":
    raise SystemExit(main())
