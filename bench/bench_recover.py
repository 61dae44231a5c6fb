"""The recovery job end to end: 100,000 leads against 1,000,000 drivers, SQLite and PostgreSQL.

Per backend, each step in its own process (so each peak memory is its own): import the park's
drivers and leads, the first `recover` (driver index build, repairs, matching, writing), and a
second `recover` with nothing changed, as the next cron run would start it.
Usage: python -m bench.bench_recover [--quick]   (--quick: the seed-size park)
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.bench_matching import DATA, SIZES
from bench.bench_matching import generate as generate_park
from bench.common import peak_rss_mb, save

NOW = dt.datetime(2026, 11, 25, 23, tzinfo=dt.UTC)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def step_import(url: str, size: str) -> dict[str, Any]:
    import polars as pl

    from idgap.config import Settings
    from idgap.intake.service import import_frame
    from idgap.store.db import make_engine

    engine, settings = make_engine(url), Settings(database_url=url)
    started = time.perf_counter()
    for table, file in (("drivers", "drivers"), ("module_ct_cabinet_leads", "cabinet_leads")):
        frame = pl.read_parquet(DATA / size / f"{file}.parquet")
        import_frame(engine, table, frame, file_name=f"{table}.csv", now=NOW, settings=settings)
        del frame
    return {"seconds": round(time.perf_counter() - started, 1), "peak_rss_mb": peak_rss_mb()}


def step_recover(url: str) -> dict[str, Any]:
    from idgap.config import Settings
    from idgap.recovery.job import run_recovery
    from idgap.store.db import make_engine

    engine, settings = make_engine(url), Settings(database_url=url)
    steps: dict[str, float] = {}
    current: list[Any] = [None, time.perf_counter()]

    def progress(step: str, done: int, total: int) -> None:
        if step != current[0]:
            if current[0]:
                steps[current[0]] = round(time.perf_counter() - current[1], 1)
            current[:] = [step, time.perf_counter()]

    started = time.perf_counter()
    report = run_recovery(engine, settings=settings, now_fn=lambda: NOW, progress=progress)
    if current[0]:
        steps[current[0]] = round(time.perf_counter() - current[1], 1)
    w = report.writes
    return {
        "seconds": round(time.perf_counter() - started, 1), "steps": steps,
        "processed": report.processed, "matched": w.matched, "review": w.review,
        "unmatched": w.unmatched, "peak_rss_mb": peak_rss_mb(),
    }  # fmt: skip


def _in_process(step: str, url: str, size: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_recover", "--step", step, url, size],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def backend(url: str, size: str) -> dict[str, Any]:
    result = {
        "import": _in_process("import", url, size),
        "first_recover": _in_process("recover", url, size),
        "second_recover": _in_process("recover", url, size),
    }
    first, second = result["first_recover"], result["second_recover"]
    print(
        f"  import {result['import']['seconds']}s; first recover {first['seconds']}s "
        f"{first['steps']} peak {first['peak_rss_mb']} MB; nothing changed: "
        f"{second['seconds']}s ({second['processed']} decided)",
        flush=True,
    )
    return result


def main() -> int:
    if sys.argv[1:2] == ["--step"]:
        step, url, size = sys.argv[2:5]
        print(json.dumps(step_import(url, size) if step == "import" else step_recover(url)))
        return 0
    size = "seed" if "--quick" in sys.argv else "large"
    if not (DATA / size / "drivers.parquet").exists():
        generate_park(size)
    leads, drivers = SIZES[size]
    results: dict[str, Any] = {"leads": leads, "drivers": drivers}
    with tempfile.TemporaryDirectory(prefix="idgap-recover-") as tmp:
        print(f"sqlite, {leads:,} leads x {drivers:,} drivers", flush=True)
        results["sqlite"] = backend(f"sqlite:///{Path(tmp) / 'recover.db'}", size)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG)
    try:
        with admin.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
        print(f"postgresql, {leads:,} leads x {drivers:,} drivers", flush=True)
        results["postgresql"] = backend(f"{PG}?options=-csearch_path%3D{schema}", size)
    except sa.exc.OperationalError as exc:
        results["postgresql"] = {"skipped": f"not reachable: {type(exc).__name__}"}
    finally:
        try:
            with admin.begin() as conn:
                conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
        except sa.exc.OperationalError:
            pass
        admin.dispose()
    save("recover", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
