"""Pydantic models of every request and response (the OpenAPI contract)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

RiskLevel = Literal["high", "medium", "low"]
# a filter: one reason, or "unresolved" (every reason but resolved), as the dashboard offers
GapReason = Literal[
    "no_identity", "no_driver", "no_origin", "other_origin", "resolved", "unresolved"
]  # fmt: skip


class Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class InModel(Model):
    """A request body: text with a NUL byte is refused (422) before it reaches the store."""

    @model_validator(mode="before")
    @classmethod
    def no_nul_bytes(cls, data: object) -> object:
        if _has_nul(data):
            raise ValueError("text must not contain NUL bytes")
        return data


class Health(Model):
    status: str
    database: str
    version: str


class DataHealth(Model):
    """System health (REF §5.4), watching the recovery job's own runs."""

    calculated_at: dt.datetime
    status: Literal["OK", "WARNING", "ERROR"]
    overall_status: Literal["OK", "WARNING", "ERROR"]
    status_reasons: list[str]
    last_run_id: int | None
    last_run_kind: str | None
    last_run_started_at: dt.datetime | None
    last_run_completed_at: dt.datetime | None
    last_run_status: str = Field(description="RUNNING, COMPLETED, FAILED, ... or NO_RUNS")
    last_run_error_message: str | None
    last_completed_run_at: dt.datetime | None
    minutes_since_last_completed_run: int | None
    hours_since_last_completed_run: int | None
    unmatched_open_count: int
    unmatched_open_by_reason: dict[str, int]
    unmatched_open_by_outcome: dict[str, int]
    active_alerts_count: int
    active_alerts_by_severity: dict[str, int]
    total_persons: int
    total_links: int
    links_by_source: dict[str, int]
    job_freshness_hours: float | None = Field(
        None, description="Hours since the recovery job last completed (as diagnose, dashboard)"
    )
    review_amount_at_stake: float | None = None
    findings: list[dict[str, Any]] = Field(
        default_factory=list, description="Why the status: {level, code, params, text}"
    )


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
    amount_at_stake: float | None = None


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
    lead_date: dt.date | None = None
    origin_detail: str | None = None
    amount_at_stake: float | None = None


class AlertsResponse(Model):
    items: list[Alert]
    total: int
    meta: dict[str, Any]


class Person(Model):
    person_key: str
    status: str
    merged_into: str | None = None
    confidence: str | None
    primary_name: str | None
    primary_phone: str | None
    primary_license: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str

    # The reference's field names (REF §7.2), so its clients keep working.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def confidence_level(self) -> str | None:
        return self.confidence

    @computed_field  # type: ignore[prop-decorator]
    @property
    def primary_full_name(self) -> str | None:
        return self.primary_name


class PersonList(Model):
    items: list[Person]
    total: int
    limit: int
    offset: int


class IdentityLink(Model):
    id: int
    person_key: str
    source_table: str
    source_pk: str
    snapshot_date: dt.date | None
    match_rule: str
    match_score: float | None
    confidence: str | None
    evidence: dict[str, Any] | None
    run_id: int | None
    linked_at: dt.datetime
    linked_by: str


class Origin(Model):
    person_key: str
    origin_tag: str
    origin_source_table: str | None
    origin_source_id: str
    origin_date: dt.date | None
    origin_confidence: float
    ruleset_version: str
    evidence: dict[str, Any] | None
    decided_by: str
    resolution_status: str
    created_at: dt.datetime
    updated_at: dt.datetime


class OriginChange(Model):
    id: int
    action: str
    origin_tag_old: str | None
    origin_tag_new: str | None
    origin_source_table_old: str | None
    origin_source_table_new: str | None
    origin_source_id_old: str | None
    origin_source_id_new: str | None
    changed_by: str
    change_reason: str
    run_id: int | None
    changed_at: dt.datetime


class LinkChange(Model):
    id: int
    source_table: str
    source_pk: str
    action: str
    person_key_old: str | None
    person_key_new: str | None
    changed_by: str
    reason: str | None
    run_id: int | None
    changed_at: dt.datetime


class PersonDetail(Model):
    person: Person
    links: list[IdentityLink]
    driver_links: list[IdentityLink]
    has_driver_conversion: bool
    origin: Origin | None
    origin_history: list[OriginChange]
    link_history: list[LinkChange]


class CandidateDriver(Model):
    driver_id: str
    park_id: str | None
    full_name: str | None
    phone: str | None
    car_number: str | None
    car_brand: str | None
    car_model: str | None
    hire_date: dt.date | None


class Candidate(Model):
    """One candidate driver of a queued record: the engine's score and evidence, and details."""

    model_config = ConfigDict(extra="allow")  # the ruleset may add evidence-level fields
    driver_id: str | None = None
    park_id: str | None = None
    score: float | None = None
    name_similarity: float | None = None
    evidence: dict[str, Any] | None = None
    driver: CandidateDriver | None = None
    linked_person: str | None = Field(None, description="person already holding this driver")


class UnmatchedItem(Model):
    id: int
    source_table: str
    source_pk: str
    snapshot_date: dt.date | None
    outcome: str
    reason_code: str
    details: dict[str, Any] | None
    candidates: list[Candidate] | None
    lead: dict[str, Any] | None = Field(None, description="the source lead row, for leads")
    status: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_by: str | None = None
    resolution_note: str | None = None
    run_id: int | None
    amount_at_stake: float = Field(
        0.0, description="S/ that linking would earn: the best candidate's milestones in 14 days"
    )
    gap_age_days: int | None = None
    lead_date: dt.date | None = None
    linkable: bool = Field(True, description="false when the only account is in another park")


class UnmatchedList(Model):
    items: list[UnmatchedItem]
    total: int
    limit: int
    offset: int


class ResolveIn(InModel):
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


class DismissIn(InModel):
    note: str | None = Field(None, max_length=1000)


class UndoIn(Model):
    note: str | None = Field(None, max_length=1000)


class UndoOut(Model):
    message: str
    lead_id: str
    undone: str = Field(description="link or dismiss")
    person_key: str | None = Field(None, description="the person the lead was linked to")
    person_retired: bool = False


class LeadHistory(Model):
    lead_id: str
    items: list[LinkChange]
    undoable: str | None = Field(None, description="what the caller may undo now: link, dismiss")


class Message(Model):
    message: str


class MergeIn(InModel):
    absorb_person_key: str = Field(min_length=1, max_length=36)
    reason: str = Field(min_length=1, max_length=500)


class SplitIn(InModel):
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

    # The reference's field names (REF §7.2), so its clients keep working.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def job_type(self) -> str:
        return self.kind

    @computed_field  # type: ignore[prop-decorator]
    @property
    def completed_at(self) -> dt.datetime | None:
        return self.finished_at

    @computed_field  # type: ignore[prop-decorator]
    @property
    def error_message(self) -> str | None:
        return self.error


class RunList(Model):
    items: list[Run]
    total: int
    limit: int
    offset: int


class RunStarted(Model):
    run_id: int | None = Field(description="null only if the run row took > 5 s to appear")
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
        (400, "Malformed request (e.g. a NUL byte in a parameter)"),
        (401, "Missing, invalid, expired or revoked token"),
        (403, "Token role too low"),
        (404, "Not found"),
        (409, "Conflict (already linked, or a recovery run in progress)"),
        (413, "Upload larger than IDGAP_MAX_UPLOAD_MB"),
        (422, "Invalid parameters or input file"),
        (429, "Too many bad tokens from this client; see Retry-After"),
        (500, "Internal error (logged, with a request id)"),
    )
}
