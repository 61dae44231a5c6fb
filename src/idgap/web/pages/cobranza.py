"""Cobranza: what Yango owes, has paid and disputes; the payment review queue; the export.

Reads the same read model as `GET /api/v1/ops/claims` and `/ops/payments` (`claims.read`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from idgap.claims import read
from idgap.claims.export import write_claims
from idgap.claims.model import PAYMENTS
from idgap.claims.resolve import dismiss_payment, link_payment
from idgap.clock import utc_now
from idgap.errors import Conflict, InputError, NotFound
from idgap.intake import service as intake
from idgap.security.uploads import read_upload
from idgap.web.deps import Csrf, Operator, Viewer, flash, page_context, verify_csrf, web_state
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)
PAGE_SIZE = 50
QUEUE_SIZE = 10
UNMATCHED_SHOWN = 20
FILTER_KEYS = ("status", "milestone", "date_from", "date_to")


def _filters(params: dict[str, str]) -> read.ClaimFilters:
    return read.ClaimFilters.of(**{k: params.get(k) for k in FILTER_KEYS})


def cobranza_view(conn: Any, filters: read.ClaimFilters, *, page: int) -> dict[str, Any]:
    """Everything the page shows, from the claims read model."""
    return {
        "totals": read.totals(conn, filters),
        "table": read.claim_items(conn, filters, page=page, page_size=PAGE_SIZE),
        "queue": read.payment_items(conn, "review", page=1, page_size=QUEUE_SIZE),
        "unmatched": read.payment_items(conn, "unmatched", page=1, page_size=UNMATCHED_SHOWN),
        "payment_counts": read.payment_counts(conn),
    }


@router.get("/cobranza", name="web_cobranza")
def cobranza(request: Request, user: Viewer, page: int = Query(1, ge=1, le=1_000_000)) -> Response:
    state = web_state(request)
    params = {k: v for k, v in request.query_params.items() if k in FILTER_KEYS and v}
    filters = _filters(params)
    read.ensure_current(state.engine, settings=state.settings, now=utc_now(), by=f"web:{user.name}")
    with state.engine.connect() as conn:
        view = cobranza_view(conn, filters, page=page)
    context = page_context(
        request, user, active="cobranza", params=params, statuses=read.STATUSES, **view
    )
    return state.templates.TemplateResponse(request, "cobranza.html", context)


@router.get("/cobranza/exportar")
def export(request: Request, user: Viewer, xlsx: bool = False) -> Response:
    """The filtered ledger as CSV (or .xlsx): what to claim."""
    state = web_state(request)
    params = {k: v for k, v in request.query_params.items() if k in FILTER_KEYS and v}
    filters = _filters(params)
    read.ensure_current(state.engine, settings=state.settings, now=utc_now(), by=f"web:{user.name}")
    suffix = ".xlsx" if xlsx else ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as tmp:
        out = Path(tmp.name)
    with state.engine.connect() as conn:
        write_claims(conn, out, xlsx=xlsx, filters=filters)
    media = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if xlsx
        else "text/csv; charset=utf-8"
    )
    return FileResponse(
        out,
        media_type=media,
        filename=f"cobranza{suffix}",
        background=BackgroundTask(out.unlink, missing_ok=True),
    )


@router.post("/cobranza/pagos/{payment_id}/vincular")
def link(
    request: Request,
    payment_id: str,
    user: Operator,
    _csrf: Csrf,
    lead_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    if not lead_id.strip():
        raise InputError("Elija el lead al que corresponde el pago.")
    state = web_state(request)
    try:
        with state.engine.begin() as conn:
            link_payment(
                conn,
                payment_id,
                lead_id.strip(),
                who=f"web:{user.name}",
                note=note.strip() or None,
                settings=state.settings,
                now=utc_now(),
            )
    except (Conflict, NotFound) as exc:
        flash(request, f"No se vinculó: {exc.message}", "warn")
        return RedirectResponse("/cobranza#cola", status_code=303)
    flash(request, f"Pago {payment_id} vinculado al lead {lead_id.strip()}.", "ok")
    return RedirectResponse("/cobranza#cola", status_code=303)


@router.post("/cobranza/pagos/{payment_id}/descartar")
def dismiss(
    request: Request,
    payment_id: str,
    user: Operator,
    _csrf: Csrf,
    note: Annotated[str, Form()] = "",
) -> Response:
    state = web_state(request)
    try:
        with state.engine.begin() as conn:
            dismiss_payment(
                conn,
                payment_id,
                who=f"web:{user.name}",
                note=note.strip() or None,
                settings=state.settings,
                now=utc_now(),
            )
    except NotFound as exc:
        flash(request, f"No se descartó: {exc.message}", "warn")
        return RedirectResponse("/cobranza#cola", status_code=303)
    flash(request, f"Pago {payment_id} marcado «sin coincidencia».", "ok")
    return RedirectResponse("/cobranza#cola", status_code=303)


@router.post("/cobranza/carga")
async def upload(request: Request, user: Operator) -> Response:
    """Yango's payment report (module_ct_cabinet_payments CSV), under the edge upload cap."""
    state = web_state(request)
    got = await read_upload(
        request,
        field="file",
        missing="Elija el archivo CSV de pagos de Yango.",
        empty="El archivo está vacío.",
    )
    verify_csrf(request, got.form.get("csrf_token"))
    report = await run_in_threadpool(
        intake.import_bytes,
        state.engine,
        got.data,
        file_name=got.file_name,
        table=PAYMENTS,
        now=utc_now(),
        settings=state.settings,
        triggered_by=f"web:{user.name}",
    )
    t = report.tables[0]
    flash(
        request,
        f"Pagos: {t.loaded} nuevos, {t.updated} actualizados, "
        f"{t.unchanged} sin cambios, {t.rejected} rechazados.",
        "warn" if t.rejected else "ok",
    )
    return RedirectResponse("/cobranza", status_code=303)
