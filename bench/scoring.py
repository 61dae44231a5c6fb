"""One scoring for every matcher in the benches: `idgap.matching.evaluate` overall, per primary
case and per tag (every case or mishap in the truth's `cases` column, when it has one)."""

from __future__ import annotations

from typing import Any

import polars as pl

KEYS = ("leads", "precision", "recall", "f1", "wrong_links", "auto_link_rate", "review_coverage")


def score(auto: pl.DataFrame, truth: pl.DataFrame) -> dict[str, Any]:
    """`auto`: lead id (`source_pk` or `lead_id`), `driver_id` of automatic links only (else
    null), `candidates_json` (what a reviewer is shown)."""
    from idgap.matching.evaluate import evaluate

    rep = evaluate(auto, truth)
    out: dict[str, Any] = {k: getattr(rep, k) for k in KEYS}
    out["per_case"] = {c["case"]: {k: c[k] for k in KEYS} for c in rep.per_case}
    if "cases" in truth.columns:
        out["per_tag"] = per_tag(auto, truth)
    return out


def per_tag(auto: pl.DataFrame, truth: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Metrics of the leads each tag struck (a lead counts under each of its tags)."""
    from idgap.matching.evaluate import evaluate

    tags = truth.select("lead_id", tag=pl.col("cases").str.split("|")).explode("tag")
    id_col = "source_pk" if "source_pk" in auto.columns else "lead_id"
    out = {}
    for tag in sorted(tags["tag"].unique().drop_nulls().to_list()):
        ids = tags.filter(pl.col("tag") == tag)["lead_id"].implode()
        rep = evaluate(
            auto.filter(pl.col(id_col).is_in(ids)),
            truth.filter(pl.col("lead_id").is_in(ids)).drop("case"),
        )
        out[tag] = {k: getattr(rep, k) for k in KEYS}
    return out
