"""The review queue, money first: each item with its amount at stake, age and lead date.

The amount is `lead_status.amount_at_stake`, computed by `gaps.status` with the claim
milestones (what the best candidate's trips in the 14-day window would earn), so the queue,
the gap table and the dashboard show the same figure. Items that can never be linked (the
only account is in another park) come last, or are left out with `linkable_only`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from idgap.errors import InputError
from idgap.identity.search import LEAD, search_clause
from idgap.store.tables import identity_unmatched, lead_status

u, ls = identity_unmatched, lead_status
LEADS = "module_ct_cabinet_leads"
UNLINKABLE_REASONS = ("OTHER_PARK_ONLY",)
STATUSES = ("OPEN", "RESOLVED", "DISMISSED")
amount_col = sa.func.coalesce(ls.c.amount_at_stake, 0.0)
age_col = ls.c.gap_age_days
lead_date_col = sa.func.coalesce(ls.c.lead_date, u.c.snapshot_date)
unlinkable_col = sa.case((u.c.reason_code.in_(UNLINKABLE_REASONS), 1), else_=0)
review_first = sa.case((u.c.outcome == "review", 0), else_=1)
SORTS: dict[str, list[sa.ColumnElement[Any]]] = {
    "-amount": [amount_col.desc(), review_first, lead_date_col.desc()],
    "amount": [amount_col.asc(), review_first, lead_date_col.desc()],
    "-age": [age_col.desc(), amount_col.desc()],
    "age": [age_col.asc(), amount_col.desc()],
    "-lead_date": [lead_date_col.desc(), amount_col.desc()],
    "lead_date": [lead_date_col.asc(), amount_col.desc()],
    "reason": [u.c.reason_code.asc(), amount_col.desc()],
    "queue": [review_first, u.c.snapshot_date.desc()],  # the order before money came first
}
DEFAULT_SORT = "-amount"
QUEUE_COLUMNS = (amount_col.label("amount_at_stake"), age_col.label("gap_age_days"),
                 lead_date_col.label("lead_date"), ls.c.gap_reason)  # fmt: skip


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = "OPEN"
    outcome: str | None = None
    reason_code: str | None = None
    q: str | None = None
    min_amount: float | None = None
    min_age_days: int | None = None
    max_age_days: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    linkable_only: bool = False
    sort: str = DEFAULT_SORT

    @classmethod
    def of(cls, values: QueueFilters | Mapping[str, Any] | None) -> QueueFilters:
        if isinstance(values, QueueFilters):
            return values
        known = {f.name for f in fields(cls)}
        given = {k: v for k, v in (values or {}).items() if k in known and v not in (None, "")}
        made = cls(**given)
        made.validate()
        return made

    def validate(self) -> None:
        if self.sort not in SORTS:
            raise InputError(f"unknown sort {self.sort!r}; use one of {', '.join(SORTS)}")
        if self.status and self.status not in STATUSES:
            raise InputError(f"unknown status {self.status!r}; use {', '.join(STATUSES)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InputError("date_from is after date_to")
        lo, hi = self.min_age_days, self.max_age_days
        if lo is not None and hi is not None and lo > hi:
            raise InputError("min_age_days is above max_age_days")

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        where: list[sa.ColumnElement[bool]] = []
        for col, value in ((u.c.status, self.status), (u.c.outcome, self.outcome),
                           (u.c.reason_code, self.reason_code)):  # fmt: skip
            if value:
                where.append(col == value)
        found = search_clause(LEAD, u.c.source_pk, self.q)
        if found is not None:
            where += [u.c.source_table == LEADS, found]
        if self.min_amount is not None:
            where.append(amount_col >= self.min_amount)
        if self.min_age_days is not None:
            where.append(age_col >= self.min_age_days)
        if self.max_age_days is not None:
            where.append(age_col <= self.max_age_days)
        if self.date_from:
            where.append(lead_date_col >= self.date_from)
        if self.date_to:
            where.append(lead_date_col <= self.date_to)
        if self.linkable_only:
            where.append(unlinkable_col == 0)
        return where

    def order(self) -> list[sa.ColumnElement[Any]]:
        return [unlinkable_col, *SORTS[self.sort], u.c.id]


def _joined() -> sa.FromClause:
    return u.outerjoin(ls, sa.and_(u.c.source_table == LEADS, ls.c.lead_id == u.c.source_pk))


def queue_page(
    conn: sa.Connection, filters: QueueFilters, *, limit: int | None, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """One page of queue rows (with amount, age and lead date) and the filtered total."""
    where = filters.clauses()
    count = sa.select(sa.func.count()).select_from(_joined()).where(*where)
    total = int(conn.execute(count).scalar_one())
    stmt = sa.select(u, *QUEUE_COLUMNS).select_from(_joined()).where(*where)
    stmt = stmt.order_by(*filters.order()).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    for row in rows:
        row["linkable"] = row["reason_code"] not in UNLINKABLE_REASONS
    return rows, total
