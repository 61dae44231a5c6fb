"""Closed vocabularies of payment matching and of the claims ledger."""

from __future__ import annotations

from enum import StrEnum

PAYMENTS = "module_ct_cabinet_payments"
FLAG_COLUMNS = {1: "trip_1", 5: "trip_5", 25: "trip_25"}  # milestone -> its flag in the report


class ClaimStatus(StrEnum):
    PAID = "paid"  # reached and paid
    OWED = "owed"  # reached, not paid: claim it
    NOT_REACHED = "not_reached"
    PAID_NOT_REACHED = "paid_not_reached"  # Yango paid what our trips do not show: a dispute
    UNIDENTIFIED = "unidentified"  # no driver yet: the identity gap's cost
    EXPIRED = "expired"  # reached, not paid, past the claim deadline


class PaymentOutcome(StrEnum):
    MATCHED = "matched"
    REVIEW = "review"
    UNMATCHED = "unmatched"


class PaymentReason(StrEnum):
    NAME_MILESTONE = "NAME_MILESTONE"  # one person by name whose lead reached the milestone
    NAME_NOT_REACHED = "NAME_NOT_REACHED"  # one person by exact name; milestone not reached
    MULTIPLE_CANDIDATES = "MULTIPLE_CANDIDATES"  # namesakes: a human decides
    WEAK_NAME_ONLY = "WEAK_NAME_ONLY"  # one partial-name candidate that did not reach it
    LEAD_WITHOUT_IDENTITY = "LEAD_WITHOUT_IDENTITY"  # the one agreeing lead has no driver yet
    NO_CANDIDATES = "NO_CANDIDATES"
    MISSING_NAME = "MISSING_NAME"
    NO_MILESTONE = "NO_MILESTONE"  # no trip_N flag set
    MANUAL = "MANUAL"


SYSTEM = "system"
