"""Downloads of the gap table and the review queue (CSV or XLSX) with the active filters."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response

from idgap import clock
from idgap.errors import NotFound
from idgap.exports import FORMATS, content_type, gap_frame, review_frame, to_bytes
from idgap.web.deps import Conn, Viewer, web_state
from idgap.web.pages.dashboard import _sort as dashboard_sort
from idgap.web.pages.dashboard import parse_filters
from idgap.web.pages.review import queue_params
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)


def _download(request: Request, data: bytes, fmt: str, name: str) -> Response:
    filename = f"idgap-{name}-{_today(request).isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(data, media_type=content_type(fmt), headers=headers)


def _today(request: Request) -> dt.date:
    return clock.today(web_state(request).settings.timezone)


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"Formato desconocido: {fmt}. Use CSV o XLSX.")
    return fmt


@router.get("/exportar/brechas.{fmt}", name="web_export_gaps")
def export_gaps(request: Request, fmt: str, user: Viewer, conn: Conn) -> Response:
    """The dashboard's gap table, every page of it, with the dashboard's filters and order."""
    fmt = _format(fmt)
    p = request.query_params
    filters = parse_filters(
        p.get("gap_reason"), p.get("risk_level"), p.get("date_from"), p.get("date_to"),
        (p.get("q") or "").strip()[:200],
    )  # fmt: skip
    df = gap_frame(conn, filters=filters, sort=dashboard_sort(p.get("sort")), today=_today(request))
    return _download(request, to_bytes(df, fmt, sheet="brechas"), fmt, "brechas")


@router.get("/exportar/revision.{fmt}", name="web_export_review")
def export_review(request: Request, fmt: str, user: Viewer, conn: Conn) -> Response:
    """The review queue with the queue page's filters and order."""
    fmt = _format(fmt)
    filters, _ = queue_params(request.query_params)
    df = review_frame(conn, filters=filters, today=_today(request))
    return _download(request, to_bytes(df, fmt, sheet="revision"), fmt, "revision")
