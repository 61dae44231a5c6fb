"""Tiny parks for the engine tests: a driver index from a few dicts, candidates from a few."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from idgap.matching.engine import match_candidates
from idgap.matching.index import build_driver_index

PARK = "08e20910d81d42658d4334d3f6d10ac0"
OTHER = "ffffffffffffffffffffffffffffffff"
LEAD_DAY = dt.date(2026, 1, 10)
NEAR = "2026-01-12"  # hired two days after the lead: inside every window

DRIVER_DEFAULTS = {
    "park_id": PARK,
    "phone": None,
    "license_number": None,
    "full_name": None,
    "car_number": None,
    "car_brand": None,
    "car_model": None,
    "hire_date": NEAR,
}
CANDIDATE_COLUMNS = (
    "phone_raw", "license_raw", "name_raw", "plate_raw", "model_raw", "given_raw", "surname_raw",
)  # fmt: skip


def index_of(*rows: dict) -> pl.DataFrame:
    frame = pl.DataFrame([{**DRIVER_DEFAULTS, **r} for r in rows], infer_schema_length=None)
    return build_driver_index(frame)


def candidate(
    pk: str | None = "L1",
    *,
    name: str | None = None,
    plate: str | None = None,
    phone: str | None = None,
    license: str | None = None,
    model: str | None = None,
    day: dt.date | None = LEAD_DAY,
    table: str = "module_ct_cabinet_leads",
    given: str | None = None,
    surname: str | None = None,
) -> dict:
    """`given` and `surname`: the form's name fields (first + middle, last); `name` defaults
    to them joined."""
    if name is None and (given or surname):
        name = " ".join(p for p in (given, surname) if p)
    return {
        "source_table": table,
        "source_pk": pk,
        "lead_date": day,
        "phone_raw": phone,
        "license_raw": license,
        "name_raw": name,
        "plate_raw": plate,
        "model_raw": model,
        "given_raw": given,
        "surname_raw": surname,
    }


def frame_of(*cands: dict) -> pl.DataFrame:
    schema = {
        "source_table": pl.Utf8,
        "source_pk": pl.Utf8,
        "lead_date": pl.Date,
        **{c: pl.Utf8 for c in CANDIDATE_COLUMNS},
    }
    return pl.DataFrame(list(cands), schema=schema)


def decide(
    cand: dict, index: pl.DataFrame, ruleset: str = "idgap", *, linked: list[str] | None = None
) -> dict:
    """The single decision row for one candidate, JSON columns parsed."""
    row = match_candidates(
        frame_of(cand), index, ruleset=ruleset, index_version="v", linked_drivers=linked or ()
    ).row(0, named=True)
    row["evidence"] = json.loads(row["evidence_json"])
    row["candidates"] = json.loads(row["candidates_json"])
    return row
