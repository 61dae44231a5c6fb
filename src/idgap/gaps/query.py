"""What the gap read models share: filters over lead_status and keeping ages current."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from idgap.errors import InputError
from idgap.gaps.rules import GAP_REASONS, RISK_LEVELS
from idgap.gaps.status import has_stale_ages, refresh_ages
from idgap.identity.search import LEAD, search_clause
from idgap.store.tables import lead_status

ls = lead_status
UNRESOLVED_FILTER = "unresolved"  # pseudo gap_reason: every reason but resolved


@dataclass(frozen=True)
class GapFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    risk_level: str | None = None
    gap_reason: str | None = None
    q: str | None = None  # name, phone, licence, plate or lead id (identity.search)

    @classmethod
    def of(cls, filters: GapFilters | Mapping[str, Any] | None) -> GapFilters:
        if filters is None:
            return cls()
        if isinstance(filters, GapFilters):
            return filters
        if not isinstance(filters, Mapping):  # e.g. a pydantic model or dataclass
            filters = {k: getattr(filters, k, None) for k in cls.__dataclass_fields__}
        made = cls(
            date_from=_day(filters.get("date_from"), "date_from"),
            date_to=_day(filters.get("date_to"), "date_to"),
            risk_level=_text(filters.get("risk_level")),
            gap_reason=_text(filters.get("gap_reason")),
            q=_text(filters.get("q")),
        )
        made.validate()
        return made

    def validate(self) -> None:
        if self.risk_level and self.risk_level not in RISK_LEVELS:
            known = ", ".join(RISK_LEVELS)
            raise InputError(f"unknown risk_level {self.risk_level!r}; use {known}")
        reasons = (*GAP_REASONS, UNRESOLVED_FILTER)
        if self.gap_reason and self.gap_reason not in reasons:
            raise InputError(f"unknown gap_reason {self.gap_reason!r}; use {', '.join(reasons)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InputError("date_from is after date_to")

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        out: list[sa.ColumnElement[bool]] = []
        if self.date_from:
            out.append(ls.c.lead_date >= self.date_from)
        if self.date_to:
            out.append(ls.c.lead_date <= self.date_to)
        if self.risk_level:
            out.append(ls.c.risk_level == self.risk_level)
        if self.gap_reason == UNRESOLVED_FILTER:
            out.append(ls.c.gap_reason != "resolved")
        elif self.gap_reason:
            out.append(ls.c.gap_reason == self.gap_reason)
        found = search_clause(LEAD, ls.c.lead_id, self.q)
        if found is not None:
            out.append(found)
        return out


def _text(value: object) -> str | None:
    """Plain text from a str, a (str) Enum member or None, so drivers bind a real str."""
    value = getattr(value, "value", value)
    return str(value) if value else None


def _day(value: object, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from None


def ensure_current_ages(conn: sa.Connection, *, today: dt.date) -> None:
    """Shift stale ages/risk before a read, in a short transaction of its own.

    Readers hold plain connections that are never committed, so the update runs on a second
    connection; if that cannot get the write lock now, the page shows yesterday's ages
    rather than waiting (the next writer or read fixes them).
    """
    if not has_stale_ages(conn, today=today):
        return
    sqlite = conn.dialect.name == "sqlite"
    try:
        with conn.engine.connect() as writer:
            if sqlite:
                writer.exec_driver_sql("PRAGMA busy_timeout=200")  # never block a page for long
            try:
                if not sqlite:  # the caller may hold these rows in its own open transaction
                    writer.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                refresh_ages(writer, today=today)
                writer.commit()
            finally:
                writer.rollback()
                if sqlite:  # pooled connection: give back the usual patience
                    writer.exec_driver_sql("PRAGMA busy_timeout=30000")
    except sa.exc.OperationalError:
        return


def ratio_pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def money(value: Any) -> float:
    return round(float(value or 0.0), 2)
