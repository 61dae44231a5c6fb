"""Names other modules import from here; the writers themselves live in `identity.changes`.

The source-table names are `idgap.source_tables.SourceTable` members (aliases, not copies).
"""

from __future__ import annotations

import datetime as dt

from idgap.source_tables import LEAD_TYPE_TABLES, SourceTable

LEADS: str = SourceTable.LEADS
SCOUTING: str = SourceTable.SCOUTING
MIGRATIONS: str = SourceTable.MIGRATIONS
DRIVERS: str = SourceTable.DRIVERS

__all__ = ["DRIVERS", "LEADS", "LEAD_TYPE_TABLES", "MIGRATIONS", "SCOUTING", "as_date"]


def as_date(v: object) -> dt.date | None:
    if v is None or isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v  # type: ignore[return-value]
    if isinstance(v, dt.datetime):
        return v.date()
    return dt.date.fromisoformat(str(v)[:10])
