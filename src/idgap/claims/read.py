"""The claims read model: one set of functions feeds the API, the web page and the CLI.

Before reading, `ensure_current` settles payments that leads or new payments may have moved
and turns owed claims past their deadline into expired ones (both cheap no-ops when nothing
changed), so readers see the ledger as the writers would keep it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from idgap.claims.ledger import expire_claims
from idgap.claims.model import FLAG_COLUMNS, ClaimStatus, PaymentOutcome
from idgap.claims.settle import ensure_settled
from idgap.clock import park_day
from idgap.config import Settings
from idgap.errors import InputError
from idgap.gaps.query import _day, _text, money
from idgap.store.tables import cabinet_payments, claims, payment_matches

STATUSES = tuple(s.value for s in ClaimStatus)
MILESTONES = tuple(FLAG_COLUMNS)  # the milestones Yango's report can pay
OUTCOMES = tuple(o.value for o in PaymentOutcome)
PENDING = "pending"  # a payment not decided yet (imported before any settlement)
REACHED = (ClaimStatus.PAID, ClaimStatus.OWED, ClaimStatus.EXPIRED)
ITEM_COLUMNS = (
    "lead_id",
    "driver_id",
    "person_key",
    "lead_date",
    "milestone",
    "amount",
    "trips_14d",
    "reached",
    "paid",
    "payment_id",
    "status",
)


@dataclass(frozen=True)
class ClaimFilters:
    status: str | None = None
    milestone: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @classmethod
    def of(cls, **raw: Any) -> ClaimFilters:
        """From request or form values: text dates, '' for none, a milestone as text."""
        milestone = raw.get("milestone")
        try:
            m = int(milestone) if milestone not in (None, "") else None
        except (TypeError, ValueError):
            raise InputError(f"milestone must be 1, 5 or 25, got {milestone!r}") from None
        return cls(
            status=_text(raw.get("status")),
            milestone=m,
            date_from=_day(raw.get("date_from"), "date_from"),
            date_to=_day(raw.get("date_to"), "date_to"),
        )

    def __post_init__(self) -> None:
        if self.milestone is not None and self.milestone not in MILESTONES:
            raise InputError(f"milestone must be one of {MILESTONES}, got {self.milestone}")
        if self.status and self.status not in STATUSES:
            raise InputError(f"unknown status {self.status!r}; use {', '.join(STATUSES)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InputError("date_from is after date_to")

    def scope(self) -> list[sa.ColumnElement[bool]]:
        """Everything but the status: the tiles are computed over this."""
        out: list[sa.ColumnElement[bool]] = []
        if self.milestone is not None:
            out.append(claims.c.milestone == self.milestone)
        if self.date_from:
            out.append(claims.c.lead_date >= self.date_from)
        if self.date_to:
            out.append(claims.c.lead_date <= self.date_to)
        return out

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        status = [claims.c.status == self.status] if self.status else []
        return self.scope() + status


def ensure_current(engine: sa.Engine, *, settings: Settings, now: dt.datetime, by: str) -> None:
    ensure_settled(engine, settings=settings, now=now, by=by)
    with engine.begin() as conn:
        expire_claims(conn, today=park_day(now, settings.timezone))


def totals(conn: sa.Connection, filters: ClaimFilters | None = None) -> dict[str, Any]:
    """Count and S/ per status, and the five figures of the page's tiles."""
    f = filters or ClaimFilters()
    c = claims.c
    rows = conn.execute(
        sa.select(c.status, sa.func.count(), sa.func.sum(c.amount), sa.func.sum(c.at_stake))
        .where(*f.scope())
        .group_by(c.status)
    ).all()
    by_status = {s: {"count": 0, "amount": 0.0} for s in STATUSES}
    stake = 0.0
    for status, count, amount, at_stake in rows:
        by_status[status] = {"count": int(count), "amount": money(amount)}
        if status == ClaimStatus.UNIDENTIFIED:
            stake = money(at_stake)
    amount = {s: by_status[s]["amount"] for s in STATUSES}
    return {
        "by_status": by_status,
        "expected": money(sum(amount[s] for s in REACHED)),
        "paid": money(amount[ClaimStatus.PAID] + amount[ClaimStatus.PAID_NOT_REACHED]),
        "owed": amount[ClaimStatus.OWED],
        "expired": amount[ClaimStatus.EXPIRED],
        "disputes": amount[ClaimStatus.PAID_NOT_REACHED],
        "unidentified": stake,
        "unidentified_leads": _unidentified_leads(conn, f),
    }


