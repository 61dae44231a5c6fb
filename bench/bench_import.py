"""Import throughput: 1,000,000 drivers into SQLite (and PostgreSQL when reachable).

Also the seed-size park end to end: import, match and gap analysis.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench.common import peak_rss_mb, save

ANCHOR = dt.date(2026, 11, 25)
PG = os.environ.get("IDGAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def main() -> int:
    from idgap.config import Settings
    from idgap.intake.service import import_path
    from idgap.recovery.job import run_recovery
    from idgap.store.db import make_engine
    from idgap.synth import generate_park, write_park

    tmp = Path(tempfile.mkdtemp(prefix="idgap-bench-"))
    n = 200_000 if "--quick" in sys.argv else 1_000_000
    big = generate_park(leads=1000, drivers=n, seed=1, anchor_date=ANCHOR)
    (tmp / "drivers").mkdir()
    big.drivers.write_csv(tmp / "drivers" / "drivers.csv")
    results: dict = {"drivers": n}
    targets = {"sqlite": f"sqlite:///{tmp / 'bench.db'}"}
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(PG)
        with admin.begin() as c:
            c.execute(sa.schema.CreateSchema(schema))
        targets["postgresql"] = f"{PG}?options=-csearch_path%3D{schema}"
    except sa.exc.OperationalError:
        admin = None
    for backend, url in targets.items():
        engine = make_engine(url)
        s = Settings(database_url=url)
        t = time.perf_counter()
        import_path(engine, tmp / "drivers", now=dt.datetime.now(dt.UTC), settings=s)
        first = time.perf_counter() - t
        t = time.perf_counter()
        import_path(engine, tmp / "drivers", now=dt.datetime.now(dt.UTC), settings=s)
        again = time.perf_counter() - t
        results[backend] = {
            "import_seconds": round(first, 1),
            "rows_per_s": round(n / first),
            "reimport_unchanged_seconds": round(again, 1),
        }
        print(
            f"{backend}: {n:,} drivers in {first:.1f}s ({n / first:,.0f} rows/s); "
            f"re-import {again:.1f}s",
            flush=True,
        )
        engine.dispose()
    if admin is not None:
        with admin.begin() as c:
            c.execute(sa.schema.DropSchema(schema, cascade=True))
    # the seed-size park end to end: import + match + gap analysis
    seed = tmp / "seed"
    write_park(generate_park(leads=800, drivers=127_000, seed=42, anchor_date=ANCHOR), seed)
    url = f"sqlite:///{tmp / 'seed.db'}"
    engine = make_engine(url)
    s = Settings(database_url=url)
    t = time.perf_counter()
    import_path(engine, seed, now=dt.datetime.now(dt.UTC), settings=s)
    mid = time.perf_counter()
    run_recovery(engine, settings=s, kind="match")
    end = time.perf_counter()
    results["seed_end_to_end"] = {
        "import_s": round(mid - t, 1),
        "match_and_gaps_s": round(end - mid, 1),
        "total_s": round(end - t, 1),
    }
    print(
        f"seed park 800 x 127,000 end to end: import {mid - t:.1f}s + match/gaps {end - mid:.1f}s",
        flush=True,
    )
    results["peak_rss_mb"] = peak_rss_mb()
    save("import", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
