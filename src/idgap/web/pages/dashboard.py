"""Dashboard "Brechas de Identidad (Recovery)": tiles, trend, breakdown, gap table, alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request, Response

from idgap import clock
from idgap.errors import InputError
from idgap.gaps.query import GapFilters
from idgap.gaps.rules import GAP_REASONS, RISK_LEVELS
from idgap.views.dashboard import DashboardQuery, dashboard_view
from idgap.web import labels
from idgap.web.chart import money_svg, points_from_rows, trend_svg
from idgap.web.deps import MAX_PAGE, Conn, Viewer, render_page, stale_runs, web_state
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

SORT_KEYS = {
    "lead_id",
    "lead_date",
    "risk_level",
    "gap_age_days",
    "trips_14d",
    "amount_at_stake",
    "expected_amount",
}
STATE_CLASS = {"ACTIVO": "ok", "NO_CONFIGURADO": "bad", "SIN_SENAL": "warn", "COMPLETO": "ok"}
STATE_NOTE = {
    "ACTIVO": "vinculó leads en las últimas 24 h",
    "NO_CONFIGURADO": "el recovery nunca se ejecutó",
    "SIN_SENAL": "corre pero no vinculó nada en 24 h",
    "COMPLETO": "no quedan leads sin resolver",
}
FRESHNESS = {  # freshness state -> (css class, note)
    "NUNCA": ("bad", "el recovery nunca terminó una ejecución"),
    "STALE": ("warn", "desactualizado: más de 24 h"),
    "OK": ("ok", "al día: menos de 24 h"),
}


def parse_day(value: str | None, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"La fecha «{label}» debe tener el formato AAAA-MM-DD.") from None


def parse_filters(
    gap_reason: str | None,
    risk_level: str | None,
    date_from: str | None,
    date_to: str | None,
    q: str | None = None,
) -> GapFilters:
    """The query string's filters, with Spanish one-line errors."""
    if gap_reason and gap_reason != "unresolved" and gap_reason not in GAP_REASONS:
        raise InputError(f"Motivo desconocido: {gap_reason}")
    if risk_level and risk_level not in RISK_LEVELS:
        raise InputError(f"Riesgo desconocido: {risk_level}")
    start, end = parse_day(date_from, "desde"), parse_day(date_to, "hasta")
    if start and end and start > end:
        raise InputError("La fecha «desde» es posterior a «hasta».")
    return GapFilters(
        gap_reason=gap_reason or None,
        risk_level=risk_level or None,
        date_from=start,
        date_to=end,
        q=(q or "").strip() or None,
    )


def _sort(sort: str | None) -> str | None:
    if not sort:
        return None
    if sort.lstrip("-") not in SORT_KEYS:
        raise InputError(f"Orden desconocido: {sort}")
    return sort


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """The three job tiles (REF §8.1): values, CSS classes and notes, from the view's codes."""
    fresh_class, fresh_note = FRESHNESS[job.get("freshness_state") or "NUNCA"]
    hours = job.get("job_freshness_hours")
    state = job.get("state") or ""
    return {
        "matched_last_24h": job.get("matched_last_24h") or 0,
        "freshness_value": "Nunca" if hours is None else f"{float(hours):.1f} h",
        "freshness_class": fresh_class,
        "freshness_note": fresh_note,
        "state_label": labels.label("job_state", state),
        "state_class": STATE_CLASS.get(state, ""),
        "state_note": STATE_NOTE.get(state, ""),
        "last_job_run": job.get("last_job_run"),
    }


def breakdown_view(breakdown: list[dict[str, Any]]) -> dict[str, Any]:
    matrix: dict[tuple[str, str], int] = {}
    reason_totals: dict[str, int] = {}
    for row in breakdown:
        key = (row["gap_reason"], row["risk_level"])
        matrix[key] = matrix.get(key, 0) + int(row["count"])
        reason_totals[row["gap_reason"]] = reason_totals.get(row["gap_reason"], 0) + int(
            row["count"]
        )
    return {"matrix": matrix, "reason_totals": reason_totals}


@router.get("/", name="web_dashboard")
@router.get("/panel.json")
def dashboard(
    request: Request,
    user: Viewer,
    conn: Conn,
    gap_reason: str | None = None,
    risk_level: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    sort: str | None = None,
    q: str | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
) -> Response:
    filters = parse_filters(gap_reason, risk_level, date_from, date_to, q)
    query = DashboardQuery(filters=filters, sort=_sort(sort), page=page)
    stale_runs(request, conn)
    now, settings = clock.utc_now(), web_state(request).settings
    view = dashboard_view(conn, query=query, now=now, timezone=settings.timezone)
    points = points_from_rows(view["trend"]["items"])
    params = {
        "gap_reason": gap_reason,
        "risk_level": risk_level,
        "date_from": date_from,
        "date_to": date_to,
        "q": q,
        "sort": sort,
    }
    return render_page(
        request,
        user,
        "dashboard.html",
        view=view,
        active="dashboard",
        params=params,
        filter_params={k: v for k, v in params.items() if k != "sort"},
        active_filters=sum(1 for v in view["filters"].values() if v is not None),
        job=job_view(view["job"]),
        reasons=list(GAP_REASONS),
        risks=list(RISK_LEVELS),
        **breakdown_view(view["breakdown"]),
        trend_svg=trend_svg(points),
        money_svg=money_svg(points, currency=settings.currency),
    )
