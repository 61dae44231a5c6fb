"""Pydantic models of every request and response (the OpenAPI contract)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RiskLevel = Literal["high", "medium", "low"]
GapReason = Literal["no_identity", "no_driver", "no_origin", "other_origin", "resolved"]


class Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Health(Model):
    status: str
    database: str
    version: str


class GapTotals(Model):
    total_leads: int
    unresolved: int
    resolved: int
    pct_unresolved: float
    high_risk: int
    matched_last_24h: int
    last_job_run: dt.datetime | None
    job_freshness_hours: float | None
    expected_amount: float = Field(description="S/ expected from resolved leads' milestones")
    amount_at_stake: float = Field(description="S/ the unresolved leads would earn if resolved")


class BreakdownRow(Model):
    gap_reason: str
    risk_level: str
    count: int


class GapItem(Model):
    lead_id: str
    lead_date: dt.date
    person_key: str | None
    driver_id: str | None = None
    has_identity: bool
    has_driver: bool
    has_origin: bool
    trips_14d: int
    gap_reason: str
    origin_detail: str | None = None
    gap_age_days: int
    risk_level: str
    expected_amount: float = 0.0
    amount_at_stake: float = 0.0


class PageMeta(Model):
    page: int
    page_size: int
    total: int
    total_pages: int


class IdentityGapResponse(Model):
    totals: GapTotals
    breakdown: list[BreakdownRow]
    items: list[GapItem]
    meta: PageMeta


class Alert(Model):
    lead_id: str
    alert_type: str
    severity: str
    days_open: int
    suggested_action: str
    gap_reason: str | None = None
    amount_at_stake: float | None = None


class AlertsResponse(Model):
    items: list[Alert]
    total: int
    meta: dict[str, Any]


class PersonList(Model):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class PersonDetail(Model):
    person: dict[str, Any]
    links: list[dict[str, Any]]
    driver_links: list[dict[str, Any]]
    has_driver_conversion: bool
    origin: dict[str, Any] | None
    origin_history: list[dict[str, Any]]
    link_history: list[dict[str, Any]]


class UnmatchedItem(Model):
    id: int
    source_table: str
    source_pk: str
    snapshot_date: dt.date | None
    outcome: str
    reason_code: str
    details: dict[str, Any] | None
    candidates: list[dict[str, Any]] | None
    status: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_by: str | None = None
    run_id: int | None


class UnmatchedList(Model):
    items: list[UnmatchedItem]
    total: int
    limit: int
    offset: int


class ResolveIn(Model):
    driver_id: str | None = Field(None, min_length=1, max_length=64)
    person_key: str | None = Field(None, min_length=1, max_length=36)
    note: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def exactly_one(self) -> ResolveIn:
        if (self.driver_id is None) == (self.person_key is None):
            raise ValueError("give exactly one of driver_id or person_key")
        return self


class ResolveOut(Model):
    message: str
    person_key: str
    source_pk: str
    driver_id: str | None


class DismissIn(Model):
    note: str | None = Field(None, max_length=1000)


class Message(Model):
    message: str


class MergeIn(Model):
    absorb_person_key: str = Field(min_length=1, max_length=36)
    reason: str = Field(min_length=1, max_length=500)


class SplitIn(Model):
    source_table: str = Field(min_length=1, max_length=64)
    source_pk: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class SplitOut(Model):
    message: str
    person_key: str


class Run(Model):
    id: int
    kind: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    triggered_by: str | None
    params: dict[str, Any] | None
    stats: dict[str, Any] | None
    error: str | None


class RunList(Model):
    items: list[Run]
    total: int
    limit: int
    offset: int


class RunStarted(Model):
    status: Literal["running"]
    message: str


class ImportTable(Model):
    table: str
    file: str
    loaded: int
    updated: int
    unchanged: int
    rejected: int
    rejects: list[dict[str, Any]]
    warnings: list[str]


class ImportOut(Model):
    run_id: int | None
    tables: list[ImportTable]
    ignored_files: list[str]


class ErrorDetail(Model):
    code: str
    message: str
    request_id: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorOut(Model):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (401, "Missing, invalid or revoked token"),
        (403, "Token role too low"),
        (404, "Not found"),
        (409, "Conflict (already linked, or a recovery run in progress)"),
        (422, "Invalid parameters or input file"),
        (500, "Internal error (logged, with a request id)"),
    )
}
