"""The bench's scoring per case and per mishap tag, and which parks a bench run covers."""

from __future__ import annotations

import polars as pl
from bench.parks import plan
from bench.scoring import score


def test_score_reports_every_tag_of_a_lead_under_that_tag():
    truth = pl.DataFrame(
        {
            "lead_id": ["a", "b", "c", "d"],
            "true_driver_id": ["d1", "d2", "", "d4"],
            "case": ["plate_in_window", "plate_in_window", "never_converted", "late_hire"],
            "cases": [
                "plate_in_window|no_plate",
                "plate_in_window|nickname|no_plate",
                "never_converted",
                "late_hire|nickname",
            ],
        }
    )
    auto = pl.DataFrame(
        {
            "source_pk": ["a", "b", "c", "d"],
            "driver_id": ["d1", None, "d9", None],
            "candidates_json": ["[]", '[{"driver_id":"d2"}]', "[]", "[]"],
        }
    )
    s = score(auto, truth)
    assert (s["precision"], s["recall"], s["wrong_links"]) == (0.5, 0.3333, 1)
    assert s["per_case"]["plate_in_window"]["recall"] == 0.5
    assert s["per_tag"]["no_plate"] == {**s["per_case"]["plate_in_window"]}
    assert s["per_tag"]["nickname"]["recall"] == 0.0
    assert s["per_tag"]["nickname"]["review_coverage"] == 0.5  # b's driver was shown, d's not
    assert s["per_tag"]["never_converted"]["wrong_links"] == 1


def test_plan_covers_the_three_parks_and_the_large_size_unless_quick():
    assert plan(["--quick"]) == [("default", "seed"), ("hard", "seed"), ("holdout", "seed")]
    full = plan([])
    assert ("default", "large") in full and ("holdout", "large") in full
    assert ("hard", "large") not in full and ("hard", "large") in plan(["--large-all"])
    assert plan(["--park=hard", "--quick"]) == [("hard", "seed")]
