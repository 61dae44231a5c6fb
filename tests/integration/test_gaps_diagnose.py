"""diagnose(): sections of REF §6.2 from runs, links, origins and the queue; health; activity."""

from __future__ import annotations

import datetime as dt

from idgap.gaps.diagnose import diagnose
from idgap.gaps.read import data_health, unlinked_activity
from idgap.gaps.status import refresh_lead_status
from tests.integration.gaps_fixtures import LEADS, NOW, TODAY, Builder, settings


def _bookkeeping_holes(b: Builder) -> None:
    b.resolved_lead("R1", 3)
    noorig = b.person()
    b.lead("N1", 9)
    b.link(noorig, LEADS, "N1")
    b.link(noorig, "drivers", b.driver("d-n1"))
    nodrv = b.person()
    b.lead("D1", 4)
    b.link(nodrv, LEADS, "D1")
    b.origin(nodrv, "cabinet_lead", "D1")
    ghost = b.person()
    b.link(ghost, LEADS, "GHOST-LEAD")
    b.link(ghost, "drivers", b.driver("d-ghost"))
    b.origin(ghost, "cabinet_lead", "GHOST-LEAD")
    b.lead("Q1", 5)
    b.driver("d-cand")
    b.trips("d-cand", TODAY - dt.timedelta(days=5), 1)
    b.queued("Q1", "review", "MULTIPLE_CANDIDATES", [{"driver_id": "d-cand"}])
    b.lead("Q2", 12)
    b.queued("Q2", "unmatched", "NO_CANDIDATES", [])


def test_diagnose_reports_gap_job_reasons_integrity_and_advice(engine):
    with engine.begin() as conn:
        b = Builder(conn)
        _bookkeeping_holes(b)
        b.run(
            "recover",
            "completed",
            NOW - dt.timedelta(hours=30),
            stats={"processed": 40, "writes": {"matched": 3, "review": 1, "unmatched": 2}},
        )
        b.run("recover", "completed", NOW - dt.timedelta(hours=26))
        refresh_lead_status(conn, None, today=TODAY, settings=settings(), now=NOW)
    with engine.connect() as conn:
        rep = diagnose(conn, now=NOW, settings=settings())
    totals = rep["gap"]["totals"]
    assert (totals["total_leads"], totals["unresolved"], totals["resolved"]) == (5, 4, 1)
    assert rep["job"]["state"] == "STALE" and rep["job"]["hours_since_last_completed"] == 26.0
    assert rep["job"]["runs_last_24h"] == 0
    assert rep["volume_24h"]["processed"] == 0 and rep["volume_24h"]["nothing_processed"]
    assert [(r["reason_code"], r["outcome"], r["count"]) for r in rep["fail_reasons"]] == [
        ("MULTIPLE_CANDIDATES", "review", 1),
        ("NO_CANDIDATES", "unmatched", 1),
    ]
    assert rep["fail_reasons"][0]["amount_at_stake"] == 25.0
    assert rep["integrity"] == {
        "lead_links_without_driver_link": 1, "persons_with_lead_links_without_origin": 1,
        "lead_links_to_unknown_leads": 1, "unknown_lead_ids": ["GHOST-LEAD"],
        "origins_not_among_links": 0, "origins_contradicting_rule": 0,
        "inconsistent_origin_sample": [],
    }  # fmt: skip
    assert rep["links"]["lead_links_total"] == 4 and rep["links"]["origins_total"] == 3
    assert rep["links"]["lead_links_24h"] == 4  # the builder links at NOW
    texts = " | ".join(r["text"] for r in rep["recommendations"])
    assert "STALE" in texts and "idgap backfill-origins" in texts
    assert "GHOST-LEAD" in texts and "review queue: 2 leads, S/ 25.00" in texts
    assert rep["status"] == "WARNING"
    assert rep["review_queue"]["open"] == 2  # the queue page shows review and unmatched rows
    codes = {f["code"] for f in rep["health"]["findings"]}
    assert {"stale", "active_alerts", "lead_links_to_unknown_leads"} <= codes


def test_diagnose_on_empty_store_says_never(engine):
    with engine.connect() as conn:
        rep = diagnose(conn, now=NOW, settings=settings())
    assert rep["job"]["state"] == "NUNCA" and rep["job"]["last_run"] is None
    assert rep["gap"]["totals"]["total_leads"] == 0
    assert rep["status"] == "ERROR"


def test_diagnose_volume_counts_runs_of_last_24h(engine):
    with engine.begin() as conn:
        b = Builder(conn)
        b.run(
            "recover",
            "completed",
            NOW - dt.timedelta(hours=2),
            stats={"processed": 10, "writes": {"matched": 4, "review": 2, "unmatched": 4}},
        )
        b.run("match", "failed", NOW - dt.timedelta(hours=1), stats={"processed": 5}, error="boom")
    with engine.connect() as conn:
        rep = diagnose(conn, now=NOW, settings=settings())
    vol = rep["volume_24h"]
    assert (vol["runs"], vol["processed"], vol["matched"], vol["review"], vol["unmatched"]) == (
        2,
        15,
        4,
        2,
        4,
    )
    assert rep["job"]["state"] == "OK" and rep["job"]["last_run"]["status"] == "failed"
    assert (
        rep["recommendations"][0]["level"] == "error"
        and "boom" in rep["recommendations"][0]["text"]
    )


def test_health_watches_the_recovery_job(engine):
    with engine.begin() as conn:
        b = Builder(conn)
        _bookkeeping_holes(b)
        refresh_lead_status(conn, None, today=TODAY, settings=settings(), now=NOW)
        never = data_health(conn, now=NOW)
        b.run("import", "completed", NOW)  # imports are not the recovery job
        b.run("recover", "completed", NOW - dt.timedelta(hours=80))
        old = data_health(conn, now=NOW)
        b.run("recover", "completed", NOW - dt.timedelta(hours=1))
        fresh = data_health(conn, now=NOW)
    assert never["status"] == "ERROR" and never["last_run_status"] == "NO_RUNS"
    assert old["status"] == "ERROR" and old["hours_since_last_completed_run"] == 80
    assert fresh["status"] == "WARNING"  # alerts are active
    assert fresh["minutes_since_last_completed_run"] == 60
    assert fresh["unmatched_open_by_reason"] == {"MULTIPLE_CANDIDATES": 1, "NO_CANDIDATES": 1}
    assert fresh["links_by_source"] == {"drivers": 3, LEADS: 4}
    assert fresh["total_persons"] == 4 and fresh["active_alerts_count"] >= 1


def test_unlinked_activity_is_in_date_order(engine):
    with engine.begin() as conn:
        b = Builder(conn)
        b.resolved_lead("R1", 3)  # drv-R1 is linked: its trips never count
        for d in ("d1", "d2"):
            b.driver(d)
        # 31-12 sorts after 01-01 as DD-MM-YYYY text; by date it is older
        b.trips("d1", dt.date(2025, 12, 31), 4)
        b.trips("d1", dt.date(2026, 1, 1), 2)
        b.trips("d2", dt.date(2026, 1, 1), 3)
        b.trips("drv-R1", dt.date(2026, 1, 1), 9)
        rows = unlinked_activity(conn, limit=30)["items"]
        recent = unlinked_activity(conn, limit=1)["items"]
    assert [(r["activity_date"], r["drivers_without_identity_count"],
             r["trips_from_unlinked_drivers"]) for r in rows] == [
        (dt.date(2026, 1, 1), 2, 5), (dt.date(2025, 12, 31), 1, 4)
    ]  # fmt: skip
    assert [r["activity_date"] for r in recent] == [dt.date(2026, 1, 1)]
