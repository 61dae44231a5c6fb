"""Render the README's matching-quality tables from bench/results/{matching,splink}.json, so the
README shows what a run measured and nothing typed by hand.
Usage: python -m bench.readme_table [results dir]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.common import RESULTS

NAMES = {
    "ct4": "ct4 (reference rules)",
    "splink5": "Splink 5 (EM, Jaro-Winkler)",
    "idgap": "**idgap**",
}
PARK_ORDER = {"default": 0, "hard": 1, "holdout": 2}
RULE_ORDER = {"ct4": 0, "splink5": 1, "idgap": 2}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f} %"


def rows(results: Path) -> list[dict]:
    out = []
    for name in ("matching", "splink"):
        path = results / f"{name}.json"
        if path.exists():
            out += json.loads(path.read_text())
    out.sort(
        key=lambda r: (r["size"] != "seed", PARK_ORDER.get(r["park"], 9), RULE_ORDER[r["ruleset"]])
    )
    return out


def overall(rs: list[dict]) -> str:
    head = (
        "| park | ruleset | precision | recall | F1 | wrong links | auto-link rate "
        "| review coverage | leads/s | peak memory |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rs:
        speed = f"{r['leads_per_s']:,}"
        if "train_seconds" in r:
            speed += f" (+{r['train_seconds']} s training)"
        lines.append(
            f"| {r['park']} {r['size']} | {NAMES[r['ruleset']]} | {_pct(r['precision'])} "
            f"| {_pct(r['recall'])} | {r['f1']:.4f} | {r['wrong_links']:,} "
            f"| {_pct(r['auto_link_rate'])} | {_pct(r['review_coverage'])} | {speed} "
            f"| {r['peak_rss_mb']:,.0f} MB |"
        )
    return "\n".join(lines)


def per_case(rs: list[dict], park: str, size: str) -> str:
    """Recall (wrong links) per case and mishap tag of one park, the matchers side by side."""
    group = [r for r in rs if r["park"] == park and r["size"] == size]
    if not group:
        return ""
    stats = [{**r.get("per_case", {}), **r.get("per_tag", {})} for r in group]
    cases = sorted({c for s in stats for c in s})
    head = "| case | leads | " + " | ".join(NAMES[r["ruleset"]] for r in group) + " |"
    lines = [head, "|---|---|" + "---|" * len(group)]
    for case in cases:
        n = next(s[case]["leads"] for s in stats if case in s)
        cells = " | ".join(
            f"{_pct(s[case]['recall'])} ({s[case]['wrong_links']})" if case in s else "–"
            for s in stats
        )
        lines.append(f"| {case} | {n:,} | {cells} |")
    return "\n".join(lines)


def main() -> int:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    rs = rows(results)
    print(overall(rs))
    for park, size in sorted({(r["park"], r["size"]) for r in rs}):
        print(f"\n{park} {size}: recall per case (wrong links)\n")
        print(per_case(rs, park, size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
