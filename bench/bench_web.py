"""Server render time of the dashboard, the review queue and a lead page with 100,000 leads.

Target: < 300 ms per page. Renders through the full ASGI stack (TestClient, logged in), so the
time includes session checks, every service call of the page and the template. The dashboard's
service calls are also timed one by one, to show where its time goes.
Usage: python -m bench.bench_web [--leads N] [--drivers N] [--repeat R] [--db FILE (reused)]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.e2e.web_support import Seeded, add_tokens, login, make_app, seed_park

from idgap.config import Settings
from idgap.store import tables as t
from idgap.store.db import make_engine

RESULTS = Path(__file__).parent / "results" / "web.json"
TARGET_MS = 300.0


def _stats(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "max_ms": round(samples[-1], 1),
    }


def _repeat(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    fn()  # warm caches (templates, SQLite pages)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return _stats(samples)


def _page(client: TestClient, path: str) -> Callable[[], object]:
    def get() -> None:
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"

    return get


def dashboard_services(engine: sa.Engine, repeat: int) -> dict[str, dict[str, float]]:
    """Each service call the dashboard makes, timed alone."""
    from idgap.clock import DEFAULT_TIMEZONE, park_day
    from idgap.gaps import read as gaps
    from idgap.gaps.trend import gap_trend

    now = dt.datetime.now(dt.UTC)
    day, tz = park_day(now, DEFAULT_TIMEZONE), DEFAULT_TIMEZONE
    calls = {
        "gap_summary": lambda c: gaps.gap_summary(c, filters={}, today=day),
        "gap_items": lambda c: gaps.gap_items(c, filters={}, page=1, page_size=25, today=day),
        "gap_alerts": lambda c: gaps.gap_alerts(c, today=day, limit=12),
        "recovery_status": lambda c: gaps.recovery_status(c, now=now),
        "gap_trend": lambda c: gap_trend(c, today=day, timezone=tz),
        "gap_trend_dated": lambda c: gap_trend(
            c, filters={"date_from": day - dt.timedelta(days=30)}, today=day, timezone=tz
        ),
    }
    out = {}
    with engine.connect() as conn:
        for name, call in calls.items():
            out[name] = _repeat(lambda call=call: call(conn), repeat)
    return out


def _seeded(engine: sa.Engine, settings: Settings, work: Path, args) -> tuple[Seeded, float]:
    started = time.perf_counter()
    with engine.connect() as conn:
        has_leads = conn.execute(sa.select(sa.func.count()).select_from(t.lead_status)).scalar()
    if has_leads:  # a reused --db: new tokens only
        with engine.connect() as conn:
            ids = list(conn.execute(sa.select(t.lead_status.c.lead_id)).scalars())
        seeded = Seeded(settings=settings, engine=engine, lead_ids=sorted(ids))
        add_tokens(seeded)
    else:
        seeded = seed_park(engine, settings, work, leads=args.leads, drivers=args.drivers)
    return seeded, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--drivers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", type=Path, default=None)
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="idgap-bench-web-") as tmp:
        db = args.db or Path(tmp) / "idgap.db"
        url = f"sqlite:///{db}"
        engine = make_engine(url)
        settings = Settings(database_url=url, secret_key="bench")
        seeded, seed_s = _seeded(engine, settings, Path(tmp), args)
        client = TestClient(make_app(seeded))
        login(client, seeded.tokens["viewer"])
        pages = {
            "dashboard": "/",
            "dashboard_filtered": "/?gap_reason=no_identity&risk_level=high&page=3",
            "review_queue": "/revision?pos=10",
            "review_queue_deep": "/revision?pos=2000",
            "lead": f"/leads/{seeded.lead_ids[len(seeded.lead_ids) // 2]}",
        }
        timings = {name: _repeat(_page(client, path), args.repeat) for name, path in pages.items()}
        services = dashboard_services(engine, args.repeat)
        n_leads = len(seeded.lead_ids)
        engine.dispose()
    result = {
        "leads": n_leads,
        "drivers": args.drivers,
        "backend": "sqlite",
        "seed_seconds": round(seed_s, 1),
        "target_ms": TARGET_MS,
        "pages": timings,
        "dashboard_services": services,
        "all_under_target": all(t["median_ms"] < TARGET_MS for t in timings.values()),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
