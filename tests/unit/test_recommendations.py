"""The diagnosis's recommendations as a pure function of the report: one per finding, most
urgent first, 'all_good' only when nothing applies."""

from __future__ import annotations

import copy
from typing import Any

from idgap.config import Settings
from idgap.gaps.recommendations import recommendations

CLEAN: dict[str, Any] = {
    "job": {"state": "OK", "last_run": {"status": "succeeded"}, "hours_since_last_completed": 1},
    "integrity": {
        "persons_with_lead_links_without_origin": 0,
        "origins_not_among_links": 0,
        "origins_contradicting_rule": 0,
        "lead_links_without_driver_link": 0,
        "lead_links_to_unknown_leads": 0,
        "unknown_lead_ids": [],
    },
    "volume_24h": {"nothing_processed": False},
    "gap": {"totals": {"unresolved": 0}, "breakdown": []},
    "review_queue": {"open": 0, "amount_at_stake": 0.0},
}


def _codes(report: dict[str, Any]) -> list[str]:
    return [rec["code"] for rec in recommendations(report, settings=Settings())]


def test_a_clean_report_says_all_good() -> None:
    [rec] = recommendations(CLEAN, settings=Settings())
    assert (rec["level"], rec["code"]) == ("info", "all_good")


def test_a_never_run_job_with_a_failed_run_is_first_and_hides_nothing_processed() -> None:
    report = copy.deepcopy(CLEAN)
    report["job"] = {
        "state": "NUNCA",
        "last_run": {"status": "failed", "kind": "recover", "id": 7, "error": None},
    }
    report["volume_24h"]["nothing_processed"] = True
    recs = recommendations(report, settings=Settings(recovery_interval_minutes=30))
    assert [r["code"] for r in recs] == ["run_failed", "never_completed"]
    assert "no error text" in recs[0]["text"] and recs[0]["params"]["run_id"] == 7
    assert recs[1]["params"] == {"minutes": 30}


def test_each_integrity_finding_and_the_work_come_in_order_with_their_counts() -> None:
    report = copy.deepcopy(CLEAN)
    report["integrity"].update(
        persons_with_lead_links_without_origin=2,
        origins_contradicting_rule=3,
        lead_links_without_driver_link=4,
        lead_links_to_unknown_leads=1,
        unknown_lead_ids=["L-9"],
    )
    report["volume_24h"]["nothing_processed"] = True
    report["gap"] = {
        "totals": {"unresolved": 5},
        "breakdown": [{"gap_reason": "other_origin", "count": 6}],
    }
    report["review_queue"] = {"open": 8, "amount_at_stake": 1280.0}
    recs = recommendations(report, settings=Settings())
    assert [r["code"] for r in recs] == [
        "persons_with_lead_links_without_origin",
        "inconsistent_origins",
        "lead_links_without_driver_link",
        "lead_links_to_unknown_leads",
        "nothing_processed",
        "review_queue",
        "other_origin",
    ]
    params = {r["code"]: r["params"] for r in recs}
    assert params["inconsistent_origins"] == {"n": 0, "contradicting": 3}
    assert params["lead_links_to_unknown_leads"]["sample"] == "L-9"
    assert params["review_queue"] == {"n": 8, "amount": 1280.0}
    assert "1,280.00" in recs[5]["text"]


def test_a_stale_job_is_a_warning_with_its_hours() -> None:
    report = copy.deepcopy(CLEAN)
    report["job"]["state"] = "STALE"
    report["job"]["hours_since_last_completed"] = 26
    assert _codes(report) == ["stale"]
