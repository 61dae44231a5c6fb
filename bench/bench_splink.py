"""Outside reference: Splink 5 (DuckDB) on the same generated parks, scored the same way.

A fair model: Jaro-Winkler on names, exact/Levenshtein on plates, exact phones, lead date vs
hire date, EM-trained; blocking on the confusable plate skeleton, phone and the sorted name
tokens (the same normalisation as idgap).
Splink sees only target-park drivers (the links must land there). A lead is auto-linked to its
best pair when match probability >= 0.95 and no other driver is within 0.05 of it.
Runs on the same parks as bench_matching (bench/parks.py: default, hard, holdout; seed size,
and 100,000 x 1,000,000 unless --quick), each in its own process.
Usage: python -m bench.bench_splink [--quick] [--park=hard] [--large-all]
"""

from __future__ import annotations

import json
import sys
import time

import polars as pl

from bench import parks
from bench.bench_matching import HEADER, line, run_one
from bench.common import peak_rss_mb, save
from bench.scoring import score

THRESHOLD = 0.95  # auto-link probability; 0.8 gave the same recall on the seed park


def _name_key(col: str) -> pl.Expr:
    from idgap.matching.normalize import name_tokens

    return name_tokens(pl.col(col)).list.sort().list.join(" ")


def _records(park) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(leads, target-park drivers) with the columns Splink compares, same normalisation."""
    from idgap.config import YEGO_PARK_ID
    from idgap.matching.candidates import leads_to_candidates
    from idgap.matching.index import build_driver_index
    from idgap.matching.normalize import normalize_candidates, plate_skeleton

    def columns(day: str) -> dict[str, pl.Expr]:
        return {
            "name": pl.col("name_norm"),
            "name_key": _name_key("name_norm"),
            "plate": pl.col("plate_norm"),
            "plate_skel": plate_skeleton(pl.col("plate_norm")),
            "phone": pl.col("phone_norm"),
            "day": pl.col(day),
        }

    leads = normalize_candidates(leads_to_candidates(park.cabinet_leads)).select(
        unique_id=pl.col("source_pk"), **columns("lead_date")
    )
    drivers = (
        build_driver_index(park.drivers)
        .filter(pl.col("park_id") == YEGO_PARK_ID)
        .select(unique_id=pl.col("driver_id"), **columns("hire_date"))
    )
    return leads, drivers


def one(variant: str, size: str) -> dict:
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    park = parks.load(variant, size)
    t0 = time.perf_counter()
    leads, drivers = _records(park)
    db = DuckDBAPI()
    left = db.register(leads.to_arrow(), table_name="leads")
    right = db.register(drivers.to_arrow(), table_name="drivers")
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
            cl.LevenshteinAtThresholds("plate", [1]),
            cl.ExactMatch("phone"),
            # the lead date against the hire date: the same evidence idgap scores
            cl.AbsoluteDateDifferenceAtThresholds(
                "day",
                input_is_string=False,
                metrics=["day", "day", "day"],
                thresholds=[30, 90, 365],
            ),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("plate_skel"),  # exact and confusable plates
            block_on("phone"),
            block_on("name_key"),  # same tokens in any order
        ],
    )
    linker = Linker([left, right], settings)
    linker.training.estimate_probability_two_random_records_match([block_on("plate")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("plate"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_key"))
    t1 = time.perf_counter()
    pred = pl.from_arrow(
        linker.inference.predict(threshold_match_probability=0.5).as_duckdbpyrelation().arrow()
    )
    t2 = time.perf_counter()
    auto = _auto_links(pred)
    quality = score(auto, park.truth)
    return {
        "park": variant,
        "size": size,
        "ruleset": "splink5",
        **{k: v for k, v in quality.items() if k != "leads"},
        "leads_per_s": round(leads.height / (t2 - t1)),
        "train_seconds": round(t1 - t0, 1),
        "predict_seconds": round(t2 - t1, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def _auto_links(pred: pl.DataFrame) -> pl.DataFrame:
    """Each lead's best pair is an automatic link at p >= THRESHOLD and 0.05 over the next."""
    # Splink orders the two sides itself; read which one holds the leads
    leads_left = pred.height and pred["source_dataset_l"][0] == "leads"
    lid, did = ("unique_id_l", "unique_id_r") if leads_left else ("unique_id_r", "unique_id_l")
    ranked = (
        pred.sort("match_probability", descending=True)
        .group_by(lid, maintain_order=True)
        .agg(pl.col(did).head(5).alias("cands"), pl.col("match_probability").head(2).alias("p"))
    )
    return ranked.with_columns(
        driver_id=pl.when(
            (pl.col("p").list.get(0) >= THRESHOLD)
            & (
                (pl.col("p").list.len() == 1)
                | (pl.col("p").list.get(0) - pl.col("p").list.get(1, null_on_oob=True) >= 0.05)
            )
        ).then(pl.col("cands").list.get(0)),
        candidates_json=pl.col("cands").map_elements(
            lambda c: json.dumps([{"driver_id": x} for x in c]), return_dtype=pl.Utf8
        ),
    ).select(pl.col(lid).alias("lead_id"), "driver_id", "candidates_json")


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], sys.argv[3])))
        return 0
    try:
        import splink  # noqa: F401
    except ImportError:
        print("splink not installed: pip install 'splink' 'duckdb<2'")
        return 0
    rows, failed = [], []
    print(HEADER, flush=True)
    for variant, size in parks.plan(sys.argv[1:]):
        parks.ensure(variant, size)
        try:
            rows.append(run_one("bench.bench_splink", variant, size))
        except RuntimeError as exc:
            print(exc, flush=True)
            failed.append(f"{variant}/{size}")
            continue
        r = rows[-1]
        print(f"{line(r)}   (+{r['train_seconds']}s training)", flush=True)
    save("splink", rows)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
