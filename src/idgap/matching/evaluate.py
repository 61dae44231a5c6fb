"""Quality of automatic links against ground truth (pure; no database)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
import polars as pl


@dataclass
class EvaluationReport:
    """Metrics of the AUTOMATIC links (review and manual links are not counted as links).

    precision = correct links / links (1.0 when nothing was linked: no wrong link);
    recall = correct links / leads that have a true driver; review_coverage = share of the leads
    with a true driver that were not linked correctly whose true driver is among their
    candidates (what a reviewer is shown).
    """

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


def _ratio(a: int, b: int, empty: float = 0.0) -> float:
    return round(a / b, 4) if b else empty


def _blank_to_null(col: str) -> pl.Expr:
    c = pl.col(col).cast(pl.Utf8).str.strip_chars()
    return pl.when(c != "").then(c)


def _links(decisions: pl.DataFrame) -> pl.DataFrame:
    """lead_id, linked driver (automatic links only), candidates_json."""
    d = (
        decisions.rename({"source_pk": "lead_id"})
        if "source_pk" in decisions.columns
        else decisions
    )
    linked = _blank_to_null("driver_id")
    if "outcome" in d.columns:
        linked = pl.when(pl.col("outcome") == "matched").then(linked)
    cands = pl.col("candidates_json") if "candidates_json" in d.columns else pl.lit("[]")
    return d.select(
        pl.col("lead_id").cast(pl.Utf8), driver_id=linked, candidates_json=cands.fill_null("[]")
    )


def evaluate(decisions: pl.DataFrame, truth: pl.DataFrame) -> EvaluationReport:
    """Args:
    decisions: the engine's decisions (source_pk, outcome, driver_id, candidates_json) or an
        export (lead_id, driver_id[, candidates_json]); every non-empty driver_id of an export
        counts as an automatic link.
    truth: lead_id, true_driver_id (empty when the lead has no driver to find)[, case].
    """
    t = truth.select(
        pl.col("lead_id").cast(pl.Utf8),
        true_driver_id=_blank_to_null("true_driver_id"),
        case=pl.col("case").cast(pl.Utf8) if "case" in truth.columns else pl.lit("all"),
    )
    j = t.join(_links(decisions), on="lead_id", how="left").with_columns(
        linked=pl.col("driver_id").is_not_null(),
        correct=(pl.col("driver_id") == pl.col("true_driver_id")).fill_null(False),
        has_truth=pl.col("true_driver_id").is_not_null(),
        in_candidates=pl.col("candidates_json")
        .fill_null("")
        .str.replace_all('": "', '":"', literal=True)  # json.dumps spacing
        .str.contains(
            pl.concat_str(pl.lit('"driver_id":"'), "true_driver_id", pl.lit('"')), literal=True
        )
        .fill_null(False),
    )
    per_case = [
        {"case": case, **_stats(j.filter(pl.col("case") == case))}
        for case in sorted(j["case"].unique().drop_nulls().to_list())
    ]
    return EvaluationReport(**_stats(j), per_case=per_case)


def _stats(f: pl.DataFrame) -> dict[str, Any]:
    links = int(f["linked"].sum())
    ok = int(f["correct"].sum())
    truth_n = int(f["has_truth"].sum())
    pending = f.filter(pl.col("has_truth") & ~pl.col("correct"))
    covered = int(pending["in_candidates"].sum())
    p, r = _ratio(ok, links, empty=1.0), _ratio(ok, truth_n)
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
        "review_coverage": _ratio(covered, pending.height, empty=1.0),
    }


BANDS = (0.0, 0.5, 0.9, 0.99, 0.999, 0.9999)


def calibration(decisions: pl.DataFrame, truth: pl.DataFrame) -> list[dict[str, Any]]:
    """Predicted vs observed precision per probability band, over the leads with a true driver
    or a candidate: the predicted driver is the link, else the most probable target-park
    candidate; predicted = its probability, observed = share of those drivers that are right.

    decisions: source_pk (or lead_id), probability, driver_id (the link, if any),
    candidates_json (entries with probability and evidence.park).
    """
    d = (
        decisions.rename({"source_pk": "lead_id"})
        if "source_pk" in decisions.columns
        else decisions
    )
    if "probability" not in d.columns:
        return []
    t = truth.select(pl.col("lead_id").cast(pl.Utf8), true=_blank_to_null("true_driver_id"))
    rows = d.select(
        pl.col("lead_id").cast(pl.Utf8),
        "probability",
        linked=_blank_to_null("driver_id") if "driver_id" in d.columns else pl.lit(None),
        cands=pl.col("candidates_json").fill_null("[]"),
    ).join(t, on="lead_id", how="left")
    out = []
    for _, p, linked, cands, true in rows.iter_rows():
        best = linked or _best_target(cands)
        if best is None or p is None:
            continue
        out.append((float(p), best == true, linked is not None))
    return _bands(out)


def _best_target(candidates_json: str) -> str | None:
    for c in orjson.loads(candidates_json):
        if (c.get("evidence") or {}).get("park", "target") == "target":
            return c.get("driver_id")
    return None


def _bands(scored: list[tuple[float, bool, bool]]) -> list[dict[str, Any]]:
    table = []
    edges = [*BANDS, 1.0000001]
    for lo, hi in zip(edges, edges[1:], strict=False):
        inside = [x for x in scored if lo <= x[0] < hi]
        if not inside:
            continue
        n = len(inside)
        table.append(
            {
                "band": f"[{lo:g}, {min(hi, 1.0):g}{']' if hi > 1 else ')'}",
                "leads": n,
                "predicted": round(sum(x[0] for x in inside) / n, 4),
                "observed": round(sum(x[1] for x in inside) / n, 4),
                "auto_links": sum(x[2] for x in inside),
            }
        )
    return table
