"""lead_status: every gap reason, risk, trips window, money, ages; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from idgap.gaps.status import refresh_ages, refresh_lead_status
from idgap.store import tables as t
from tests.integration.gaps_fixtures import (
    LEADS,
    NOW,
    OTHER_PARK,
    TODAY,
    Builder,
    settings,
    status_rows,
)


def _build_every_reason(b: Builder) -> None:
    b.resolved_lead("L-ok", 3)
    b.lead("L-noid-old", 10)
    b.lead("L-noid-new", 3)
    b.lead("L-noid-today", 0)
    nodrv = b.person()
    b.lead("L-nodrv", 8)
    b.link(nodrv, LEADS, "L-nodrv")
    b.origin(nodrv, "cabinet_lead", "L-nodrv")
    noorig = b.person()
    b.lead("L-noorig", 5)
    b.link(noorig, LEADS, "L-noorig")
    b.link(noorig, "drivers", b.driver("d-noorig"))
    # a re-registration: the person's origin is their earlier lead
    first = b.resolved_lead("L-first", 20, driver_id=b.driver("d-twice"))
    b.lead("L-second", 4)
    b.link(first, LEADS, "L-second")
    scout = b.person()
    b.lead("L-scout", 1)
    b.link(scout, LEADS, "L-scout")
    b.link(scout, "drivers", b.driver("d-scout"))
    b.origin(scout, "scout_registration", "S-77", table="module_ct_scouting_daily")


def test_every_gap_reason_and_risk(engine):
    with engine.begin() as conn:
        _build_every_reason(Builder(conn))
        written = refresh_lead_status(conn, None, today=TODAY, settings=settings(), now=NOW)
        rows = status_rows(conn)
    assert written == 9
    got = {k: (r["gap_reason"], r["risk_level"], r["gap_age_days"]) for k, r in rows.items()}
    assert got == {
        "L-ok": ("resolved", "low", 3),
        "L-noid-old": ("no_identity", "high", 10),
        "L-noid-new": ("no_identity", "medium", 3),
        "L-noid-today": ("no_identity", "low", 0),
        "L-nodrv": ("no_driver", "high", 8),
        "L-noorig": ("no_origin", "medium", 5),
        "L-first": ("resolved", "low", 20),
        "L-second": ("other_origin", "high", 4),
        "L-scout": ("other_origin", "high", 1),
    }
    assert rows["L-second"]["origin_detail"] == "cabinet_lead:L-first"
    assert rows["L-scout"]["origin_detail"] == "scout_registration:S-77"
    assert rows["L-ok"]["origin_detail"] is None
    assert rows["L-noid-old"]["has_identity"] is False and rows["L-noid-old"]["person_key"] is None
    assert rows["L-nodrv"]["has_identity"] and not rows["L-nodrv"]["has_driver"]
    assert rows["L-noorig"]["has_driver"] and not rows["L-noorig"]["has_origin"]
    assert rows["L-ok"]["has_origin"] and rows["L-ok"]["driver_id"] == "drv-L-ok"
    assert rows["L-ok"]["resolved_at"] is not None and rows["L-noorig"]["resolved_at"] is None


def test_trips_window_is_half_open_and_sums_all_drivers(engine):
    cfg = settings()
    with engine.begin() as conn:
        b = Builder(conn)
        person = b.resolved_lead("L1", 20, driver_id=b.driver("d-main"))
        b.link(person, "drivers", b.driver("d-second", park_id=OTHER_PARK))
        start = TODAY - dt.timedelta(days=20)
        b.trips("d-main", start - dt.timedelta(days=1), 50)  # before the window
        b.trips("d-main", start, 3)
        b.trips("d-second", start + dt.timedelta(days=13), 2)  # last day inside
        b.trips("d-main", start + dt.timedelta(days=14), 40)  # first day outside
        refresh_lead_status(conn, ["L1"], today=TODAY, settings=cfg, now=NOW)
        row = status_rows(conn)["L1"]
    assert row["trips_14d"] == 5
    assert row["milestones_reached"] == 2
    assert row["expected_amount"] == 60.0
    assert row["amount_at_stake"] == 0.0  # resolved: nothing at stake
    assert row["driver_id"] == "d-main"  # the target-park driver is shown


def test_amount_at_stake_for_unresolved_leads(engine):
    cfg = settings()
    with engine.begin() as conn:
        b = Builder(conn)
        person = b.person()
        b.lead("L-noorig", 9)
        b.link(person, LEADS, "L-noorig")
        b.link(person, "drivers", b.driver("d-a"))
        b.trips("d-a", TODAY - dt.timedelta(days=9), 30)
        b.lead("L-review", 9)
        b.driver("d-cand")
        b.trips("d-cand", TODAY - dt.timedelta(days=8), 6)
        b.queued(
            "L-review",
            "review",
            "MULTIPLE_CANDIDATES",
            [{"driver_id": "d-cand", "score": 80}, {"driver_id": "d-a", "score": 70}],
        )
        b.lead("L-lost", 9)
        b.queued("L-lost", "unmatched", "NO_CANDIDATES", [])
        b.decision("L-lost", "review", "WEAK_MATCH_ONLY", at=NOW - dt.timedelta(days=2))
        b.decision("L-lost", "unmatched", "NO_CANDIDATES", at=NOW)
        refresh_lead_status(conn, None, today=TODAY, settings=cfg, now=NOW)
        rows = status_rows(conn)
    assert rows["L-noorig"]["amount_at_stake"] == 160.0 == rows["L-noorig"]["expected_amount"]
    assert rows["L-review"]["amount_at_stake"] == 60.0  # the best candidate's 6 trips
    assert rows["L-review"]["expected_amount"] == 0.0
    assert rows["L-lost"]["amount_at_stake"] == 0.0
    assert (rows["L-lost"]["last_outcome"], rows["L-lost"]["last_reason_code"]) == (
        "unmatched",
        "NO_CANDIDATES",
    )


def test_refresh_writes_only_changes_and_keeps_first_resolution(engine):
    cfg = settings()
    with engine.begin() as conn:
        b = Builder(conn)
        b.resolved_lead("L1", 3)
        b.lead("L2", 3)
        assert refresh_lead_status(conn, None, today=TODAY, settings=cfg, now=NOW) == 2
        assert refresh_lead_status(conn, None, today=TODAY, settings=cfg, now=NOW) == 0
        first_resolved = status_rows(conn)["L1"]["resolved_at"]
        person = b.person()
        b.link(person, LEADS, "L2")
        later = NOW + dt.timedelta(hours=3)
        assert refresh_lead_status(conn, ["L2", "L1"], today=TODAY, settings=cfg, now=later) == 1
        rows = status_rows(conn)
    assert rows["L2"]["gap_reason"] == "no_driver"
    assert rows["L1"]["resolved_at"] == first_resolved


def test_status_rows_of_vanished_leads_are_removed(engine):
    cfg = settings()
    with engine.begin() as conn:
        b = Builder(conn)
        b.lead("L1", 1)
        b.lead("L2", 1)
        refresh_lead_status(conn, None, today=TODAY, settings=cfg, now=NOW)
        conn.execute(sa.delete(t.cabinet_leads).where(t.cabinet_leads.c.lead_id == "L2"))
        assert refresh_lead_status(conn, ["L2"], today=TODAY, settings=cfg, now=NOW) == 1
        assert set(status_rows(conn)) == {"L1"}


def test_refresh_ages_shifts_age_and_risk(engine):
    cfg = settings()
    with engine.begin() as conn:
        _build_every_reason(Builder(conn))
        refresh_lead_status(conn, None, today=TODAY, settings=cfg, now=NOW)
        later = TODAY + dt.timedelta(days=5)
        assert refresh_ages(conn, today=later) == 9
        aged = status_rows(conn)
        refresh_lead_status(conn, None, today=later, settings=cfg, now=NOW)
        recomputed = status_rows(conn)
        assert refresh_ages(conn, today=later) == 0
    for lead_id, row in recomputed.items():
        assert (aged[lead_id]["gap_age_days"], aged[lead_id]["risk_level"]) == (
            row["gap_age_days"],
            row["risk_level"],
        ), lead_id
        assert aged[lead_id]["as_of"] == later
    assert aged["L-noid-new"]["risk_level"] == "high"  # 8 days old now


def test_large_id_sets_scan_once_but_touch_only_those_leads(engine, monkeypatch):
    from idgap.gaps import status

    monkeypatch.setattr(status, "WHOLE_TABLE_ABOVE", 1)
    cfg = settings()
    with engine.begin() as conn:
        b = Builder(conn)
        for i in range(4):
            b.lead(f"L{i}", 3)
        assert refresh_lead_status(conn, ["L0", "L2"], today=TODAY, settings=cfg, now=NOW) == 2
        assert set(status_rows(conn)) == {"L0", "L2"}
        person = b.person()
        b.link(person, LEADS, "L0")
        assert refresh_lead_status(conn, ["L0", "L1"], today=TODAY, settings=cfg, now=NOW) == 2
        rows = status_rows(conn)
    assert set(rows) == {"L0", "L1", "L2"} and rows["L0"]["gap_reason"] == "no_driver"