def _unidentified_leads(conn: sa.Connection, f: ClaimFilters) -> int:
    q = sa.select(sa.func.count(sa.distinct(claims.c.lead_id))).where(
        *f.scope(), claims.c.status == ClaimStatus.UNIDENTIFIED
    )
    return int(conn.execute(q).scalar_one())


def claim_items(
    conn: sa.Connection, filters: ClaimFilters | None, *, page: int, page_size: int
) -> dict[str, Any]:
    f = filters or ClaimFilters()
    c = claims.c
    total = int(
        conn.execute(
            sa.select(sa.func.count()).select_from(claims).where(*f.clauses())
        ).scalar_one()
    )
    rows = conn.execute(
        sa.select(*[c[k] for k in ITEM_COLUMNS])
        .where(*f.clauses())
        .order_by(c.lead_date.desc(), c.lead_id, c.milestone)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).mappings()
    return {"items": [dict(r) for r in rows], "meta": _meta(page, page_size, total)}


def _meta(page: int, page_size: int, total: int) -> dict[str, int]:
    return {
        "page": page,
        "page_size": page_size,
        "total": total,
        "total_pages": (total + page_size - 1) // page_size,
    }


def export_rows(conn: sa.Connection, filters: ClaimFilters | None = None) -> sa.CursorResult:
    """Every ledger row (ITEM_COLUMNS) in lead, milestone order, streamed."""
    f = filters or ClaimFilters()
    stmt = (
        sa.select(*[claims.c[k] for k in ITEM_COLUMNS])
        .where(*f.clauses())
        .order_by(claims.c.lead_id, claims.c.milestone)
    )
    return conn.execution_options(yield_per=5000).execute(stmt)


def _outcome_of(row: Any) -> str:
    return row.outcome or PENDING


def payment_counts(conn: sa.Connection) -> dict[str, int]:
    p, pm = cabinet_payments, payment_matches
    rows = conn.execute(
        sa.select(pm.c.outcome, sa.func.count())
        .select_from(p.outerjoin(pm, pm.c.payment_id == p.c.id))
        .group_by(pm.c.outcome)
    ).all()
    out = {o: 0 for o in (*OUTCOMES, PENDING)}
    for outcome, n in rows:
        out[outcome or PENDING] = int(n)
    return out


def payment_items(
    conn: sa.Connection, outcome: str | None, *, page: int, page_size: int
) -> dict[str, Any]:
    """Payments with their decision and candidates (best first), newest first."""
    if outcome and outcome not in (*OUTCOMES, PENDING):
        raise InputError(f"unknown outcome {outcome!r}; use {', '.join(OUTCOMES)}")
    p, pm = cabinet_payments, payment_matches
    joined = p.outerjoin(pm, pm.c.payment_id == p.c.id)
    where: list[sa.ColumnElement[bool]] = []
    if outcome == PENDING:
        where.append(pm.c.outcome.is_(None))
    elif outcome:
        where.append(pm.c.outcome == outcome)
    total = int(
        conn.execute(sa.select(sa.func.count()).select_from(joined).where(*where)).scalar_one()
    )
    rows = conn.execute(
        _payment_select()
        .where(*where)
        .order_by(p.c.date.desc(), p.c.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return {"items": [_payment(r) for r in rows], "meta": _meta(page, page_size, total)}


def _payment_select() -> sa.Select:
    p, pm = cabinet_payments, payment_matches
    return sa.select(
        p.c.id,
        p.c.date,
        p.c.driver,
        p.c.trip_1,
        p.c.trip_5,
        p.c.trip_25,
        pm.c.outcome,
        pm.c.reason_code,
        pm.c.lead_id,
        pm.c.person_key,
        pm.c.candidates,
        pm.c.decided_by,
        pm.c.note,
    ).select_from(p.outerjoin(pm, pm.c.payment_id == p.c.id))


def _payment(r: Any) -> dict[str, Any]:
    candidates = r.candidates
    if isinstance(candidates, str | bytes):
        candidates = json.loads(candidates)
    milestones = [m for m, flag in ((1, r.trip_1), (5, r.trip_5), (25, r.trip_25)) if flag]
    return {
        "payment_id": r.id,
        "date": r.date,
        "payee": r.driver,
        "milestones": milestones,
        "outcome": _outcome_of(r),
        "reason_code": r.reason_code,
        "lead_id": r.lead_id,
        "person_key": r.person_key,
        "candidates": candidates or [],
        "decided_by": r.decided_by,
        "note": r.note,
    }


def payment(conn: sa.Connection, payment_id: str) -> dict[str, Any] | None:
    row = conn.execute(_payment_select().where(cabinet_payments.c.id == payment_id)).first()
    return _payment(row) if row else None
