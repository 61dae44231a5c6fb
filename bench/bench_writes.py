"""Write throughput of `apply_decisions` (decisions/s) on SQLite and PostgreSQL.

100,000 leads, 60 % matched (some drivers with two leads), 25 % review, 15 % unmatched,
written in atomic batches of `recovery_batch_size` exactly as the recovery job writes them
(decisions log, persons, links, driver links, origins + history, queue, lead status).

    python -m bench.bench_writes [--leads N] [--pg URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
import uuid

import polars as pl
import sqlalchemy as sa

from bench.common import peak_rss_mb, save
from idgap.config import YEGO_PARK_ID, Settings
from idgap.identity.writer import WRITTEN_TABLES, WriteStats, apply_decisions
from idgap.store.bulk import refresh_statistics, statistics_due
from idgap.store.db import make_engine
from idgap.store.tables import cabinet_leads, drivers

NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
PG = os.environ.get("IDGAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def seed(engine: sa.Engine, n: int) -> None:
    book = {"idgap_row_hash": "x" * 32, "idgap_loaded_at": NOW, "idgap_changed_at": NOW}
    day = dt.date(2026, 11, 1)
    leads = [
        {"lead_id": f"L{i}", "lead_created_at": dt.datetime(2026, 11, 1, 10),
         "lead_date": day + dt.timedelta(days=i % 24), "first_name": "Ana", **book}
        for i in range(n)
    ]  # fmt: skip
    drv = [{"driver_id": f"d{i}", "park_id": YEGO_PARK_ID, **book} for i in range(n)]
    with engine.begin() as conn:
        for i in range(0, n, 20_000):
            conn.execute(cabinet_leads.insert(), leads[i : i + 20_000])
            conn.execute(drivers.insert(), drv[i : i + 20_000])


def decisions(n: int) -> pl.DataFrame:
    ev = json.dumps(
        {"inputs": {"phone_norm": "987654321", "name_norm": "ANA"}, "lead_date": "2026-11-05"}
    )
    cands = json.dumps([{"driver_id": "d1", "park_id": YEGO_PARK_ID, "score": 60.0}] * 3)
    rows = []
    for i in range(n):
        kind = i % 20
        if kind < 12:  # matched; every 6th lead shares the previous lead's driver
            driver = f"d{i - 1 if i % 6 == 1 else i}"
            rows.append(("matched", driver, "IG_SCORED", 92.0, "HIGH", "IG_SCORED", "[]"))
        elif kind < 17:
            rows.append(("review", None, None, 60.0, None, "MULTIPLE_CANDIDATES", cands))
        else:
            rows.append(("unmatched", None, None, None, None, "NO_CANDIDATES", "[]"))
    out, driver, rule, score, conf, reason, cand = zip(*rows, strict=True)
    return pl.DataFrame(
        {
            "source_table": ["module_ct_cabinet_leads"] * n,
            "source_pk": [f"L{i}" for i in range(n)],
            "outcome": out,
            "driver_id": driver,
            "rule": rule,
            "score": score,
            "confidence": conf,
            "reason_code": reason,
            "evidence_json": [ev] * n,
            "candidates_json": cand,
            "ruleset": ["idgap"] * n,
            "ruleset_version": ["bench"] * n,
            "index_version": ["v1"] * n,
        }  # fmt: skip
    )


def measure(url: str, n: int, batch: int) -> dict:
    engine = make_engine(url)
    seed(engine, n)
    frame = decisions(n)
    settings = Settings(database_url=url, recovery_batch_size=batch)
    total = WriteStats()
    started = time.perf_counter()
    for k, i in enumerate(range(0, n, batch), start=1):
        with engine.begin() as conn:
            total.add(apply_decisions(conn, frame.slice(i, batch), run_id=None, now=NOW,
                                      settings=settings))  # fmt: skip
            if statistics_due(k):  # as the recovery job does
                refresh_statistics(conn, WRITTEN_TABLES)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return {
        "decisions": n, "batch_size": batch, "seconds": round(elapsed, 2),
        "decisions_per_s": round(n / elapsed), "matched": total.matched,
        "persons_created": total.persons_created, "review": total.review,
        "unmatched": total.unmatched,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leads", type=int, default=100_000)
    ap.add_argument(
        "--batch", type=int, default=Settings(database_url="sqlite://").recovery_batch_size
    )
    ap.add_argument("--pg", default=PG)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/w.db", args.leads, args.batch)
        print("sqlite", results["sqlite"], flush=True)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.pg)
    try:
        with admin.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
        sep = "&" if "?" in args.pg else "?"
        results["postgresql"] = measure(
            f"{args.pg}{sep}options=-csearch_path%3D{schema}", args.leads, args.batch
        )
        print("postgresql", results["postgresql"], flush=True)
    except sa.exc.OperationalError as exc:
        results["postgresql"] = {"skipped": f"not reachable: {type(exc).__name__}"}
    finally:
        with admin.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
        admin.dispose()
    results["peak_rss_mb"] = peak_rss_mb()
    save("writes", results)


if __name__ == "__main__":
    main()
