"""Gap analysis at 100,000 leads: lead_status refresh, age shift, and the read models.

Targets: a full refresh in seconds; summary + first page p95 < 100 ms (SPEC §8).
Usage: python -m bench.bench_gaps [--leads N] [--backend sqlite|postgresql|both] [--repeat R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from idgap.config import Settings
from idgap.gaps import read
from idgap.gaps.diagnose import diagnose
from idgap.gaps.status import refresh_ages, refresh_lead_status
from idgap.store import tables as t
from idgap.store.db import make_engine

RESULTS = Path(__file__).parent / "results" / "gaps.json"
NOW = dt.datetime(2026, 1, 12, 18, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
PARK = "08e20910d81d42658d4334d3f6d10ac0"
LEADS = "module_ct_cabinet_leads"
BOOK = {"idgap_row_hash": "0" * 32, "idgap_loaded_at": NOW, "idgap_changed_at": NOW}


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    for i in range(0, len(rows), 10_000):
        conn.execute(table.insert(), rows[i : i + 10_000])


def seed(engine: sa.Engine, n: int) -> None:
    """n leads over 120 days: 75 % linked (+driver, 90 % with origin), trips, a review queue."""
    rng = np.random.default_rng(7)
    ages = rng.integers(0, 120, n)
    leads, people, links, origins, activity, queue = [], [], [], [], [], []
    for i in range(n):
        lead_id, day = f"L{i:07d}", TODAY - dt.timedelta(days=int(ages[i]))
        leads.append(
            {
                "lead_id": lead_id,
                "id": lead_id,
                "lead_date": day,
                "lead_created_at": dt.datetime.combine(day, dt.time(9)),
                **BOOK,
            }
        )
        if i % 4 == 3:
            if i % 20 == 3:
                queue.append(
                    {
                        "source_table": LEADS,
                        "source_pk": lead_id,
                        "outcome": "review",
                        "reason_code": "WEAK_MATCH_ONLY",
                        "status": "OPEN",
                        "candidates": [{"driver_id": f"D{i - 1:07d}"}],
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
            continue
        key, driver = str(uuid.UUID(int=i + 1)), f"D{i:07d}"
        people.append({"person_key": key, "created_at": NOW, "updated_at": NOW, "created_by": "b"})
        links += [
            {
                "person_key": key,
                "source_table": LEADS,
                "source_pk": lead_id,
                "match_rule": "B",
                "linked_at": NOW,
                "linked_by": "system",
            },
            {
                "person_key": key,
                "source_table": "drivers",
                "source_pk": driver,
                "match_rule": "B",
                "linked_at": NOW,
                "linked_by": "system",
            },
        ]
        if i % 10:
            origins.append(
                {
                    "person_key": key,
                    "origin_tag": "cabinet_lead",
                    "origin_source_table": LEADS,
                    "origin_source_id": lead_id,
                    "origin_confidence": 95.0,
                    "ruleset_version": "b",
                    "decided_by": "system",
                    "resolution_status": "resolved_auto",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        for k in range(0, 12, 3):
            activity.append(
                {
                    "driver_id": driver,
                    "activity_date": day + dt.timedelta(days=k),
                    "date_file": "x",
                    "count_orders_completed": int(rng.integers(0, 4)),
                    "sum_work_time_seconds": 0,
                    **BOOK,
                }
            )
    drivers = [{"driver_id": f"D{i:07d}", "park_id": PARK, **BOOK} for i in range(n)]
    with engine.begin() as conn:
        for table, rows in (
            (t.cabinet_leads, leads),
            (t.drivers, drivers),
            (t.persons, people),
            (t.identity_links, links),
            (t.identity_origin, origins),
            (t.summary_daily, activity),
            (t.identity_unmatched, queue),
        ):
            _insert(conn, table, rows)


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return round(time.perf_counter() - started, 3)


def _p95_ms(engine: sa.Engine, repeat: int, fn) -> dict[str, float]:  # type: ignore[no-untyped-def]
    samples = []
    with engine.connect() as conn:
        fn(conn)
        for _ in range(repeat):
            started = time.perf_counter()
            fn(conn)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
    }


def run(url: str, n: int, repeat: int) -> dict:
    engine = make_engine(url)
    cfg = Settings(database_url=url, park_id=PARK)
    out: dict = {"seed_s": _timed(lambda: seed(engine, n))}

    def refresh(ids=None, today=TODAY) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as conn:
            refresh_lead_status(conn, ids, today=today, settings=cfg, now=NOW)

    out["refresh_all_first_s"] = _timed(refresh)
    out["refresh_all_unchanged_s"] = _timed(refresh)
    some = [f"L{i:07d}" for i in range(0, n, max(1, n // 500))][:500]
    out["refresh_500_leads_s"] = _timed(lambda: refresh(some))
    with engine.begin() as conn:
        out["refresh_ages_next_day_s"] = _timed(
            lambda: refresh_ages(conn, today=TODAY + dt.timedelta(days=1))
        )
    day = TODAY + dt.timedelta(days=1)

    def page(conn: sa.Connection) -> None:
        read.gap_summary(conn, filters={}, today=day)
        read.gap_items(conn, filters={}, page=1, page_size=100, sort=None, today=day)

    out["summary_plus_items"] = _p95_ms(engine, repeat, page)
    out["items_page_50"] = _p95_ms(
        engine, repeat, lambda c: read.gap_items(c, filters={}, page=50, page_size=100, sort=None)
    )
    out["items_filtered_sorted"] = _p95_ms(
        engine,
        repeat,
        lambda c: read.gap_items(
            c, filters={"risk_level": "high"}, page=1, page_size=100, sort="-amount_at_stake"
        ),
    )
    out["alerts"] = _p95_ms(engine, repeat, lambda c: read.gap_alerts(c, today=day))
    out["recovery_status"] = _p95_ms(engine, repeat, lambda c: read.recovery_status(c, now=NOW))
    out["data_health"] = _p95_ms(engine, repeat, lambda c: read.data_health(c, now=NOW))
    out["diagnose"] = _p95_ms(
        engine, max(3, repeat // 5), lambda c: diagnose(c, now=NOW, settings=cfg)
    )
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    results: dict = {"leads": args.leads}
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            results["sqlite"] = run(f"sqlite:///{tmp}/bench.db", args.leads, args.repeat)
            print("sqlite", json.dumps(results["sqlite"], indent=1), flush=True)
        if args.backend in ("postgresql", "both"):
            from tests.conftest import new_database_url

            url, cleanup = new_database_url("postgresql", Path(tmp))
            try:
                results["postgresql"] = run(url, args.leads, args.repeat)
                print("postgresql", json.dumps(results["postgresql"], indent=1), flush=True)
            finally:
                cleanup()  # type: ignore[operator]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
