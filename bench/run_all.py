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
    "bench_import", "bench_matching", "bench_splink", "bench_writes", "bench_recover",
    "bench_gaps", "bench_api", "bench_web", "bench_claims",
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
    print(matching_side_by_side(summary))
    print(f"\nresults in {RESULTS}/ ; failed: {failed or 'none'}")
    return 1 if failed else 0


def matching_side_by_side(summary: dict) -> str:
    """ct4, Splink and idgap on each park, one line each (from matching.json + splink.json)."""
    rows = [r for name in ("matching", "splink") for r in summary.get(name, [])]
    order = {"ct4": 0, "splink5": 1, "idgap": 2}
    rows.sort(key=lambda r: (r["size"] != "seed", order.get(r["ruleset"], 9)))
    lines = [
        "\nmatching, side by side (automatic links)",
        f"{'park':6}{'ruleset':9}{'precision':>10}{'recall':>8}{'F1':>8}{'wrong':>7}"
        f"{'coverage':>9}{'leads/s':>9}{'peak MB':>9}",
    ]
    for r in rows:
        lines.append(
            f"{r['size']:6}{r['ruleset']:9}{r['precision']:>10.4f}{r['recall']:>8.4f}"
            f"{r['f1']:>8.4f}{r['wrong_links']:>7}{r['review_coverage']:>9.4f}"
            f"{r['leads_per_s']:>9,}{r['peak_rss_mb']:>9}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
