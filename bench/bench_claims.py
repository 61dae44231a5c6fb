"""Claims at 100,000 leads: payment-matching quality and the ledger's refresh time.

A synthetic park (with Yango's payment report and its truth) is written once, imported and
recovered once into a store cached under /work/parks/claims-<size>.db; then each measured step
runs in a fresh process:
- settle: every payment re-decided against the current leads (payment_matches emptied first);
- refresh_cold: the whole ledger written from scratch (claims emptied first);
- refresh_noop: the whole ledger recomputed with nothing to write;
- refresh_small: 500 leads refreshed (what one recovery batch costs);
and the payment matching and ledger are scored against the generator's truth.
Usage: python -m bench.bench_claims [--quick] [--leads N --drivers M] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import peak_rss_mb, save

ANCHOR = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)
PARKS = Path("/work/parks")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_claims"


def _settings(url: str) -> Any:
    from idgap.config import Settings

    return Settings(database_url=url, recovery_batch_size=5000)


def prepare(url: str, park: Path, leads: int, drivers: int) -> dict[str, Any]:
    """Generate, import and recover once (cached by the store's file / schema)."""
    from idgap.intake.service import import_path
    from idgap.recovery.job import run_recovery
    from idgap.store.db import make_engine
    from idgap.synth import generate_park, write_park

    started = time.perf_counter()
    if not (park / "truth_payments.csv").exists():
        write_park(generate_park(leads=leads, drivers=drivers, seed=42, anchor_date=ANCHOR), park)
    engine = make_engine(url)
    settings = _settings(url)
    import_path(engine, park, now=NOW, settings=settings)
    run_recovery(engine, settings=settings, now_fn=lambda: NOW)
    return {"prepare_seconds": round(time.perf_counter() - started, 1)}


def step(url: str, name: str) -> dict[str, Any]:
    """One measured step, in this (fresh) process."""
    import sqlalchemy as sa

    from idgap.claims.ledger import refresh_claims
    from idgap.claims.settle import settle_payments
    from idgap.store.db import make_engine
    from idgap.store.tables import claims, lead_status, payment_matches

    engine, settings = make_engine(url), _settings(url)
    later = NOW + dt.timedelta(hours=1)
    with engine.begin() as conn:
        if name == "settle":
            conn.execute(payment_matches.delete())
        if name == "refresh_cold":
            conn.execute(claims.delete())
        some = conn.execute(sa.select(lead_status.c.lead_id).limit(500)).scalars().all()
    started = time.perf_counter()
    with engine.begin() as conn:
        if name == "settle":
            leads, counts = settle_payments(conn, settings=settings, now=later)
            out: dict[str, Any] = {"payments": counts, "leads_moved": len(leads)}
            refresh_claims(conn, leads, today=later.date(), settings=settings, now=later)
        else:
            ids = list(some) if name == "refresh_small" else None
            out = {
                "rows_written": refresh_claims(
                    conn, ids, today=later.date(), settings=settings, now=later
                )
            }
    return {**out, "seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": peak_rss_mb()}


def score(url: str, park: Path) -> dict[str, Any]:
    import polars as pl
    import sqlalchemy as sa

    from idgap.claims.evaluate import score as run_score
    from idgap.claims.export import cell_text
    from idgap.claims.read import ITEM_COLUMNS, export_rows
    from idgap.store.db import make_engine
    from idgap.store.tables import lead_status
    from idgap.store.tables import payment_matches as pm

    engine = make_engine(url)
    text = {"infer_schema": False}
    with engine.connect() as conn:
        decisions = pl.read_database(
            sa.select(pm.c.payment_id, pm.c.outcome, pm.c.lead_id),
            conn,
            schema_overrides={"payment_id": pl.Utf8, "outcome": pl.Utf8, "lead_id": pl.Utf8},
        )
        rows = [[cell_text(v) or None for v in r] for r in export_rows(conn)]
        n_leads = conn.execute(sa.select(sa.func.count()).select_from(lead_status)).scalar_one()
    ledger = pl.DataFrame(rows, schema={c: pl.Utf8 for c in ITEM_COLUMNS}, orient="row")
    rep = run_score(
        decisions,
        ledger,
        pl.read_csv(park / "truth_payments.csv", **text),
        pl.read_csv(park / "truth_claims.csv", **text),
    )
    return {"leads": n_leads, **rep.to_dict()}


def _child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_claims", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--leads", type=int, default=100_000)
    p.add_argument("--drivers", type=int, default=300_000)
    p.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    p.add_argument("--child", nargs="*")
    a, _ = p.parse_known_args()
    if a.child:
        kind, url, *rest = a.child
        fn = {
            "prepare": lambda: prepare(url, Path(rest[0]), int(rest[1]), int(rest[2])),
            "score": lambda: score(url, Path(rest[0])),
        }.get(kind, lambda: step(url, kind))
        print(json.dumps(fn(), default=str))
        return
    leads, drivers = (800, 20_000) if a.quick else (a.leads, a.drivers)
    tag = f"claims-{leads}x{drivers}"
    park = PARKS / tag
    url = f"sqlite:///{PARKS / (tag + '.db')}" if a.backend == "sqlite" else PG_URL
    result: dict[str, Any] = {"leads": leads, "drivers": drivers, "backend": a.backend, "seed": 42}
    if a.backend == "postgresql":
        _pg_schema()
    if a.backend == "postgresql" or not (PARKS / (tag + ".db")).exists():
        result |= _child(["--child", "prepare", url, str(park), str(leads), str(drivers)])
    for name in ("settle", "refresh_cold", "refresh_noop", "refresh_small"):
        result[name] = _child(["--child", name, url])
        print(name, result[name], flush=True)
    result["quality"] = _child(["--child", "score", url, str(park)])
    q = result["quality"]
    print(
        f"payment matching: precision {q['precision']:.4f} recall {q['recall']:.4f} "
        f"(matchable {q['recall_matchable']:.4f}), ledger agreement {q['agreement']:.4f} "
        f"on {q['linked_lead_milestones']:,} lead x milestones; full refresh "
        f"{result['refresh_cold']['seconds']} s cold, {result['refresh_noop']['seconds']} s "
        f"no-op; settle {result['settle']['seconds']} s ({leads:,} leads, {a.backend})"
    )
    save("claims", result)


def _pg_schema() -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_URL.split("?")[0])
    with admin.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_claims CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA bench_claims"))
    admin.dispose()


if __name__ == "__main__":
    main()
