"""The dashboard trend follows every filter of the tiles and ends on the tiles' numbers.

Rows are written straight into lead_status (the trend reads nothing else), each with a known
lead date, resolution instant and amount, so every day's figure is computed by hand below.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from idgap.gaps.read import gap_summary
from idgap.gaps.trend import gap_trend
from idgap.store.tables import lead_status

TODAY = dt.date(2026, 11, 25)
LIMA = "America/Lima"
D = dt.date
UTC = dt.UTC
ROWS = [  # lead, lead date, reason, risk, resolved at, expected, at stake
    ("A", D(2026, 11, 20), "resolved", "low", dt.datetime(2026, 11, 23, 3, tzinfo=UTC), 60.0, 0.0),
    ("B", D(2026, 11, 21), "no_identity", "high", None, 0.0, 25.0),
    ("C", D(2026, 11, 24), "no_identity", "medium", None, 0.0, 35.0),
    ("D", D(2026, 10, 1), "resolved", "low", dt.datetime(2026, 10, 5, 12, tzinfo=UTC), 25.0, 0.0),
    ("E", D(2026, 11, 22), "resolved", "low", None, 35.0, 0.0),  # resolved, no timestamp
]  # A is resolved at 22:00 on 22 Nov in Lima (already the 23rd in UTC)


def _insert(engine, rows, today=TODAY) -> None:
    stamp = dt.datetime(2026, 11, 25, 12, tzinfo=UTC)
    with engine.begin() as conn:
        for lead, day, reason, risk, resolved_at, expected, stake in rows:
            conn.execute(sa.insert(lead_status).values(
                lead_id=lead, lead_date=day, has_identity=reason == "resolved",
                has_driver=reason == "resolved", has_origin=reason == "resolved",
                gap_reason=reason, gap_age_days=(today - day).days, risk_level=risk,
                as_of=today, trips_14d=0, milestones_reached=0, expected_amount=expected,
                amount_at_stake=stake, resolved_at=resolved_at, updated_at=stamp,
            ))  # fmt: skip


@pytest.fixture
def store(engine):
    _insert(engine, ROWS)
    return engine


def _trend(engine, filters=None, tz=LIMA, days=30) -> dict[D, dict]:
    with engine.connect() as conn:
        items = gap_trend(conn, filters=filters, today=TODAY, timezone=tz, days=days)["items"]
    return {p["day"]: p for p in items}


def _figures(point: dict) -> tuple[int, int, float]:
    return point["total_leads"], point["unresolved"], point["amount_at_stake"]


def test_each_day_counts_the_leads_dated_by_then_and_still_open(store):
    by_day = _trend(store)
    assert min(by_day) == TODAY - dt.timedelta(days=29) and max(by_day) == TODAY
    assert _figures(by_day[D(2026, 10, 27)]) == (1, 0, 0.0)  # D, resolved before the window
    assert _figures(by_day[D(2026, 11, 20)]) == (2, 1, 60.0)  # A open: its S/ 60 at stake
    assert _figures(by_day[D(2026, 11, 21)]) == (3, 2, 85.0)
    assert _figures(by_day[D(2026, 11, 22)]) == (4, 1, 25.0)  # A resolved that evening in Lima
    assert _figures(by_day[D(2026, 11, 24)]) == (5, 2, 60.0)
    assert by_day[D(2026, 11, 24)]["pct_unresolved"] == 40.0


def test_the_day_a_lead_is_resolved_is_the_parks_day(store):
    assert _figures(_trend(store, tz="UTC")[D(2026, 11, 22)]) == (4, 2, 85.0)  # 23rd in UTC
    assert _figures(_trend(store, tz=LIMA)[D(2026, 11, 22)]) == (4, 1, 25.0)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"date_from": D(2026, 11, 21)},
        {"date_from": D(2026, 11, 1), "date_to": D(2026, 11, 21)},
        {"risk_level": "high"},
        {"gap_reason": "unresolved"},
        {"gap_reason": "resolved", "date_to": D(2026, 11, 20)},
    ],
)
def test_today_is_the_tiles_for_every_filter(store, filters):
    by_day = _trend(store, filters)
    with store.connect() as conn:
        tiles = gap_summary(conn, filters=filters, today=TODAY)["totals"]
    last = by_day[TODAY]
    assert (last["total_leads"], last["unresolved"], last["pct_unresolved"]) == (
        tiles["total_leads"], tiles["unresolved"], tiles["pct_unresolved"]
    )  # fmt: skip
    assert last["amount_at_stake"] == tiles["amount_at_stake_unresolved"]


def test_lead_date_filters_move_the_whole_line(store):
    dated = _trend(store, {"date_from": D(2026, 11, 21)})
    assert min(dated) == D(2026, 11, 21)  # no day before the first selected lead
    assert _figures(dated[D(2026, 11, 21)]) == (1, 1, 25.0)  # B alone: A and D left out
    assert _figures(dated[D(2026, 11, 22)]) == (2, 1, 25.0)
    assert _figures(_trend(store)[D(2026, 11, 21)]) == (3, 2, 85.0)  # unfiltered differs
    early = _trend(store, {"date_to": D(2026, 11, 20)})
    assert _figures(early[TODAY]) == (2, 0, 0.0)  # A and D, both resolved by now


def test_no_selected_lead_no_line(store):
    assert _trend(store, {"date_from": D(2026, 11, 25)}) == {}


def test_daylight_saving_changes_inside_the_window(engine):
    """Santiago: UTC-4 until 6 Sep 2026 04:00 UTC, then UTC-3 (SQLite shifts per segment)."""
    today = D(2026, 9, 15)
    at = dt.datetime
    _insert(engine, [
        ("W", D(2026, 8, 20), "resolved", "low", at(2026, 9, 1, 3, 30, tzinfo=UTC), 1.0, 0),
        ("S", D(2026, 8, 20), "resolved", "low", at(2026, 9, 10, 3, 30, tzinfo=UTC), 2.0, 0),
    ], today=today)  # fmt: skip
    with engine.connect() as conn:
        items = gap_trend(conn, today=today, timezone="America/Santiago", days=30)["items"]
    open_on = {p["day"]: p["unresolved"] for p in items}
    assert open_on[D(2026, 8, 30)] == 2 and open_on[D(2026, 8, 31)] == 1  # W: 31 Aug 23:30
    assert open_on[D(2026, 9, 9)] == 1 and open_on[D(2026, 9, 10)] == 0  # S: 10 Sep 00:30
