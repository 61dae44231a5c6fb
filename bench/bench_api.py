"""API latency: GET /ops/identity-gaps with 100,000 leads (page 1 and a filtered page)."""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import save

ANCHOR = dt.date.today()
PATHS = {
    "page_1": "/api/v1/ops/identity-gaps?page=1&page_size=100",
    "filtered": "/api/v1/ops/identity-gaps?risk_level=high&gap_reason=no_identity"
    "&page=2&page_size=50",
    "alerts": "/api/v1/ops/identity-gaps/alerts",
}


def main() -> int:
    from fastapi.testclient import TestClient

    from idgap.access import create_token
    from idgap.api.app import create_app
    from idgap.config import Settings
    from idgap.intake.service import import_path
    from idgap.recovery.job import run_recovery
    from idgap.store.db import make_engine
    from idgap.synth import generate_park, write_park

    leads = 10_000 if "--quick" in sys.argv else 100_000
    tmp = Path(tempfile.mkdtemp(prefix="idgap-api-"))
    write_park(
        generate_park(leads=leads, drivers=2 * leads, seed=9, anchor_date=ANCHOR), tmp / "park"
    )
    url = f"sqlite:///{tmp / 'api.db'}"
    s = Settings(database_url=url)
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    import_path(engine, tmp / "park", now=now, settings=s)
    run_recovery(engine, settings=s, kind="match")
    with engine.begin() as conn:
        token = create_token(conn, name="bench", role="viewer", now=now)
    client = TestClient(create_app(s, engine))
    headers = {"Authorization": f"Bearer {token}"}
    results: dict = {"leads": leads, "backend": "sqlite"}
    for name, path in PATHS.items():
        client.get(path, headers=headers)  # warm
        times = []
        for _ in range(50):
            t = time.perf_counter()
            r = client.get(path, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
        times.sort()
        results[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[47], 1),
        }
        print(
            f"{name}: p50 {results[name]['p50_ms']} ms, p95 {results[name]['p95_ms']} ms",
            flush=True,
        )
    save("api", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
