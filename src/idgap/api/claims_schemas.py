"""Pydantic models of the claims endpoints (/ops/claims, /ops/payments)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from idgap.api.schemas import Model, PageMeta

ClaimStatus = Literal["paid", "owed", "not_reached", "paid_not_reached", "unidentified", "expired"]
PaymentOutcome = Literal["matched", "review", "unmatched", "pending"]


class StatusTotal(Model):
    count: int
    amount: float


class ClaimTotals(Model):
    by_status: dict[str, StatusTotal]
    expected: float = Field(description="S/ of the milestones our trips reached")
    paid: float = Field(description="S/ Yango paid (including disputes)")
    owed: float = Field(description="S/ reached and not paid, still claimable")
    expired: float = Field(description="S/ reached and not paid, past the claim deadline")
    disputes: float = Field(description="S/ paid for milestones our trips do not show")
    unidentified: float = Field(description="S/ leads without driver would earn (best candidate)")
    unidentified_leads: int


class ClaimItem(Model):
    lead_id: str
    driver_id: str | None
    person_key: str | None
    lead_date: dt.date
    milestone: int
    amount: float
    trips_14d: int
    reached: bool
    paid: bool
    payment_id: str | None
    status: ClaimStatus


class ClaimsResponse(Model):
    totals: ClaimTotals
    items: list[ClaimItem]
    meta: PageMeta


class PaymentCandidate(Model):
    person_key: str | None = None
    lead_id: str
    driver_id: str | None = None
    lead_name: str | None = None
    driver_name: str | None = None
    lead_date: dt.date | None = None
    trips_14d: int | None = None
    reached: bool | None = None
    exact: bool | None = None


class PaymentItem(Model):
    payment_id: str
    date: dt.date
    payee: str | None
    milestones: list[int]
    outcome: PaymentOutcome
    reason_code: str | None
    lead_id: str | None
    person_key: str | None
    candidates: list[PaymentCandidate]
    decided_by: str | None
    note: str | None


class PaymentsResponse(Model):
    counts: dict[str, int]
    items: list[PaymentItem]
    meta: PageMeta


class PaymentLinkIn(Model):
    lead_id: str = Field(min_length=1, max_length=64)
    note: str | None = Field(None, max_length=2000)


class PaymentDismissIn(Model):
    note: str | None = Field(None, max_length=2000)
