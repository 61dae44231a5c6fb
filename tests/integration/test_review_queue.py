"""The money-first review queue on both backends: amount, sort, filters, other park last."""

from __future__ import annotations

import datetime as dt

import pytest

from idgap.errors import InputError
from idgap.gaps.status import refresh_lead_status
from idgap.identity.read import list_unmatched
from tests.integration.gaps_fixtures import NOW, OTHER_PARK, TODAY, Builder, settings


def cand(driver_id: str, park: str) -> dict:
    return {"driver_id": driver_id, "park_id": park, "score": 80.0}


@pytest.fixture
def queue(engine):
    """Q1 S/160 (age 3), Q2 S/60 (age 10), Q3 nothing in sight (age 20), Q4 other park S/160."""
    s = settings()
    with engine.begin() as conn:
        b = Builder(conn)
        for lead_id, age, driver, park, trips in (
            ("Q1", 3, "dA", s.park_id, 30),
            ("Q2", 10, "dB", s.park_id, 6),
            ("Q4", 5, "dX", OTHER_PARK, 30),
        ):
            b.lead(lead_id, age)
            b.driver(driver, park)
            b.trips(driver, TODAY - dt.timedelta(days=age - 1), trips)
            reason = "OTHER_PARK_ONLY" if park == OTHER_PARK else "WEAK_MATCH_ONLY"
            b.queued(lead_id, "review", reason, [cand(driver, park)])
        b.lead("Q3", 20, middle_name="ROSA QUISPE")
        b.queued("Q3", "unmatched", "NO_CANDIDATES", [])
        refresh_lead_status(conn, None, today=TODAY, settings=s, now=NOW)
    return engine


def order(conn, **filters) -> list[str]:
    return [i["source_pk"] for i in list_unmatched(conn, filters=filters)["items"]]


def test_every_item_carries_its_amount_and_the_most_money_comes_first(queue):
    with queue.connect() as conn:
        items = list_unmatched(conn)["items"]
    got = [(i["source_pk"], i["amount_at_stake"], i["linkable"]) for i in items]
    # the other-park lead is worth as much as Q1 but can never be linked: last
    assert got == [("Q1", 160.0, True), ("Q2", 60.0, True), ("Q3", 0.0, True),
                   ("Q4", 160.0, False)]  # fmt: skip
    assert [i["gap_age_days"] for i in items] == [3, 10, 20, 5]


def test_sorts(queue):
    with queue.connect() as conn:
        assert order(conn, sort="-age") == ["Q3", "Q2", "Q1", "Q4"]
        assert order(conn, sort="age") == ["Q1", "Q2", "Q3", "Q4"]
        assert order(conn, sort="amount") == ["Q3", "Q2", "Q1", "Q4"]
        assert order(conn, sort="-lead_date") == ["Q1", "Q2", "Q3", "Q4"]
        assert order(conn, sort="lead_date") == ["Q3", "Q2", "Q1", "Q4"]
        assert order(conn, sort="reason")[:3] == ["Q3", "Q1", "Q2"]
        with pytest.raises(InputError):
            order(conn, sort="drop table")


def test_filters(queue):
    with queue.connect() as conn:
        assert order(conn, linkable_only=True) == ["Q1", "Q2", "Q3"]
        assert order(conn, min_amount=50) == ["Q1", "Q2", "Q4"]
        assert order(conn, reason_code="NO_CANDIDATES") == ["Q3"]
        assert order(conn, min_age_days=5, max_age_days=10) == ["Q2", "Q4"]
        # Q3's lead (20 days old) is from the previous month
        assert order(conn, date_from=TODAY.replace(day=1), date_to=TODAY) == ["Q1", "Q2", "Q4"]
        assert order(conn, q="rosa quispe") == ["Q3"]
        assert list_unmatched(conn, filters={"min_amount": 50}, limit=1)["total"] == 3
        with pytest.raises(InputError):
            order(conn, min_age_days=9, max_age_days=2)
