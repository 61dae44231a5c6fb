"""Payment -> lead matching (pure): names, milestone flags, windows, namesakes."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from idgap.claims.matching import (
    CANDIDATE_SCHEMA,
    PAYMENT_SCHEMA,
    PaymentRules,
    match_payments,
)

D = dt.date(2026, 6, 1)
PAY_DAY = D + dt.timedelta(days=20)


def _pay(payee: str | None, *, m: int | None = 1, day: dt.date = PAY_DAY) -> tuple:
    return ("P1", day, payee, m == 1, m == 5, m == 25)


def _lead(lead_id: str, person: str, name: str, trips: int, *, driver_name: str | None = None,
          day: dt.date = D) -> tuple:  # fmt: skip
    return (lead_id, day, person, f"D{lead_id}", trips, name, driver_name)


def decide(payment: tuple, leads: list[tuple]) -> dict:
    pays = pl.DataFrame([payment], schema=PAYMENT_SCHEMA, orient="row")
    cands = pl.DataFrame(leads, schema=CANDIDATE_SCHEMA, orient="row")
    return match_payments(pays, cands, PaymentRules()).row(0, named=True)


@pytest.mark.parametrize(
    "payee",
    ["Juan Carlos Pérez Gómez", "PEREZ GOMEZ JUAN CARLOS", "juan perez gomez", "Juan Pérez"],
)
def test_name_written_differently_still_matches(payee):
    got = decide(_pay(payee), [_lead("L1", "K1", "Juan Carlos Perez Gomez", 3)])
    assert (got["outcome"], got["reason_code"], got["lead_id"]) == (
        "matched", "NAME_MILESTONE", "L1",
    )  # fmt: skip


def test_the_driver_account_name_is_a_candidate_name_too():
    lead = _lead("L1", "K1", "J. Pérez", 3, driver_name="Quispe Mamani Rosa")
    assert decide(_pay("Rosa Quispe"), [lead])["lead_id"] == "L1"


def test_one_shared_token_is_not_enough():
    got = decide(_pay("Juan"), [_lead("L1", "K1", "Juan Perez", 3)])
    assert (got["outcome"], got["reason_code"]) == ("unmatched", "MISSING_NAME")
    got = decide(_pay("Juan Rojas"), [_lead("L1", "K1", "Juan Perez", 3)])
    assert (got["outcome"], got["reason_code"]) == ("unmatched", "NO_CANDIDATES")


def test_namesakes_who_both_reached_go_to_review_with_both_candidates():
    leads = [_lead("L1", "K1", "Jose Quispe", 3), _lead("L2", "K2", "Jose Luis Quispe", 8)]
    got = decide(_pay("José Quispe"), leads)
    assert (got["outcome"], got["reason_code"], got["lead_id"]) == (
        "review", "MULTIPLE_CANDIDATES", None,
    )  # fmt: skip
    assert '"L1"' in got["candidates_json"] and '"L2"' in got["candidates_json"]


def test_a_namesake_who_did_not_reach_the_milestone_still_makes_it_ambiguous():
    leads = [_lead("L1", "K1", "Jose Quispe", 3), _lead("L2", "K2", "Jose Quispe", 30)]
    got = decide(_pay("Jose Quispe", m=25), leads)
    assert (got["outcome"], got["reason_code"]) == ("review", "MULTIPLE_CANDIDATES")


def test_a_namesake_lead_without_identity_makes_it_ambiguous_and_alone_it_is_kept_unmatched():
    unlinked = ("L9", D, None, None, 0, "Jose Quispe", None)
    got = decide(_pay("Jose Quispe"), [_lead("L1", "K1", "Jose Quispe", 3), unlinked])
    assert (got["outcome"], got["reason_code"]) == ("review", "MULTIPLE_CANDIDATES")
    got = decide(_pay("Jose Quispe"), [unlinked])
    assert (got["outcome"], got["reason_code"]) == ("unmatched", "LEAD_WITHOUT_IDENTITY")


def test_exact_name_not_reached_is_a_dispute_but_a_partial_name_is_reviewed():
    got = decide(_pay("Ana Ruiz Soto", m=5), [_lead("L1", "K1", "Ana Ruiz Soto", 2)])
    assert (got["outcome"], got["reason_code"]) == ("matched", "NAME_NOT_REACHED")
    got = decide(_pay("Ana Ruiz", m=5), [_lead("L1", "K1", "Ana Ruiz Soto", 2)])
    assert (got["outcome"], got["reason_code"]) == ("review", "WEAK_NAME_ONLY")


def test_payment_before_the_window_closes_or_far_later_matches_nobody():
    lead = [_lead("L1", "K1", "Juan Perez", 3)]
    early = decide(_pay("Juan Perez", day=D + dt.timedelta(days=13)), lead)
    late = decide(_pay("Juan Perez", day=D + dt.timedelta(days=14 + 120)), lead)
    assert early["outcome"] == late["outcome"] == "unmatched"
    assert decide(_pay("Juan Perez", day=D + dt.timedelta(days=14)), lead)["lead_id"] == "L1"


def test_two_leads_of_one_person_are_not_namesakes_the_latest_eligible_lead_wins():
    leads = [
        _lead("L1", "K1", "Juan Perez", 3, day=D - dt.timedelta(days=30)),
        _lead("L2", "K1", "Juan Perez", 3),
    ]
    got = decide(_pay("Juan Perez"), leads)
    assert (got["outcome"], got["lead_id"], got["person_key"]) == ("matched", "L2", "K1")


def test_a_row_without_any_milestone_flag_is_kept_unmatched():
    got = decide(_pay("Juan Perez", m=None), [_lead("L1", "K1", "Juan Perez", 3)])
    assert (got["outcome"], got["reason_code"]) == ("unmatched", "NO_MILESTONE")
