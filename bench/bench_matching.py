"""Matching quality and speed, ct4 (the reference rules) vs idgap, on the labelled parks of
bench/parks.py (default, hard, holdout; seed size and 100,000 x 1,000,000).

Each (park, ruleset) runs in its own process so its peak memory (ru_maxrss: loading the park,
building the index and matching) is its own. leads/s is the engine only (index prebuilt,
blocking keys included in the index build time). When the engine accepts the park's activity
(`match_candidates(..., summary_daily=frame)`), it gets the raw `summary_daily` frame.
Usage: python -m bench.bench_matching [--quick] [--park=hard] [--large-all]
                                      [--ct4-only | --idgap-only]
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import time
from types import SimpleNamespace
from typing import Any

import polars as pl

from bench import parks
from bench.common import peak_rss_mb, save
from bench.scoring import score

# kept for the benches that read the default parks (bench_recover, bench_splink)
SIZES, DATA, ANCHOR = parks.SIZES, parks.DATA, parks.ANCHOR
RULESETS = ("ct4", "idgap")


def generate(size: str) -> None:
    """The default park of `size` (what bench_recover imports)."""
    parks.generate("default", size)


def load_park(size: str, variant: str = "default") -> SimpleNamespace:
    return parks.load(variant, size)


def _engine_kwargs(park: SimpleNamespace) -> dict[str, Any]:
    """Extra inputs the engine accepts today (the activity evidence of issue 10)."""
    from idgap.matching.engine import match_candidates

    params = inspect.signature(match_candidates).parameters
    if "summary_daily" in params:
        return {"summary_daily": park.summary_daily}
    if "trips" in params:  # matching v3: per-driver daily trips, as recovery.sources builds them
        from idgap.matching.normalize import parse_date_text

        sd = park.summary_daily
        day = pl.col("activity_date") if "activity_date" in sd.columns else pl.col("date_file")
        return {
            "trips": sd.select(
                pl.col("driver_id").cast(pl.Utf8),
                activity_date=parse_date_text(day.cast(pl.Utf8)),
                trips=pl.col("count_orders_completed").cast(pl.Int64),
            )
        }
    return {}


def _prepared(index: pl.DataFrame, ruleset: str) -> Any:
    try:
        from idgap.matching.prepared import prepare_index
    except ImportError:  # the engine prepares its own keys
        return index
    return prepare_index(index, name_keys=ruleset == "idgap")


def one(variant: str, size: str, ruleset: str) -> dict:
    from idgap.matching.candidates import leads_to_candidates
    from idgap.matching.engine import match_candidates
    from idgap.matching.index import build_driver_index, index_version

    leads, drivers = SIZES[size]
    t0 = time.perf_counter()
    park = parks.load(variant, size)
    t1 = time.perf_counter()
    index = build_driver_index(park.drivers)  # index build time includes the blocking keys
    version = index_version(index)
    index = _prepared(index, ruleset)
    t_index = time.perf_counter() - t1
    cands = leads_to_candidates(park.cabinet_leads)
    extra = _engine_kwargs(park)
    run = {"ruleset": ruleset, "index_version": version, **extra}
    match_candidates(cands.head(20), index, **run)  # warm-up
    t2 = time.perf_counter()
    decisions = match_candidates(cands, index, **run)
    t3 = time.perf_counter()
    first_pass = None
    if ruleset == "ct4":
        # the reference re-ran its job: its R3b may then link to drivers that got a person
        # from the first pass (it links only to existing persons)
        first_pass = decisions
        linked = decisions.filter(pl.col("outcome") == "matched")["driver_id"].unique()
        decisions = match_candidates(cands, index, **run, linked_drivers=linked)
    quality = score(auto_links(decisions), park.truth)
    return {
        "park": variant,
        "size": size,
        "leads": leads,
        "drivers": drivers,
        "ruleset": ruleset,
        **{k: v for k, v in quality.items() if k != "leads"},
        "recall_no_phone": _no_phone_recall(decisions, park),
        "recall_first_pass": score(auto_links(first_pass), park.truth)["recall"]
        if first_pass is not None
        else None,
        "activity_given": bool(extra),
        "leads_per_s": round(leads / (t3 - t2)),
        "match_seconds": round(t3 - t2, 2),
        "index_build_seconds": round(t_index, 2),
        "load_seconds": round(t1 - t0, 2),
        "peak_rss_mb": peak_rss_mb(),
        "outcomes": dict(decisions["outcome"].value_counts().iter_rows()),
    }


def auto_links(decisions: pl.DataFrame) -> pl.DataFrame:
    """What `evaluate` reads: the driver of automatic links only, and the shown candidates."""
    return decisions.select(
        "source_pk",
        "candidates_json",
        pl.when(pl.col("outcome") == "matched").then(pl.col("driver_id")).alias("driver_id"),
    )


def _no_phone_recall(decisions: pl.DataFrame, park: SimpleNamespace) -> float:
    no_phone = park.cabinet_leads.with_columns(
        lead_id=pl.coalesce(pl.col("external_id").replace("", None), pl.col("id").cast(pl.Utf8))
    ).filter(pl.col("park_phone").is_null() | (pl.col("park_phone") == ""))["lead_id"]
    ids = no_phone.implode()
    auto = auto_links(decisions).filter(pl.col("source_pk").is_in(ids))
    return score(auto, park.truth.filter(pl.col("lead_id").is_in(ids)))["recall"]


HEADER = (
    f"{'park':14}{'ruleset':8}{'precision':>10}{'recall':>8}{'F1':>8}{'wrong':>7}{'auto':>7}"
    f"{'coverage':>9}{'leads/s':>9}{'index s':>8}{'peak MB':>9}"
)


def line(r: dict) -> str:
    return (
        f"{r['park'] + '/' + r['size']:14}{r['ruleset']:8}{r['precision']:>10.4f}"
        f"{r['recall']:>8.4f}{r['f1']:>8.4f}{r['wrong_links']:>7}{r['auto_link_rate']:>7.3f}"
        f"{r['review_coverage']:>9.4f}{r['leads_per_s']:>9,}{r.get('index_build_seconds', '-'):>8}"
        f"{r['peak_rss_mb']:>9}"
    )


def run_one(module: str, *args: str) -> dict:
    """One measured run in its own process; its last stdout line is the JSON result."""
    out = subprocess.run(
        [sys.executable, "-m", module, "--one", *args], capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) > 3 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], sys.argv[3], sys.argv[4])))
        return 0
    if len(sys.argv) > 2 and sys.argv[1] == "--generate":
        generate(sys.argv[2])
        return 0
    rulesets = [r for r in RULESETS if f"--{r}-only" in sys.argv] or list(RULESETS)
    rows, failed = [], []
    print(HEADER, flush=True)
    for variant, size in parks.plan(sys.argv[1:]):
        parks.ensure(variant, size)
        for ruleset in rulesets:
            try:
                rows.append(run_one("bench.bench_matching", variant, size, ruleset))
            except RuntimeError as exc:
                print(exc, flush=True)
                failed.append(f"{variant}/{size}/{ruleset}")
                continue
            print(line(rows[-1]), flush=True)
    save("matching", rows)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
