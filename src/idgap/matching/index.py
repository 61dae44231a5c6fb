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
    """Hash of a driver's raw inputs: an unchanged row keeps its normalised form."""
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
        hire = (
            pl.col("hire_date").cast(pl.Utf8).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        )
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


def update_driver_index(index: pl.DataFrame, drivers: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Re-normalise only drivers that are new or whose raw inputs changed."""
    hashes = drivers.select("driver_id").with_columns(row_hash=raw_hash(drivers))
    known = index.select("driver_id", "row_hash")
    changed_ids = hashes.join(known, on=["driver_id", "row_hash"], how="anti")["driver_id"]
    if changed_ids.len() == 0:
        return index, 0
    fresh = build_driver_index(drivers.filter(pl.col("driver_id").is_in(changed_ids.implode())))
    kept = index.filter(~pl.col("driver_id").is_in(changed_ids.implode()))
    return pl.concat([kept, fresh.select(kept.columns)]), changed_ids.len()


def index_version(index: pl.DataFrame) -> str:
    """Content hash: changes whenever any driver's normalised inputs change (order-free)."""
    if index.height == 0:
        return "empty"
    per_row = index.select(
        pl.concat_str([pl.col("driver_id"), pl.col("row_hash")], separator=":").hash(seed=11)
    ).to_series()
    return hashlib.sha256(per_row.sort().to_numpy().tobytes()).hexdigest()[:16]
