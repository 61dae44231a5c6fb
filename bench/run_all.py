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
    "bench_import", "bench_matching", "bench_splink", "bench_writes", "bench_recover", "bench_e2e",
    "bench_gaps", "bench_search", "bench_api", "bench_web", "bench_claims",
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
    """ct4, Splink and idgap on each park, one line each, then recall per case (from
    matching.json + splink.json)."""
    rows = [r for name in ("matching", "splink") for r in summary.get(name, [])]
    order = {"ct4": 0, "splink5": 1, "idgap": 2}
    parks = {"default": 0, "hard": 1, "holdout": 2}
    rows.sort(
        key=lambda r: (r["size"] != "seed", parks.get(r.get("park", "default"), 9),
                       order.get(r["ruleset"], 9))
    )  # fmt: skip
    lines = [
        "\nmatching, side by side (automatic links)",
        f"{'park':15}{'ruleset':9}{'precision':>10}{'recall':>8}{'F1':>8}{'wrong':>7}"
        f"{'auto':>7}{'coverage':>9}{'leads/s':>9}{'peak MB':>9}",
    ]
    for r in rows:
        lines.append(
            f"{r.get('park', 'default') + '/' + r['size']:15}{r['ruleset']:9}"
            f"{r['precision']:>10.4f}{r['recall']:>8.4f}{r['f1']:>8.4f}{r['wrong_links']:>7}"
            f"{r.get('auto_link_rate', 0):>7.3f}{r['review_coverage']:>9.4f}"
            f"{r['leads_per_s']:>9,}{r['peak_rss_mb']:>9}"
        )
    return "\n".join(lines + per_case_recall(rows))


def per_case_recall(rows: list[dict]) -> list[str]:
    """Recall (wrong links) per case and mishap, the three matchers side by side per park."""
    lines = []
    by_park: dict[str, list[dict]] = {}
    for r in rows:
        by_park.setdefault(f"{r.get('park', 'default')}/{r['size']}", []).append(r)
    for park, group in by_park.items():
        cases = {c for r in group for c in {**r.get("per_case", {}), **r.get("per_tag", {})}}
        if not cases or not isinstance(group[0].get("per_case"), dict):
            continue
        lines.append(f"\nrecall per case, {park} (wrong links in brackets; n = leads)")
        lines.append(f"{'case':32}{'n':>7}" + "".join(f"{r['ruleset']:>16}" for r in group))
        for case in sorted(cases):
            stats = [{**r.get("per_case", {}), **r.get("per_tag", {})}.get(case) for r in group]
            n = next((s["leads"] for s in stats if s), 0)
            cells = "".join(
                f"{s['recall']:>9.3f} ({s['wrong_links']:>3})" if s else f"{'-':>16}" for s in stats
            )
            lines.append(f"{case:32}{n:>7}{cells}")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
