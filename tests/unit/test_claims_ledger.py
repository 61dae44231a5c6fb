"""The ledger's pure part: one row per lead x milestone and its status."""

from __future__ import annotations

import datetime as dt

import polars as pl

from idgap.claims.ledger import derive_claims
from idgap.config import Settings

SETTINGS = Settings(database_url="sqlite://", claim_deadline_days=30)
TODAY = dt.date(2026, 6, 30)
LEAD_SCHEMA = {
    "lead_id": pl.Utf8, "lead_date": pl.Date, "person_key": pl.Utf8, "driver_id": pl.Utf8,
    "trips_14d": pl.Int64, "amount_at_stake": pl.Float64,
}  # fmt: skip
PAID_SCHEMA = {"lead_id": pl.Utf8, "milestone": pl.Int64, "payment_id": pl.Utf8}


def ledger(leads: list[tuple], paid: list[tuple] = ()) -> dict[tuple[str, int], dict]:  # type: ignore[assignment]
    df = derive_claims(
        pl.DataFrame(leads, schema=LEAD_SCHEMA, orient="row"),
        pl.DataFrame(list(paid), schema=PAID_SCHEMA, orient="row"),
        settings=SETTINGS, today=TODAY,
    )  # fmt: skip
    return {(r["lead_id"], r["milestone"]): r for r in df.iter_rows(named=True)}


def test_statuses_of_an_identified_lead():
    rows = ledger(
        [("L1", dt.date(2026, 6, 20), "K", "D", 7, 0.0)], [("L1", 1, "P9"), ("L1", 25, "P8")]
    )
    assert {m: rows[("L1", m)]["status"] for m in (1, 5, 25)} == {
        1: "paid", 5: "owed", 25: "paid_not_reached",
    }  # fmt: skip
    assert rows[("L1", 1)]["payment_id"] == "P9" and rows[("L1", 5)]["payment_id"] is None
    assert [rows[("L1", m)]["amount"] for m in (1, 5, 25)] == [25.0, 35.0, 100.0]


def test_owed_past_the_deadline_is_expired_paid_is_not():
    old = dt.date(2026, 5, 1)  # window closed 05-15, deadline 06-14 < today
    rows = ledger([("L1", old, "K", "D", 7, 0.0)], [("L1", 1, "P1")])
    assert rows[("L1", 1)]["status"] == "paid"
    assert rows[("L1", 5)]["status"] == "expired"
    assert rows[("L1", 25)]["status"] == "not_reached"
    assert rows[("L1", 5)]["deadline"] == dt.date(2026, 6, 14)


def test_a_lead_without_driver_is_unidentified_and_its_best_candidate_sets_the_stake():
    rows = ledger([("L1", dt.date(2026, 6, 20), None, None, 0, 60.0)])
    assert {rows[("L1", m)]["status"] for m in (1, 5, 25)} == {"unidentified"}
    assert [rows[("L1", m)]["at_stake"] for m in (1, 5, 25)] == [25.0, 35.0, 0.0]
    assert not any(rows[("L1", m)]["reached"] for m in (1, 5, 25))
