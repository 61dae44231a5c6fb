"""Matching quality and speed, ct4 (the reference rules) vs idgap, on generated parks.

Each (park size, ruleset) runs in its own process so its peak memory (ru_maxrss: loading the
park, building the index and matching) is its own. leads/s is the engine only (index prebuilt,
blocking keys included in the index build time).
Usage: python -m bench.bench_matching [--quick] [--ct4-only | --idgap-only]
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import polars as pl

from bench.common import peak_rss_mb, save

SIZES = {"seed": (800, 127_000), "large": (100_000, 1_000_000)}
ANCHOR = dt.date(2026, 11, 25)


DATA = Path(__file__).parent / "data"


def generate(size: str) -> None:
    """Write the park once (its own process), so measured runs only load it."""
    from idgap.synth import generate_park

    leads, drivers = SIZES[size]
    park = generate_park(leads=leads, drivers=drivers, seed=42, anchor_date=ANCHOR)
    out = DATA / size
    out.mkdir(parents=True, exist_ok=True)
    for name in ("cabinet_leads", "drivers", "truth"):
        getattr(park, name).write_parquet(out / f"{name}.parquet")


def load_park(size: str) -> SimpleNamespace:
    d = DATA / size
    return SimpleNamespace(
        **{n: pl.read_parquet(d / f"{n}.parquet") for n in ("cabinet_leads", "drivers", "truth")}
    )


def one(size: str, ruleset: str) -> dict:
    from idgap.matching.blocking import prepare_index
    from idgap.matching.candidates import leads_to_candidates
    from idgap.matching.engine import match_candidates
    from idgap.matching.evaluate import evaluate
    from idgap.matching.index import build_driver_index, index_version

    leads, drivers = SIZES[size]
    t0 = time.perf_counter()
    park = load_park(size)
    t1 = time.perf_counter()
    index = build_driver_index(park.drivers)  # index build time includes the blocking keys
    version = index_version(index)
    index = prepare_index(index, name_keys=ruleset == "idgap")
    t_index = time.perf_counter() - t1
    cands = leads_to_candidates(park.cabinet_leads)
    match_candidates(cands.head(20), index, ruleset=ruleset, index_version=version)  # warm-up
    t2 = time.perf_counter()
    decisions = match_candidates(cands, index, ruleset=ruleset, index_version=version)
    t3 = time.perf_counter()
    first_pass = None
    if ruleset == "ct4":
        # the reference re-ran its job: its R3b may then link to drivers that got a person
        # from the first pass (it links only to existing persons)
        first_pass = decisions
        linked = decisions.filter(pl.col("outcome") == "matched")["driver_id"].unique()
        decisions = match_candidates(
            cands, index, ruleset=ruleset, index_version=version, linked_drivers=linked
        )
    auto = _auto_links(decisions)
    rep = evaluate(auto, park.truth)
    no_phone = park.cabinet_leads.with_columns(
        lead_id=pl.coalesce(pl.col("external_id").replace("", None), pl.col("id").cast(pl.Utf8))
    ).filter(pl.col("park_phone").is_null() | (pl.col("park_phone") == ""))["lead_id"]
    rep_np = evaluate(
        auto.filter(pl.col("source_pk").is_in(no_phone.implode())),
        park.truth.filter(pl.col("lead_id").is_in(no_phone.implode())),
    )
    return {
        "size": size,
        "leads": leads,
        "drivers": drivers,
        "ruleset": ruleset,
        "precision": rep.precision,
        "recall": rep.recall,
        "f1": rep.f1,
        "wrong_links": rep.wrong_links,
        "auto_link_rate": rep.auto_link_rate,
        "review_coverage": rep.review_coverage,
        "recall_no_phone": rep_np.recall,
        "recall_first_pass": _recall(first_pass, park.truth) if first_pass is not None else None,
        "leads_per_s": round(leads / (t3 - t2)),
        "match_seconds": round(t3 - t2, 2),
        "index_build_seconds": round(t_index, 2),
        "load_seconds": round(t1 - t0, 2),
        "peak_rss_mb": peak_rss_mb(),
        "outcomes": dict(decisions["outcome"].value_counts().iter_rows()),
        "reasons": {
            f"{o}/{r}": n
            for o, r, n in decisions.group_by("outcome", "reason_code").len().iter_rows()
        },
        "per_case": rep.per_case,
    }


def _auto_links(decisions: pl.DataFrame) -> pl.DataFrame:
    """What `evaluate` reads: the driver of automatic links only, and the shown candidates."""
    return decisions.select(
        "source_pk",
        "candidates_json",
        pl.when(pl.col("outcome") == "matched").then(pl.col("driver_id")).alias("driver_id"),
    )


def _recall(decisions: pl.DataFrame, truth: pl.DataFrame) -> float:
    from idgap.matching.evaluate import evaluate

    return evaluate(_auto_links(decisions), truth).recall


HEADER = (
    f"{'park':6}{'ruleset':8}{'precision':>10}{'recall':>8}{'no-phone':>9}{'F1':>8}{'wrong':>7}"
    f"{'coverage':>9}{'leads/s':>9}{'index s':>8}{'peak MB':>9}"
)


def _line(r: dict) -> str:
    return (
        f"{r['size']:6}{r['ruleset']:8}{r['precision']:>10.4f}{r['recall']:>8.4f}"
        f"{r['recall_no_phone']:>9.4f}{r['f1']:>8.4f}{r['wrong_links']:>7}"
        f"{r['review_coverage']:>9.4f}{r['leads_per_s']:>9,}{r['index_build_seconds']:>8}"
        f"{r['peak_rss_mb']:>9}"
    )


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], sys.argv[3])))
        return 0
    if len(sys.argv) > 2 and sys.argv[1] == "--generate":
        generate(sys.argv[2])
        return 0
    sizes = ["seed"] if "--quick" in sys.argv else list(SIZES)
    rows = []
    rulesets = [r for r in ("ct4", "idgap") if any(a == f"--{r}-only" for a in sys.argv)] or [
        "ct4",
        "idgap",
    ]
    print(HEADER)
    for size in sizes:
        if not (DATA / size / "drivers.parquet").exists():
            subprocess.run(
                [sys.executable, "-m", "bench.bench_matching", "--generate", size], check=True
            )
        for ruleset in rulesets:
            out = subprocess.run(
                [sys.executable, "-m", "bench.bench_matching", "--one", size, ruleset],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(_line(rows[-1]), flush=True)
    save("matching", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
