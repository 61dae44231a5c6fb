"""The names of the park's source tables: one vocabulary for every layer (SPEC §2).

A `StrEnum`, so members compare and bind as the plain table names the store keeps. It lives at
the package root (like `config` and `errors`) because the pure engine, intake, identity, gaps
and the entrypoints all speak it, and `matching` must not import the store.
"""

from __future__ import annotations

from enum import StrEnum


class SourceTable(StrEnum):
    LEADS = "module_ct_cabinet_leads"
    SCOUTING = "module_ct_scouting_daily"
    MIGRATIONS = "module_ct_migrations"
    DRIVERS = "drivers"
    SUMMARY_DAILY = "summary_daily"


# the records that stand for a registration (and so may be a person's origin), best first
LEAD_TYPE_TABLES = (SourceTable.LEADS, SourceTable.SCOUTING, SourceTable.MIGRATIONS)
# tables an identity link may point at
LINKABLE_TABLES = (*LEAD_TYPE_TABLES, SourceTable.DRIVERS)
