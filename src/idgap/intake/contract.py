"""The data contract of SPEC §2 (and the reference's identity tables, REF §2.1/§2.2/§2.4).

For each table: the file name, the headers a file must have, the natural key it is upserted
on, and which source columns are dates. Everything else about a table (its stored columns)
comes from `idgap.store.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from idgap.errors import InputError

LEADS = "module_ct_cabinet_leads"
PAYMENTS = "module_ct_cabinet_payments"


@dataclass(frozen=True)
class TableSpec:
    table: str
    required: tuple[str, ...]  # headers a file must have
    key: tuple[str, ...]  # natural key (stored columns)
    any_of: tuple[str, ...] = ()  # ... and at least one of these headers
    dates: tuple[str, ...] = ()  # source date columns: a non-empty value must parse
    required_values: tuple[str, ...] = ()  # source columns that may not be empty in a row
    legacy: bool = False  # an identity table of the reference system

    @property
    def file_name(self) -> str:
        return f"{self.table}.csv"

    def missing_headers(self, headers: list[str]) -> list[str]:
        missing = [h for h in self.required if h not in headers]
        if self.any_of and not any(h in headers for h in self.any_of):
            missing.append(" or ".join(self.any_of))
        return missing


SOURCES: dict[str, TableSpec] = {
    s.table: s
    for s in (
        # lead id = external_id if non-empty else id; lead_date = lead_created_at's date
        TableSpec(
            LEADS,
            required=("lead_created_at",),
            any_of=("external_id", "id"),
            key=("lead_id",),
            dates=("lead_created_at",),
            required_values=("lead_created_at",),
        ),
        TableSpec("drivers", required=("driver_id",), key=("driver_id",), dates=("hire_date",)),
        TableSpec(
            "summary_daily",
            required=("driver_id", "date_file", "count_orders_completed"),
            key=("driver_id", "activity_date"),  # activity_date = parsed date_file
            dates=("date_file",),
            required_values=("date_file", "count_orders_completed"),
        ),
        TableSpec(
            "module_ct_scouting_daily",
            required=("id", "registration_date"),
            key=("id",),
            dates=("registration_date",),
            required_values=("registration_date",),
        ),
        TableSpec(
            "module_ct_migrations",
            required=("id", "driver_id"),
            key=("id",),
            dates=("hire_date",),
            required_values=("driver_id",),
        ),
        # Yango's payment report (REF §1.5): the payee as free text, one flag per paid milestone
        TableSpec(
            PAYMENTS,
            required=("id", "date", "driver", "trip_1", "trip_5", "trip_25"),
            key=("id",),
            dates=("date",),
            required_values=("date",),
        ),
    )
}

LEGACY: dict[str, TableSpec] = {
    s.table: s
    for s in (
        TableSpec("identity_registry", required=("person_key",), key=("person_key",), legacy=True),
        TableSpec(
            "identity_links",
            required=("person_key", "source_table", "source_pk"),
            key=("source_table", "source_pk"),
            dates=("snapshot_date", "linked_at"),
            required_values=("person_key",),
            legacy=True,
        ),
        TableSpec(
            "identity_origin",
            required=("person_key", "origin_tag", "origin_source_id"),
            key=("person_key",),
            dates=("origin_created_at",),
            required_values=("origin_tag", "origin_source_id"),
            legacy=True,
        ),
    )
}

ALL: dict[str, TableSpec] = {**SOURCES, **LEGACY}
# sources first (legacy links look up their leads), registry before links before origins
LOAD_ORDER: tuple[str, ...] = tuple(ALL)

# the reference's origin tags and the source table each one points into (REF §2.4)
ORIGIN_TAG_TABLE = {
    "cabinet_lead": LEADS,
    "scout_registration": "module_ct_scouting_daily",
    "migration": "module_ct_migrations",
    "legacy_external": "drivers",
}
LINK_SOURCE_TABLES = (LEADS, "module_ct_scouting_daily", "module_ct_migrations", "drivers")


def table_for_file(file_name: str) -> str | None:
    """The contract table a file name stands for (`drivers.csv` -> drivers), else None."""
    stem = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    if not stem.lower().endswith(".csv"):
        return None
    stem = stem[: -len(".csv")]
    return stem if stem in ALL else None


def spec_for(table: str | None, file_name: str) -> TableSpec:
    """The spec of an explicit `--table`, else the one the file name says."""
    name = table or table_for_file(file_name)
    if name is None:
        raise InputError(
            f"{file_name}: cannot tell which table this file is; "
            f"pass --table with one of {', '.join(ALL)}"
        )
    if name not in ALL:
        raise InputError(f"unknown table {name!r}; choose one of {', '.join(ALL)}")
    return ALL[name]


@dataclass(frozen=True)
class Source:
    """One validated input: which table, where it came from (file name or db:schema.table),
    its rows as text (`csv_reader.clean_frame`; a CSV's with their file line in `_line`) and
    the records refused by their shape before parsing (`_line`, `_reason`, `_raw_line`).
    `nul_free`: the file holds no NUL byte at all, so no row needs the NUL check."""

    spec: TableSpec
    label: str
    frame: pl.DataFrame
    shape_rejects: pl.DataFrame | None = None
    nul_free: bool = False
