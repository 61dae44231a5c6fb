"""Read models over lead_status: summary, items, alerts, snapshots, job status, health, activity."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from idgap.errors import InputError
from idgap.gaps import read
from idgap.gaps.snapshots import record_snapshot
from idgap.gaps.status import refresh_lead_status
from idgap.store.tables import gap_snapshots
from tests.integration.gaps_fixtures import LEADS, NOW, TODAY, Builder, settings


def _park(b: Builder) -> None:
    """3 resolved, 4 no_identity (10, 6, 1, 0 days), 1 no_origin (8 days), 1 other_origin."""
    for i, age in enumerate((2, 5, 30)):
        b.resolved_lead(f"R{i}", age)
        b.trips(f"drv-R{i}", TODAY - dt.timedelta(days=age), 5)  # 2 milestones: S/60 each
    for age in (10, 6, 1, 0):
        b.lead(f"N{age}", age)
    person = b.person()
    b.lead("O8", 8)
    b.link(person, LEADS, "O8")
    b.link(person, "drivers", b.driver("d-o8"))
    b.trips("d-o8", TODAY - dt.timedelta(days=8), 1)
    first = b.resolved_lead("F", 40)
    b.lead("F2", 3)
    b.link(first, LEADS, "F2")
    refresh_lead_status(b.conn, None, today=TODAY, settings=settings(), now=NOW)


@pytest.fixture
def park(engine):
    with engine.begin() as conn:
        _park(Builder(conn))
    return engine


def test_summary_totals_breakdown_and_money(park):
    with park.connect() as conn:
        s = read.gap_summary(conn, filters={}, today=TODAY)
    assert s["totals"] == {
        "total_leads": 10, "unresolved": 6, "resolved": 4, "pct_unresolved": 60.0,
        "high_risk": 2, "expected_amount_resolved": 180.0, "amount_at_stake_unresolved": 25.0,
    }  # fmt: skip
    cells = {(r["gap_reason"], r["risk_level"]): r["count"] for r in s["breakdown"]}
    assert cells == {
        ("resolved", "low"): 4, ("no_identity", "high"): 1, ("no_identity", "medium"): 1,
        ("no_identity", "low"): 2, ("no_origin", "medium"): 1, ("other_origin", "high"): 1,
    }  # fmt: skip


def test_summary_filters(park):
    with park.connect() as conn:
        recent = read.gap_summary(
            conn, filters={"date_from": TODAY - dt.timedelta(days=6)}, today=TODAY
        )["totals"]
        high = read.gap_summary(conn, filters={"risk_level": "high"}, today=TODAY)["totals"]
        with pytest.raises(InputError):
            read.gap_summary(conn, filters={"gap_reason": "inconsistent_origin"}, today=TODAY)
    assert (recent["total_leads"], recent["unresolved"]) == (6, 4)
    assert (high["total_leads"], high["high_risk"]) == (2, 2)


def test_items_default_order_unresolved_first_and_pages(park):
    with park.connect() as conn:
        first = read.gap_items(conn, filters=None, page=1, page_size=4, sort=None)
        second = read.gap_items(conn, filters=None, page=2, page_size=4, sort=None)
        third = read.gap_items(conn, filters=None, page=3, page_size=4, sort=None)
    ids = [r["lead_id"] for r in first["items"] + second["items"] + third["items"]]
    assert ids == ["N10", "O8", "N6", "F2", "N1", "N0", "F", "R2", "R1", "R0"]
    assert first["meta"] == {"page": 1, "page_size": 4, "total": 10, "total_pages": 3}
    assert third["items"][0]["trips_14d"] == 5 and third["items"][0]["expected_amount"] == 60.0


def test_items_filters_and_sort(park):
    with park.connect() as conn:
        noid = read.gap_items(
            conn, filters={"gap_reason": "no_identity"}, page=1, page_size=10, sort="lead_id"
        )
        open_ = read.gap_items(
            conn, filters={"gap_reason": "unresolved"}, page=1, page_size=10, sort="-risk_level"
        )
        with pytest.raises(InputError):
            read.gap_items(conn, filters={}, page=1, page_size=10, sort="person_key; drop")
    assert [r["lead_id"] for r in noid["items"]] == ["N0", "N1", "N10", "N6"]
    assert [r["risk_level"] for r in open_["items"]][:2] == ["high", "high"]
    assert open_["meta"]["total"] == 6


def test_alerts_types_and_severity_order(park):
    with park.connect() as conn:
        alerts = read.gap_alerts(conn, today=TODAY)
    got = [(a["lead_id"], a["alert_type"], a["severity"], a["days_open"]) for a in alerts["items"]]
    assert got == [
        ("N10", "over_7d_unresolved", "high", 10),  # REF hid this behind over_24h_no_identity
        ("F2", "other_origin", "high", 3),
        ("O8", "over_7d_unresolved", "medium", 8),
        ("N6", "over_24h_no_identity", "medium", 6),
        ("N1", "over_24h_no_identity", "low", 1),
    ]
    assert alerts["total"] == 5
    assert "cabinet_lead:F" in alerts["items"][1]["suggested_action"]
    assert "backfill-origins" in alerts["items"][2]["suggested_action"]


def test_ages_move_on_read_the_next_day(park):
    later = TODAY + dt.timedelta(days=1)
    with park.connect() as conn:
        totals = read.gap_summary(conn, filters={}, today=later)["totals"]
        items = read.gap_items(
            conn,
            filters={"gap_reason": "no_identity"},
            page=1,
            page_size=10,
            sort="lead_id",
            today=later,
        )["items"]
    assert totals["high_risk"] == 3  # N6 turned 7 days old
    assert [r["gap_age_days"] for r in items] == [1, 2, 11, 7]


def test_recovery_status_states(engine):
    with engine.begin() as conn:
        b = Builder(conn)
        b.lead("L1", 3)
        refresh_lead_status(conn, None, today=TODAY, settings=settings(), now=NOW)
        never = read.recovery_status(conn, now=NOW)
        b.run("recover", "completed", NOW - dt.timedelta(hours=30))
        silent = read.recovery_status(conn, now=NOW)
        person = b.person()
        b.link(person, LEADS, "L1", at=NOW - dt.timedelta(hours=2))
        b.link(b.person(), LEADS, "old-legacy", at=NOW - dt.timedelta(hours=1))
        active = read.recovery_status(conn, now=NOW)
    assert (never["state"], never["job_freshness_hours"], never["last_job_run"]) == (
        "NO_CONFIGURADO",
        None,
        None,
    )
    assert silent["state"] == "SIN_SENAL" and silent["job_freshness_hours"] == 30.0
    assert silent["stale"] is True and silent["matched_last_24h"] == 0
    assert active["state"] == "ACTIVO" and active["matched_last_24h"] == 2


def test_recovery_status_complete_and_fresh(engine):
    with engine.begin() as conn:
        b = Builder(conn)
        b.resolved_lead("L1", 3, driver_id=None)
        refresh_lead_status(conn, None, today=TODAY, settings=settings(), now=NOW)
        b.run("match", "completed", NOW - dt.timedelta(minutes=90))
        b.run("recover", "failed", NOW - dt.timedelta(minutes=10))
        status = read.recovery_status(
            conn, now=NOW + dt.timedelta(days=2)
        )  # the link is 2 days old now
    assert status["state"] == "COMPLETO"
    assert status["job_freshness_hours"] == 49.5 and status["last_job_kind"] == "match"


def test_snapshots(park):
    """The job's daily snapshot (the dashboard trend is recomputed: test_gaps_trend)."""
    with park.begin() as conn:
        record_snapshot(conn, today=TODAY - dt.timedelta(days=1), now=NOW)
        record_snapshot(conn, today=TODAY, now=NOW)
        record_snapshot(conn, today=TODAY, now=NOW)  # same day: overwritten, not duplicated
    with park.connect() as conn:
        g = gap_snapshots
        rows = [dict(r) for r in conn.execute(sa.select(g).order_by(g.c.day)).mappings()]
    assert [r["day"] for r in rows] == [TODAY - dt.timedelta(days=1), TODAY]
    assert rows[-1]["pct_unresolved"] == 60.0 and rows[-1]["unresolved"] == 6
    cells = {(c["gap_reason"], c["risk_level"]): c for c in rows[-1]["breakdown"]}
    assert cells[("other_origin", "high")]["count"] == 1
    assert cells[("resolved", "low")]["amount_at_stake"] == 0.0  # money is the unresolved's only


def test_reading_inside_a_writing_transaction_never_deadlocks(park):
    later = TODAY + dt.timedelta(days=3)
    with park.begin() as conn:
        refresh_lead_status(conn, ["N0", "N1"], today=TODAY, settings=settings(), now=NOW)
        conn.execute(read.ls.update().where(read.ls.c.lead_id == "N0").values(trips_14d=1))
        totals = read.gap_summary(conn, filters={}, today=later)["totals"]
    assert totals["total_leads"] == 10  # stale ages for now; the next reader shifts them
    with park.connect() as conn:
        assert read.gap_summary(conn, filters={}, today=later)["totals"]["high_risk"] == 3
