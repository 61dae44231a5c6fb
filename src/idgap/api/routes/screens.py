"""Each web screen's view model as JSON: the numbers the pages show, from the same code.

The web page at the same place renders this dict as HTML (see idgap.views); these endpoints
let scripts, tests and the CLI read exactly what an analyst sees.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from idgap import clock
from idgap.api.deps import AppSettings, Conn, Viewer
from idgap.api.schemas import GapReason, RiskLevel
from idgap.gaps.query import GapFilters
from idgap.views.dashboard import PAGE_SIZE, DashboardQuery, dashboard_view
from idgap.views.health import health_view
from idgap.views.lead import lead_view
from idgap.views.review import review_view
from idgap.views.runs import run_view, runs_view

router = APIRouter(prefix="/screens", tags=["screens"])
Page = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/dashboard")
def dashboard(
    conn: Conn,
    _: Viewer,
    settings: AppSettings,
    gap_reason: GapReason | None = None,
    risk_level: RiskLevel | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    sort: Annotated[str | None, Query(max_length=40)] = None,
    page: Page = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = PAGE_SIZE,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Totals, job tiles, reason x risk, one page of leads, alert groups and the trend."""
    filters = GapFilters.of(
        {"gap_reason": gap_reason, "risk_level": risk_level,
         "date_from": date_from, "date_to": date_to, "q": q}
    )  # fmt: skip
    query = DashboardQuery(filters=filters, sort=sort or None, page=page, page_size=page_size)
    now = clock.utc_now()
    return dashboard_view(conn, query=query, now=now, timezone=settings.timezone)


@router.get("/review")
def review(
    conn: Conn,
    _: Viewer,
    settings: AppSettings,
    pos: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """The review queue's size and the entries from `pos` on (the first is on screen)."""
    return review_view(conn, pos=pos, today=clock.park_day(clock.utc_now(), settings.timezone))


@router.get("/leads/{lead_id}")
def lead(
    conn: Conn,
    _: Viewer,
    settings: AppSettings,
    lead_id: Annotated[str, Path(max_length=200)],
) -> dict[str, Any]:
    today = clock.park_day(clock.utc_now(), settings.timezone)
    return lead_view(conn, lead_id, settings=settings, today=today)


@router.get("/runs")
def runs(
    conn: Conn, _: Viewer, kind: Annotated[str | None, Query(max_length=40)] = None, page: Page = 1
) -> dict[str, Any]:
    return runs_view(conn, kind=kind or None, page=page)


@router.get("/runs/{run_id}")
def run(conn: Conn, _: Viewer, run_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> dict[str, Any]:
    return run_view(conn, run_id)


@router.get("/health")
def health(conn: Conn, _: Viewer, settings: AppSettings) -> dict[str, Any]:
    """Status and findings (those of `idgap diagnose`), backlog, identity counts, activity."""
    return health_view(conn, now=clock.utc_now(), settings=settings)
