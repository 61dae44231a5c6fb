"""Dashboard "Brechas de Identidad (Recovery)": tiles, trend, breakdown, gap table, alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request, Response

from idgap.clock import today, utc_now
from idgap.errors import InputError
from idgap.gaps import read as gaps
from idgap.web.chart import points_from_rows, trend_svg
from idgap.web.deps import MAX_PAGE, Conn, Viewer, page_context, web_state
from idgap.web.render import GAP_REASON_LABEL, RISK_LABEL
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

PAGE_SIZE = 25
ALERTS_SHOWN = 12
TREND_DAYS = 180
STALE_HOURS = 24.0
SORT_KEYS = {
    "lead_id",
    "lead_date",
    "risk_level",
    "gap_age_days",
    "trips_14d",
    "amount_at_stake",
    "expected_amount",
}
STATE_VIEW = {  # REF §8.1 states -> label, tile colour, explanation
    "ACTIVO": ("✅ ACTIVO", "ok", "vinculó leads en las últimas 24 h"),
    "NO_CONFIGURADO": ("❌ NO CONFIGURADO", "bad", "el recovery nunca se ejecutó"),
    "SIN_SENAL": ("⚠️ SIN SEÑAL", "warn", "corre pero no vinculó nada en 24 h"),
    "COMPLETO": ("✅ COMPLETO", "ok", "no quedan leads sin resolver"),
}


def _parse_day(value: str | None, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"La fecha «{label}» debe tener el formato AAAA-MM-DD.") from None


def _filters(
    gap_reason: str | None, risk_level: str | None, date_from: str | None, date_to: str | None
) -> dict[str, Any]:
    if gap_reason and gap_reason != "unresolved" and gap_reason not in GAP_REASON_LABEL:
        raise InputError(f"Motivo desconocido: {gap_reason}")
    if risk_level and risk_level not in RISK_LABEL:
        raise InputError(f"Riesgo desconocido: {risk_level}")
    return {
        "gap_reason": gap_reason or None,
        "risk_level": risk_level or None,
        "date_from": _parse_day(date_from, "desde"),
        "date_to": _parse_day(date_to, "hasta"),
    }


def _sort(sort: str | None) -> str | None:
    if not sort:
        return None
    if sort.lstrip("-") not in SORT_KEYS:
        raise InputError(f"Orden desconocido: {sort}")
    return sort


def _state_key(raw: object) -> str:
    """'SIN_SEÑAL', 'sin señal', '⚠️ SIN SEÑAL' … -> the STATE_VIEW key."""
    text = str(raw or "").upper().replace("Ñ", "N").replace("_", " ")
    for key in ("NO_CONFIGURADO", "SIN_SENAL", "COMPLETO", "ACTIVO"):
        if key.replace("_", " ") in text:
            return key
    return ""


def job_view(status: dict[str, Any]) -> dict[str, Any]:
    """The three job tiles (REF §8.1) from `recovery_status`."""
    hours = status.get("job_freshness_hours")
    if hours is None:
        fresh = ("NUNCA", "bad", "el job nunca terminó una ejecución")
    elif float(hours) > STALE_HOURS:
        fresh = (f"{float(hours):.1f}h", "warn", "⚠️ STALE (>24h)")
    else:
        fresh = (f"{float(hours):.1f}h", "ok", "✅ OK (<24h)")
    label, css, note = STATE_VIEW.get(_state_key(status.get("state")), ("—", "", ""))
    return {
        "matched_last_24h": status.get("matched_last_24h") or 0,
        "freshness_value": fresh[0],
        "freshness_class": fresh[1],
        "freshness_note": fresh[2],
        "state_label": label,
        "state_class": css,
        "state_note": note,
        "last_job_run": status.get("last_job_run"),
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


def totals_view(summary: dict[str, Any]) -> dict[str, Any]:
    money = summary.get("money") or {}
    return {
        **summary["totals"],
        "expected_resolved": money.get("expected_resolved"),
        "at_stake": money.get("at_stake"),
    }


@router.get("/", name="web_dashboard")
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
    filters = {**_filters(gap_reason, risk_level, date_from, date_to), "q": (q or "").strip()}
    sort_key = _sort(sort)
    day, now = today(), utc_now()
    summary = gaps.gap_summary(conn, filters=filters, today=day)
    items = gaps.gap_items(
        conn, filters=filters, page=page, page_size=PAGE_SIZE, sort=sort_key, today=day
    )
    alerts = gaps.gap_alerts(conn, today=day, limit=ALERTS_SHOWN)
    status = gaps.recovery_status(conn, now=now)
    trend = gaps.gap_trend(conn, limit=TREND_DAYS)
    params = {
        "gap_reason": gap_reason,
        "risk_level": risk_level,
        "date_from": date_from,
        "date_to": date_to,
        "q": q,
        "sort": sort,
    }
    context = page_context(
        request,
        user,
        active="dashboard",
        params=params,
        filters_active=any(v for k, v in params.items() if k != "sort"),
        totals=totals_view(summary),
        job=job_view(status),
        reasons=list(GAP_REASON_LABEL),
        risks=list(RISK_LABEL),
        **breakdown_view(summary["breakdown"]),
        items=items["items"],
        meta=items["meta"],
        alerts=alerts["items"],
        alerts_total=alerts["total"],
        trend_svg=trend_svg(points_from_rows(trend["items"])),
    )
    return web_state(request).templates.TemplateResponse(request, "dashboard.html", context)
