"""/ops/claims and /ops/payments: the claims ledger and Yango's payments (issue 14)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from idgap.api.claims_schemas import (
    ClaimsResponse,
    ClaimStatus,
    PaymentDismissIn,
    PaymentItem,
    PaymentLinkIn,
    PaymentOutcome,
    PaymentsResponse,
)
from idgap.api.deps import AppSettings, Conn, Engine, Operator, Viewer
from idgap.api.schemas import ImportOut
from idgap.claims import read
from idgap.claims.model import PAYMENTS
from idgap.claims.resolve import dismiss_payment, link_payment
from idgap.clock import utc_now
from idgap.errors import NotFound
from idgap.intake.service import import_bytes
from idgap.security.uploads import read_upload, upload_request_body

router = APIRouter(prefix="/ops", tags=["claims"])
UPLOAD_PATH = "/ops/payments/upload-csv"
Page = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=1000)]
PaymentId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/claims", response_model=ClaimsResponse)
def claims(
    engine: Engine,
    who: Viewer,
    settings: AppSettings,
    status: ClaimStatus | None = None,
    milestone: Annotated[int | None, Query(ge=1, le=1000, description="1, 5 or 25")] = None,
    date_from: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    date_to: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    page: Page = 1,
    page_size: PageSize = 100,
) -> dict[str, Any]:
    """Totals by status (over the date and milestone filters) and one page of the ledger."""
    filters = read.ClaimFilters.of(
        status=status, milestone=milestone, date_from=date_from, date_to=date_to
    )
    read.ensure_current(engine, settings=settings, now=utc_now(), by=f"api:{who.name}")
    with engine.connect() as conn:
        return {
            "totals": read.totals(conn, filters),
            **read.claim_items(conn, filters, page=page, page_size=page_size),
        }


@router.get("/payments", response_model=PaymentsResponse)
def payments(
    engine: Engine,
    who: Viewer,
    settings: AppSettings,
    outcome: PaymentOutcome | None = None,
    page: Page = 1,
    page_size: PageSize = 100,
) -> dict[str, Any]:
    """Yango's payments with their decision: matched, review (with candidates) or unmatched."""
    read.ensure_current(engine, settings=settings, now=utc_now(), by=f"api:{who.name}")
    with engine.connect() as conn:
        return {
            "counts": read.payment_counts(conn),
            **read.payment_items(conn, outcome, page=page, page_size=page_size),
        }


@router.post("/payments/{payment_id}/link", response_model=PaymentItem)
def link(
    payment_id: PaymentId, body: PaymentLinkIn, conn: Conn, who: Operator, settings: AppSettings
) -> dict[str, Any]:
    """Tie a payment to a lead by hand (final: the matcher never re-decides it)."""
    link_payment(
        conn,
        payment_id,
        body.lead_id,
        who=f"api:{who.name}",
        note=body.note,
        settings=settings,
        now=utc_now(),
    )
    return _payment(conn, payment_id)


@router.post("/payments/{payment_id}/dismiss", response_model=PaymentItem)
def dismiss(
    payment_id: PaymentId,
    body: PaymentDismissIn,
    conn: Conn,
    who: Operator,
    settings: AppSettings,
) -> dict[str, Any]:
    """None of our leads is the payee: keep it listed as unmatched, for good."""
    dismiss_payment(
        conn, payment_id, who=f"api:{who.name}", note=body.note, settings=settings, now=utc_now()
    )
    return _payment(conn, payment_id)


def _payment(conn: Any, payment_id: str) -> dict[str, Any]:
    got = read.payment(conn, payment_id)
    if got is None:
        raise NotFound(f"payment {payment_id!r} not found")
    return got


@router.post(
    "/payments/upload-csv",
    response_model=ImportOut,
    openapi_extra=upload_request_body("module_ct_cabinet_payments CSV"),
)
async def upload_payments(
    request: Request, engine: Engine, who: Operator, settings: AppSettings
) -> dict[str, Any]:
    """Import Yango's payment report (loaded / updated / unchanged / rejected), then tie it.

    Read after the token check, up to IDGAP_MAX_UPLOAD_MB like the leads upload.
    """
    upload = await read_upload(
        request,
        field="file",
        missing="send the CSV as multipart field 'file'",
        empty="the uploaded file is empty",
    )
    report = await run_in_threadpool(
        import_bytes,
        engine,
        upload.data,
        file_name=upload.file_name,
        table=PAYMENTS,
        now=utc_now(),
        settings=settings,
        triggered_by=f"api:{who.name}",
    )
    return report.to_dict()
