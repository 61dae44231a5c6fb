"""Metrics of automatic links against ground truth."""

from __future__ import annotations

import json

import polars as pl
import pytest

from idgap.matching.evaluate import evaluate


def cands(*ids: str) -> str:
    return json.dumps([{"driver_id": i, "score": 50.0} for i in ids])


DECISIONS = pl.DataFrame(
    {
        "source_pk": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "outcome": ["matched", "matched", "review", "review", "unmatched", "matched"],
        "driver_id": ["D1", "DX", None, None, None, "D6"],
        "candidates_json": [cands("D1"), cands("DX"), cands("D9", "D3"), cands("D8"), "[]", "[]"],
    }
)
TRUTH = pl.DataFrame(
    {
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "true_driver_id": ["D1", "D2", "D3", "D4", "", None],
        "case": ["plate", "plate", "name", "name", "never", "never"],
    }
)


def test_counts_precision_recall_f1_and_wrong_links_of_automatic_links():
    rep = evaluate(DECISIONS, TRUTH)
    assert (rep.leads, rep.auto_links, rep.correct_links, rep.wrong_links) == (6, 3, 1, 2)
    assert rep.with_true_driver == 4
    assert rep.precision == pytest.approx(1 / 3, abs=1e-4)
    assert rep.recall == pytest.approx(0.25)
    assert rep.f1 == pytest.approx(2 * (1 / 3) * 0.25 / (1 / 3 + 0.25), abs=1e-3)
    assert rep.auto_link_rate == pytest.approx(0.5)


def test_review_coverage_is_true_driver_among_candidates_of_the_not_linked():
    # pending: L2 (wrong link, true D2 not shown), L3 (D3 shown), L4 (D4 not shown)
    assert evaluate(DECISIONS, TRUTH).review_coverage == pytest.approx(1 / 3, abs=1e-4)


def test_per_case_table():
    rows = {r["case"]: r for r in evaluate(DECISIONS, TRUTH).per_case}
    assert set(rows) == {"plate", "name", "never"}
    assert (rows["plate"]["auto_links"], rows["plate"]["wrong_links"]) == (2, 1)
    assert rows["name"]["review_coverage"] == 0.5
    assert (rows["never"]["wrong_links"], rows["never"]["with_true_driver"]) == (1, 0)


def test_only_matched_outcomes_count_as_links():
    d = DECISIONS.with_columns(outcome=pl.lit("review"))
    rep = evaluate(d, TRUTH)
    assert (rep.auto_links, rep.precision, rep.recall) == (0, 1.0, 0.0)


def test_an_export_without_outcome_or_candidates_is_accepted():
    export = pl.DataFrame({"lead_id": ["L1", "L2"], "driver_id": ["D1", ""]})
    rep = evaluate(export, TRUTH.head(2).drop("case"))
    assert (rep.auto_links, rep.correct_links, rep.review_coverage) == (1, 1, 0.0)
    assert [r["case"] for r in rep.per_case] == ["all"]


def test_candidates_written_by_json_dumps_are_read_too():
    d = pl.DataFrame(
        {"lead_id": ["L3"], "driver_id": [None], "candidates_json": ['[{"driver_id": "D3"}]']},
        schema={"lead_id": pl.Utf8, "driver_id": pl.Utf8, "candidates_json": pl.Utf8},
    )
    assert evaluate(d, TRUTH.filter(pl.col("lead_id") == "L3")).review_coverage == 1.0
