"""The reference's /identity endpoints (REF §7.2), plus the actions it lacked."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status

from idgap.access import Principal as TokenPrincipal
from idgap.access import Role
from idgap.api.deps import Admin, AppSettings, Conn, Engine, Operator, Viewer
from idgap.api.schemas import (
    DismissIn,
    LeadHistory,
    MergeIn,
    Message,
    PersonDetail,
    PersonList,
    ResolveIn,
    ResolveOut,
    Run,
    RunList,
    RunStarted,
    SplitIn,
    SplitOut,
    UndoIn,
    UndoOut,
    UnmatchedList,
)
from idgap.clock import utc_now
from idgap.identity import manual, read, undo
from idgap.identity.queue import DEFAULT_SORT, SORTS, QueueFilters
from idgap.recovery.job import start_background_run
from idgap.recovery.read import get_run, list_runs

router = APIRouter(prefix="/identity", tags=["identity"])
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
LeadId = Annotated[str, Path(min_length=1, max_length=64)]
SearchText = Annotated[
    str | None,
    Query(max_length=200, description="name (any accents/order), phone, licence, plate or id"),
]


@router.get("/persons", response_model=PersonList)
def persons(
    conn: Conn,
    _: Viewer,
    name: str | None = None,
    phone: str | None = None,
    license: str | None = None,
    confidence_level: Literal["HIGH", "MEDIUM", "LOW"] | None = None,
    q: SearchText = None,
    skip: Offset = 0,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Active persons; `q` (or `name`) finds by name, phone, licence, plate or key."""
    return read.list_persons(
        conn,
        q=q or name,
        phone=phone,
        license=license,
        confidence=confidence_level,
        limit=limit,
        offset=skip,
    )


@router.get("/persons/{person_key}", response_model=PersonDetail)
def person(person_key: str, conn: Conn, _: Viewer) -> dict[str, Any]:
    """Links, driver links, origin and its history."""
    return read.get_person(conn, person_key)


@router.post("/persons/{person_key}/merge", response_model=Message)
def merge(person_key: str, body: MergeIn, conn: Conn, who: Admin, settings: AppSettings) -> Message:
    n = manual.merge_persons(
        conn,
        person_key,
        body.absorb_person_key,
        by=f"api:{who.name}",
        reason=body.reason,
        now=utc_now(),
        settings=settings,
    )
    return Message(message=f"merged {body.absorb_person_key} into {person_key} ({n} links moved)")


@router.post("/links/split", response_model=SplitOut)
def split(body: SplitIn, conn: Conn, who: Admin, settings: AppSettings) -> SplitOut:
    new = manual.split_link(
        conn,
        body.source_table,
        body.source_pk,
        by=f"api:{who.name}",
        reason=body.reason,
        now=utc_now(),
        settings=settings,
    )
    return SplitOut(message=f"{body.source_pk} moved to a new person", person_key=new)


