"""The reference's /ops endpoints (REF §7.1), read from lead_status, not recomputed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from idgap import clock
from idgap.api.deps import AppSettings, Conn, Viewer
from idgap.api.schemas import (
    AlertsResponse,
    DataHealth,
    GapReason,
    IdentityGapResponse,
    RiskLevel,
)
from idgap.gaps.alerts import gap_alerts
from idgap.gaps.health import data_health
from idgap.gaps.read import gap_items, gap_summary, recovery_status
from idgap.recovery.heartbeat import mark_stale_runs

router = APIRouter(prefix="/ops", tags=["gaps"])


@router.get("/identity-gaps", response_model=IdentityGapResponse)
def identity_gaps(
    conn: Conn,
    _: Viewer,
    settings: AppSettings,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    risk_level: RiskLevel | None = None,
    gap_reason: GapReason | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="name, phone, licence, plate or lead id")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Totals, reason x risk breakdown and one page of leads (unresolved first)."""
    now = clock.utc_now()
    filters = {
        "date_from": date_from,
        "date_to": date_to,
        "risk_level": risk_level,
        "gap_reason": gap_reason,
        "q": q,
    }
    summary = gap_summary(conn, filters=filters, today=clock.park_day(now, settings.timezone))
    page_data = gap_items(conn, filters=filters, page=page, page_size=page_size)
    mark_stale_runs(conn, now=now, stale_after_s=settings.run_stale_after_s)
    job = recovery_status(conn, now=now)
    t = summary["totals"]
    totals = {
        **t,
        "matched_last_24h": job["matched_last_24h"],
        "last_job_run": job["last_job_run"],
        "job_freshness_hours": job["job_freshness_hours"],
        "expected_amount": t["expected_amount_resolved"],
        "amount_at_stake": t["amount_at_stake_unresolved"],
    }
    return {"totals": totals, "breakdown": summary["breakdown"], **page_data}


@router.get("/identity-gaps/alerts", response_model=AlertsResponse)
def alerts(conn: Conn, _: Viewer, settings: AppSettings) -> dict[str, Any]:
    """Alerting leads, severity high > medium > low, then the longest open."""
    return gap_alerts(conn, today=clock.park_day(clock.utc_now(), settings.timezone))


@router.get("/data-health", response_model=DataHealth)
def health(conn: Conn, _: Viewer, settings: AppSettings) -> dict[str, Any]:
    """System health (REF §5.4), watching the recovery job's own runs."""
    now = clock.utc_now()
    mark_stale_runs(conn, now=now, stale_after_s=settings.run_stale_after_s)
    return data_health(conn, now=now)
