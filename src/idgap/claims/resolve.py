"""A person decides a payment: link it to one lead (usually a review candidate) or dismiss it.

Manual decisions are final for the matcher (settlement never re-decides them); the claims of
the leads involved are refreshed in the same transaction.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from idgap.claims.ledger import refresh_claims
from idgap.claims.model import PaymentOutcome, PaymentReason
from idgap.clock import park_day
from idgap.config import Settings
from idgap.errors import Conflict, InputError, NotFound
from idgap.store.tables import cabinet_payments, lead_status, payment_matches

NOTE_MAX = 2000


def _current(conn: sa.Connection, payment_id: str) -> sa.Row | None:
    if (
        conn.execute(
            sa.select(cabinet_payments.c.id).where(cabinet_payments.c.id == payment_id)
        ).first()
        is None
    ):
        raise NotFound(f"payment {payment_id!r} not found")
    pm = payment_matches
    return conn.execute(
        sa.select(pm.c.lead_id, pm.c.candidates, pm.c.decided_by)
        .where(pm.c.payment_id == payment_id)
        .with_for_update()
    ).first()


def _write(conn: sa.Connection, payment_id: str, values: dict, previous: sa.Row | None) -> None:
    pm = payment_matches
    if previous is None:
        conn.execute(pm.insert().values(payment_id=payment_id, candidates=None, **values))
    else:
        conn.execute(pm.update().where(pm.c.payment_id == payment_id).values(**values))


def link_payment(
    conn: sa.Connection,
    payment_id: str,
    lead_id: str,
    *,
    who: str,
    note: str | None,
    settings: Settings,
    now: dt.datetime,
) -> dict[str, str | None]:
    """Tie the payment to `lead_id` (a lead with identity); -> lead and person."""
    previous = _current(conn, payment_id)
    lead = conn.execute(
        sa.select(lead_status.c.person_key).where(lead_status.c.lead_id == lead_id)
    ).first()
    if lead is None:
        raise NotFound(f"lead {lead_id!r} not found")
    if lead.person_key is None:
        raise Conflict(f"lead {lead_id!r} has no identity yet: resolve the lead first")
    values = {
        "outcome": PaymentOutcome.MATCHED.value,
        "reason_code": PaymentReason.MANUAL.value,
        "lead_id": lead_id,
        "person_key": lead.person_key,
        "decided_by": f"manual:{who}"[:64],
        "note": _note(note),
        "decided_at": now,
    }
    _write(conn, payment_id, values, previous)
    touched = [lead_id] + ([previous.lead_id] if previous and previous.lead_id else [])
    refresh_claims(
        conn, touched, today=park_day(now, settings.timezone), settings=settings, now=now
    )
    return {"lead_id": lead_id, "person_key": lead.person_key}


def dismiss_payment(
    conn: sa.Connection,
    payment_id: str,
    *,
    who: str,
    note: str | None,
    settings: Settings,
    now: dt.datetime,
) -> None:
    """None of our leads is the payee: keep the payment listed as unmatched, for good."""
    previous = _current(conn, payment_id)
    values = {
        "outcome": PaymentOutcome.UNMATCHED.value,
        "reason_code": PaymentReason.MANUAL.value,
        "lead_id": None,
        "person_key": None,
        "decided_by": f"manual:{who}"[:64],
        "note": _note(note),
        "decided_at": now,
    }
    _write(conn, payment_id, values, previous)
    if previous is not None and previous.lead_id:
        refresh_claims(
            conn,
            [previous.lead_id],
            today=park_day(now, settings.timezone),
            settings=settings,
            now=now,
        )


def _note(note: str | None) -> str | None:
    if note and len(note) > NOTE_MAX:
        raise InputError(f"note longer than {NOTE_MAX} characters")
    return note or None
