"""Quality of automatic links against ground truth (pure)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl


@dataclass
class EvaluationReport:
    leads: int
    auto_links: int
    correct_links: int
    wrong_links: int
    with_true_driver: int
    precision: float
    recall: float
    f1: float
    auto_link_rate: float
    review_coverage: float
    per_case: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def evaluate(decisions: pl.DataFrame, truth: pl.DataFrame) -> EvaluationReport:
    """`decisions`: lead_id (or source_pk), driver_id (auto link or empty), candidates_json."""
    d = (
        decisions.rename({"source_pk": "lead_id"})
        if "source_pk" in decisions.columns
        else decisions
    )
    if "candidates_json" not in d.columns:
        d = d.with_columns(candidates_json=pl.lit("[]"))
    t = truth.with_columns(pl.col("true_driver_id").cast(pl.Utf8).replace("", None))
    if "case" not in t.columns:
        t = t.with_columns(case=pl.lit("all"))
    j = t.join(d.select("lead_id", "driver_id", "candidates_json"), on="lead_id", how="left")
    j = j.with_columns(pl.col("driver_id").cast(pl.Utf8).replace("", None))
    cand_hit = [
        td is not None and td in {c.get("driver_id") for c in json.loads(cj or "[]")}
        for td, cj in zip(j["true_driver_id"], j["candidates_json"], strict=True)
    ]
    j = j.with_columns(
        linked=pl.col("driver_id").is_not_null(),
        correct=(pl.col("driver_id") == pl.col("true_driver_id")).fill_null(False),
        has_truth=pl.col("true_driver_id").is_not_null(),
        in_candidates=pl.Series(cand_hit),
    )

    def stats(f: pl.DataFrame) -> dict[str, Any]:
        links = int(f["linked"].sum())
        ok = int(f["correct"].sum())
        truth_n = int(f["has_truth"].sum())
        pending = f.filter(pl.col("has_truth") & ~pl.col("correct"))
        covered = int(pending["in_candidates"].sum())
        p, r = _ratio(ok, links), _ratio(ok, truth_n)
        return {
            "leads": f.height,
            "auto_links": links,
            "correct_links": ok,
            "wrong_links": links - ok,
            "with_true_driver": truth_n,
            "precision": p,
            "recall": r,
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "auto_link_rate": _ratio(links, f.height),
            "review_coverage": _ratio(covered, pending.height) if pending.height else 1.0,
        }

    per_case = [
        {"case": case, **stats(j.filter(pl.col("case") == case))}
        for case in sorted(j["case"].unique().to_list())
    ]
    return EvaluationReport(**stats(j), per_case=per_case)
