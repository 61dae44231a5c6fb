"""Source rows -> the canonical candidates frame the engine consumes (ARCHITECTURE.md)."""

from __future__ import annotations

import polars as pl

from idgap.matching.activity import FLAG_COLUMNS, flag_band
from idgap.matching.normalize import join_name, parse_date_text

LEADS = "module_ct_cabinet_leads"
SCOUTING = "module_ct_scouting_daily"


def _as_date(col: str) -> pl.Expr:
    return parse_date_text(pl.col(col))


def _date_error(df: pl.DataFrame, raw: str, parsed: pl.Expr) -> pl.Expr:
    """A date text was given but fits no accepted format (-> INVALID_DATE_FORMAT)."""
    if raw not in df.columns or df.schema[raw] == pl.Date:
        return pl.lit(False)
    text = pl.col(raw).cast(pl.Utf8).fill_null("").str.strip_chars()
    return (text != "") & parsed.is_null()


def with_flags(df: pl.DataFrame) -> pl.DataFrame:
    """Yango's activity flags as columns: kept as they are, or lifted out of `idgap_extra`
    (the stored table keeps source columns it has no column for there, as JSON)."""
    if any(c in df.columns for c in FLAG_COLUMNS) or "idgap_extra" not in df.columns:
        return df
    extra = df.schema["idgap_extra"]
    if isinstance(extra, pl.Struct):
        names = {f.name for f in extra.fields}
        lifted = [
            pl.col("idgap_extra").struct.field(c).alias(c) for c in FLAG_COLUMNS if c in names
        ]
    elif extra == pl.Utf8:
        lifted = [
            pl.col("idgap_extra").str.json_path_match(f"$.{c}").alias(c) for c in FLAG_COLUMNS
        ]
    else:
        lifted = []
    return df.with_columns(lifted) if lifted else df


def leads_to_candidates(df: pl.DataFrame) -> pl.DataFrame:
    """Cabinet leads (raw CSV columns or the stored table) -> candidates, with the band their
    activity flags claim (`flag_band`, activity.py; null when the lead has no flags)."""
    df = with_flags(df)
    if "lead_id" in df.columns:
        pk = pl.col("lead_id").cast(pl.Utf8)
    else:
        ext = pl.col("external_id").cast(pl.Utf8).fill_null("").str.strip_chars()
        pk = pl.when(ext != "").then(ext).otherwise(pl.col("id").cast(pl.Utf8))
    date = (
        pl.col("lead_date")
        if "lead_date" in df.columns and df.schema["lead_date"] == pl.Date
        else _as_date("lead_created_at")
    )
    return df.select(
        source_table=pl.lit(LEADS),
        source_pk=pk,
        lead_date=date,
        phone_raw=pl.col("park_phone").cast(pl.Utf8),
        license_raw=pl.lit(None, dtype=pl.Utf8),
        name_raw=join_name("first_name", "middle_name", "last_name"),
        given_raw=join_name("first_name", "middle_name"),
        surname_raw=pl.col("last_name").cast(pl.Utf8),
        plate_raw=pl.col("asset_plate_number").cast(pl.Utf8),
        model_raw=pl.col("asset_model").cast(pl.Utf8),
        date_error=_date_error(df, "lead_created_at", date),
        flag_band=flag_band(df),
    )


def scouting_to_candidates(df: pl.DataFrame) -> pl.DataFrame:
    """Scouting rows go through the same engine: phone, license and name, no car."""
    date = (
        pl.col("registration_date")
        if df.schema["registration_date"] == pl.Date
        else _as_date("registration_date")
    )
    return df.select(
        source_table=pl.lit(SCOUTING),
        source_pk=pl.col("id").cast(pl.Utf8),
        lead_date=date,
        phone_raw=pl.col("driver_phone").cast(pl.Utf8),
        license_raw=pl.col("driver_license").cast(pl.Utf8),
        name_raw=pl.col("driver_name").cast(pl.Utf8),
        given_raw=pl.lit(None, dtype=pl.Utf8),  # one name field: no structure
        surname_raw=pl.lit(None, dtype=pl.Utf8),
        plate_raw=pl.lit(None, dtype=pl.Utf8),
        model_raw=pl.lit(None, dtype=pl.Utf8),
        date_error=_date_error(df, "registration_date", date),
        flag_band=pl.lit(None, dtype=pl.Int8),
    )
