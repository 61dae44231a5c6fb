"""`make bench`: run every benchmark in its own process and print one summary.

Each bench_* module writes bench/results/<name>.json; running them in separate processes keeps
their peak-memory readings honest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BENCHES = (
    "bench_import", "bench_matching", "bench_splink", "bench_writes", "bench_gaps", "bench_api",
    "bench_web",
)  # fmt: skip
RESULTS = Path(__file__).parent / "results"


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    failed = []
    for name in BENCHES:
        if not (Path(__file__).parent / f"{name}.py").exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        rc = subprocess.call([sys.executable, "-m", f"bench.{name}", *sys.argv[1:]])
        print(f"--- {name}: exit {rc} in {time.perf_counter() - started:.1f}s", flush=True)
        if rc:
            failed.append(name)
    summary = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))}
    (RESULTS / "summary.txt").write_text(json.dumps(summary, indent=2))
    print(f"\nresults in {RESULTS}/ ; failed: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
