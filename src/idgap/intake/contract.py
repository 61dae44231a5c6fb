"""The data contract of SPEC §2: files, required headers, natural keys, date columns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableSpec:
    table: str
    required: tuple[str, ...]  # headers a file must have
    key: tuple[str, ...]  # natural key in the stored table
    dates: tuple[str, ...] = ()  # source date columns that must parse when present
    required_dates: tuple[str, ...] = ()  # ... and may not be empty

    @property
    def file_name(self) -> str:
        return f"{self.table}.csv"


SOURCES: dict[str, TableSpec] = {
    s.table: s
    for s in (
        TableSpec(
            "module_ct_cabinet_leads",
            ("id", "external_id", "lead_created_at"),
            ("lead_id",),
            dates=("lead_created_at",),
            required_dates=("lead_created_at",),
        ),
        TableSpec("drivers", ("driver_id",), ("driver_id",), dates=("hire_date",)),
        TableSpec(
            "summary_daily",
            ("driver_id", "date_file", "count_orders_completed"),
            ("driver_id", "activity_date"),
            dates=("date_file",),
            required_dates=("date_file",),
        ),
        TableSpec(
            "module_ct_scouting_daily",
            ("id", "registration_date"),
            ("id",),
            dates=("registration_date",),
            required_dates=("registration_date",),
        ),
        TableSpec("module_ct_migrations", ("id", "driver_id"), ("id",), dates=("hire_date",)),
    )
}

LEGACY: dict[str, TableSpec] = {
    s.table: s
    for s in (
        TableSpec("identity_registry", ("person_key",), ("person_key",)),
        TableSpec(
            "identity_links",
            ("person_key", "source_table", "source_pk"),
            ("source_table", "source_pk"),
        ),
        TableSpec(
            "identity_origin", ("person_key", "origin_tag", "origin_source_id"), ("person_key",)
        ),
    )
}

ALL = {**SOURCES, **LEGACY}


def table_for_file(file_name: str) -> str | None:
    stem = file_name.rsplit("/", 1)[-1].removesuffix(".csv")
    return stem if stem in ALL else None
