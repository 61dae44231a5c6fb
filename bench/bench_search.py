"""Search at 100,000 leads: building the search keys, keeping them current, and the lookups.

Measures on each backend: the first full build of `search_keys` (every lead and person), a
full re-sync with nothing changed (digests only), the re-sync of one lead and its person (what
every writer pays), and p50/p95 of the searches the screens run (gap table page + total,
persons, review queue) for a name pair, a formatted phone and a plate prefix.
Usage: python -m bench.bench_search [--leads N] [--backend sqlite|postgresql|both] [--repeat R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench.bench_gaps import BOOK, LEADS, NOW, TODAY, _insert
from bench.common import peak_rss_mb, save
from idgap.gaps import read
from idgap.identity.read import list_persons, list_unmatched
from idgap.identity.search_index import sync_search_keys
from idgap.store import tables as t
from idgap.store.db import make_engine

FIRST = ["José", "María", "Luis", "Rosa", "Juan", "Ana", "Pedro", "Lucía", "Jorge", "Carmen"]
LAST = ["Jáuregui", "Quispe", "Mamani", "Pérez", "Gómez", "Torres", "Díaz", "Rojas", "Chávez",
        "Flores", "Huamán", "Ramos", "Vargas", "Castillo", "Peña", "Núñez"]  # fmt: skip


def seed(engine: sa.Engine, n: int) -> None:
    """n leads with names, phones and plates; 3 in 4 linked to a person with a driver.

    Timestamps are spread a microsecond apart, as real writes are, so the whole-store
    re-sync's watermark boundary holds one row, not the whole park.
    """
    rng = np.random.default_rng(11)
    leads, people, links, drivers, queue = [], [], [], [], []
    for i in range(n):
        at = NOW - dt.timedelta(microseconds=n - i)
        book = {**BOOK, "idgap_loaded_at": at, "idgap_changed_at": at}
        lead_id = f"L{i:07d}"
        first, last = FIRST[rng.integers(len(FIRST))], LAST[rng.integers(len(LAST))]
        second = LAST[rng.integers(len(LAST))]
        phone = f"+51 9{i:08d}"
        plate = (
            f"{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}{chr(65 + i // 676 % 26)}-{i % 1000:03d}"
        )
        day = TODAY - dt.timedelta(days=int(rng.integers(0, 120)))
        leads.append({"lead_id": lead_id, "id": lead_id, "lead_date": day,
                      "lead_created_at": NOW.replace(tzinfo=None), "first_name": first,
                      "last_name": f"{last} {second}", "park_phone": phone,
                      "asset_plate_number": plate, **book})  # fmt: skip
        if i % 4 == 3:
            queue.append({"source_table": LEADS, "source_pk": lead_id, "outcome": "review",
                          "reason_code": "WEAK_MATCH_ONLY", "status": "OPEN", "candidates": [],
                          "created_at": NOW, "updated_at": NOW})  # fmt: skip
            continue
        key, driver = f"00000000-0000-0000-0000-{i:012d}", f"D{i:07d}"
        people.append({"person_key": key, "created_at": at, "updated_at": at,
                       "created_by": "b", "primary_name": f"{first} {last}".upper(),
                       "primary_phone": phone})  # fmt: skip
        drivers.append({"driver_id": driver, "park_id": "p", "full_name": f"{first} {last}",
                        "phone": phone, "license_number": f"Q{i:08d}", "car_number": plate,
                        **book})  # fmt: skip
        for table, pk in ((LEADS, lead_id), ("drivers", driver)):
            links.append({"person_key": key, "source_table": table, "source_pk": pk,
                          "match_rule": "B", "linked_at": at, "linked_by": "system"})  # fmt: skip
    with engine.begin() as conn:
        for table, rows in ((t.cabinet_leads, leads), (t.drivers, drivers), (t.persons, people),
                            (t.identity_links, links), (t.identity_unmatched, queue)):  # fmt: skip
            _insert(conn, table, rows)
        status = [{"lead_id": r["lead_id"], "lead_date": r["lead_date"], "has_identity": False,
                   "has_driver": False, "has_origin": False, "gap_reason": "no_identity",
                   "gap_age_days": 1, "risk_level": "low", "as_of": TODAY, "trips_14d": 0,
                   "milestones_reached": 0, "expected_amount": 0.0, "amount_at_stake": 0.0,
                   "updated_at": NOW} for r in leads]  # fmt: skip
        _insert(conn, t.lead_status, status)


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {"p50_ms": round(1000 * statistics.median(ordered), 1), "p95_ms": round(1000 * p95, 1)}


QUERIES = {"name pair": "jauregui jose", "phone": "+51 900-001-234", "plate prefix": "BCA-0"}


def run(url: str, n: int, repeat: int) -> dict:
    engine = make_engine(url)
    seed(engine, n)
    out: dict = {"leads": n, "backend": engine.dialect.name}
    with engine.begin() as conn:
        out["first_build_s"] = round(timed(lambda: sync_search_keys(conn, None)), 2)
        out["keys"] = conn.execute(sa.select(sa.func.count()).select_from(t.search_keys)).scalar()
    with engine.begin() as conn:
        out["resync_unchanged_s"] = round(timed(lambda: sync_search_keys(conn, None)), 2)
        out["full_compare_unchanged_s"] = round(
            timed(lambda: sync_search_keys(conn, None, full=True)), 2
        )
    with engine.begin() as conn:
        conn.execute(t.cabinet_leads.update().where(t.cabinet_leads.c.lead_id == "L0000010")
                     .values(park_phone="999888777"))  # fmt: skip
        one = [timed(lambda: sync_search_keys(conn, ["L0000010"])) for _ in range(repeat)]
        out["one_lead_sync"] = percentiles(one)
    with engine.connect() as conn:
        for label, q in QUERIES.items():
            screens = {
                "gap table": lambda q=q: read.gap_items(conn, filters={"q": q}, page_size=25),
                "persons": lambda q=q: list_persons(conn, q=q, limit=50),
                "review queue": lambda q=q: list_unmatched(conn, q=q, limit=8),
            }
            for screen, fn in screens.items():
                samples = [timed(fn) for _ in range(repeat)]
                out[f"{screen} / {label}"] = {**percentiles(samples),
                                              "hits": len(fn()["items"])}  # fmt: skip
    engine.dispose()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _pg_url(schema: str) -> str:
    import os

    base = os.environ.get("IDGAP_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")  # fmt: skip
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    results = []
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            url = (
                f"sqlite:///{Path(tmp) / 'search.db'}"
                if backend == "sqlite"
                else _pg_url("bench_analyst")
            )
            results.append(run(url, args.leads, args.repeat))
            print(results[-1], flush=True)
    save("search", results)


if __name__ == "__main__":
    main()
