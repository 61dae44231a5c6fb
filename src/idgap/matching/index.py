"""The driver index: `drivers` normalised once, in bulk, with a content version."""

from __future__ import annotations

import hashlib

import polars as pl

from idgap.matching import normalize as nz

RAW_COLUMNS = (
    "driver_id", "park_id", "phone", "license_number", "license_normalized_number", "full_name",
    "first_name", "middle_name", "last_name", "car_number", "car_normalized_number", "car_brand",
    "car_model", "hire_date",
)  # fmt: skip
INDEX_COLUMNS = (
    "driver_id", "park_id", "phone_norm", "license_norm", "plate_norm", "name_norm",
    "brand_norm", "model_norm", "hire_date", "row_hash",
)  # fmt: skip


def _text(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Utf8).fill_null("")


def _coalesce_text(a: str, b: str) -> pl.Expr:
    return pl.when(_text(a).str.strip_chars() != "").then(_text(a)).otherwise(_text(b))


def raw_hash(df: pl.DataFrame) -> pl.Series:
    """Hash of a driver's raw inputs: an unchanged row keeps its normalised form.

    An in-memory (Polars) hash, compared only against hashes made by the same code; the stored
    `index_version` uses a stable hash instead."""
    parts = [_text(c) if c in df.columns else pl.lit("") for c in RAW_COLUMNS]
    joined = pl.concat_str(parts, separator="\x1f")
    return df.select(joined.hash(seed=7).cast(pl.Utf8).alias("row_hash"))["row_hash"]


def build_driver_index(drivers: pl.DataFrame) -> pl.DataFrame:
    """Normalise raw `drivers` columns into the index frame (ARCHITECTURE.md)."""
    for col in RAW_COLUMNS:
        if col not in drivers.columns:
            drivers = drivers.with_columns(pl.lit(None, dtype=pl.Utf8).alias(col))
    hire = pl.col("hire_date")
    if drivers.schema["hire_date"] != pl.Date:
        hire = nz.parse_date_text(pl.col("hire_date"))
    full = (
        pl.when(_text("full_name").str.strip_chars() != "")
        .then(_text("full_name"))
        .otherwise(nz.join_name("first_name", "middle_name", "last_name"))
    )
    return drivers.with_columns(row_hash=raw_hash(drivers)).select(
        pl.col("driver_id").cast(pl.Utf8),
        pl.col("park_id").cast(pl.Utf8),
        phone_norm=nz.phone(pl.col("phone")),
        license_norm=nz.alnum(_coalesce_text("license_normalized_number", "license_number")),
        plate_norm=nz.alnum(_coalesce_text("car_normalized_number", "car_number")),
        name_norm=nz.name(full),
        brand_norm=nz.model(pl.col("car_brand")),
        model_norm=nz.model(pl.col("car_model")),
        hire_date=hire,
        row_hash=pl.col("row_hash"),
    )


def changed_driver_ids(index: pl.DataFrame, drivers: pl.DataFrame) -> pl.Series:
    """Ids of drivers that are new or whose raw inputs differ from what the index holds."""
    hashes = drivers.select(pl.col("driver_id").cast(pl.Utf8)).with_columns(
        row_hash=raw_hash(drivers)
    )
    known = index.select("driver_id", "row_hash")
    return hashes.join(known, on=["driver_id", "row_hash"], how="anti")["driver_id"]


def update_driver_index(index: pl.DataFrame, changed_drivers: pl.DataFrame) -> pl.DataFrame:
    """Re-normalise only drivers that are new or whose raw inputs changed; others are kept.

    `changed_drivers` may be the whole `drivers` table or just the rows that changed.
    """
    changed_ids = changed_driver_ids(index, changed_drivers)
    if changed_ids.len() == 0:
        return index
    wanted = changed_ids.implode()
    fresh = build_driver_index(
        changed_drivers.filter(pl.col("driver_id").cast(pl.Utf8).is_in(wanted))
    )
    kept = index.filter(~pl.col("driver_id").is_in(wanted))
    return pl.concat([kept, fresh.select(kept.columns)])


CONTENT_COLUMNS = INDEX_COLUMNS[:-1]  # everything but row_hash: the normalised content


def index_version(index: pl.DataFrame) -> str:
    """Content hash of the normalised drivers, order-free and stable across processes and
    library versions (sha256 of the sorted rows' bytes, not an in-memory hash)."""
    if index.height == 0:
        return "empty"
    cols = [pl.col(c).cast(pl.Utf8).fill_null("\x00") for c in CONTENT_COLUMNS]
    rows = index.select(pl.concat_str(cols, separator="\x1f").sort().alias("r"))["r"]
    digest = hashlib.sha256()
    for start in range(0, rows.len(), 100_000):  # bounded memory: one slice of text at a time
        digest.update(rows.slice(start, 100_000).str.join("\n").item().encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]