@router.get("/unmatched", response_model=UnmatchedList)
def unmatched(
    conn: Conn,
    _: Viewer,
    reason_code: str | None = None,
    status_: Annotated[
        Literal["OPEN", "RESOLVED", "DISMISSED"] | None,
        Query(alias="status", description="OPEN (the default) is the work still to do"),
    ] = "OPEN",
    outcome: Literal["review", "unmatched"] | None = None,
    q: SearchText = None,
    sort: Annotated[str, Query(max_length=20, description="one of " + ", ".join(SORTS))] = (
        DEFAULT_SORT
    ),
    min_amount: Annotated[float | None, Query(ge=0, le=1e9)] = None,
    min_age_days: Annotated[int | None, Query(ge=-100_000, le=100_000)] = None,
    max_age_days: Annotated[int | None, Query(ge=-100_000, le=100_000)] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    linkable_only: bool = False,
    skip: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    """The review queue, most money at stake first, with its candidates and their evidence.

    Items whose only account is in another park (never linkable) come last, or are left out
    with `linkable_only=true`.
    """
    filters = QueueFilters.of({
        "status": status_, "outcome": outcome, "reason_code": reason_code, "q": q, "sort": sort,
        "min_amount": min_amount, "min_age_days": min_age_days, "max_age_days": max_age_days,
        "date_from": date_from, "date_to": date_to, "linkable_only": linkable_only,
    })  # fmt: skip
    return read.list_unmatched(conn, status=status_, filters=filters, limit=limit, offset=skip)


@router.post("/unmatched/{unmatched_id}/resolve", response_model=ResolveOut)
def resolve(
    unmatched_id: Id, body: ResolveIn, conn: Conn, who: Operator, settings: AppSettings
) -> ResolveOut:
    """Link the lead to a candidate driver or a person: lead link + driver link + origin."""
    out = manual.resolve_unmatched(
        conn,
        unmatched_id,
        driver_id=body.driver_id,
        person_key=body.person_key,
        by=f"api:{who.name}",
        note=body.note,
        now=utc_now(),
        settings=settings,
    )
    return ResolveOut(message="linked", **out)


def _actor(who: TokenPrincipal) -> undo.Actor:
    return undo.Actor(by=f"api:{who.name}", name=who.name, admin=who.can(Role.admin))


@router.post("/unmatched/{unmatched_id}/dismiss", response_model=Message)
def dismiss(unmatched_id: Id, body: DismissIn, conn: Conn, who: Operator) -> Message:
    """No candidate is right: closed, recorded in the lead's history, reopenable."""
    undo.dismiss(conn, unmatched_id, who=_actor(who), note=body.note or "", now=utc_now())
    return Message(message="dismissed")


@router.post("/leads/{lead_id}/undo", response_model=UndoOut)
def undo_lead(
    lead_id: LeadId, body: UndoIn, conn: Conn, who: Operator, settings: AppSettings
) -> UndoOut:
    """Undo the lead's link (or reopen its dismissal): it returns to the review queue.

    Operators undo their own manual actions; administrators any, automatic links included.
    """
    out = undo.undo_last(
        conn, lead_id, who=_actor(who), note=body.note, now=utc_now(), settings=settings
    )
    return UndoOut(message=f"{out['undone']} undone; the lead is back in the queue", **out)


@router.get("/leads/{lead_id}/history", response_model=LeadHistory)
def lead_history(lead_id: LeadId, conn: Conn, who: Viewer) -> dict[str, Any]:
    """Every change of the lead (link, unlink, move, dismiss, reopen) with who, when and note."""
    return {
        "lead_id": lead_id,
        "items": undo.lead_history(conn, lead_id),
        "undoable": undo.undoable(conn, lead_id, _actor(who)) if who.can(Role.operator) else None,
    }


@router.get("/runs", response_model=RunList)
def runs(
    conn: Conn,
    _: Viewer,
    settings: AppSettings,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Offset = 0,
    status_: Annotated[
        Literal["running", "completed", "failed", "interrupted"] | None, Query(alias="status")
    ] = None,
    kind: Literal["import", "match", "recover", "backfill_origins"] | None = None,
) -> dict[str, Any]:
    return list_runs(
        conn, kind=kind, status=status_, limit=limit, offset=offset,
        stale_after_s=settings.run_stale_after_s,
    )  # fmt: skip


@router.get("/runs/{run_id}", response_model=Run)
def run(run_id: Id, conn: Conn, _: Viewer, settings: AppSettings) -> dict[str, Any]:
    return get_run(conn, run_id, stale_after_s=settings.run_stale_after_s)


@router.post("/run", response_model=RunStarted, status_code=status.HTTP_202_ACCEPTED)
def start_run(engine: Engine, who: Operator, settings: AppSettings) -> RunStarted:
    """Start the recovery job in the background; 409 while another run holds the lock."""
    run_id = start_background_run(engine, settings=settings, triggered_by=f"api:{who.name}")
    return RunStarted(
        run_id=run_id,
        status="running",
        message="recovery started; follow it in GET /identity/runs/{run_id}",
    )
