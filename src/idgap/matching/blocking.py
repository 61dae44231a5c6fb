"""Blocking joins: every (candidate, driver) pair that shares a phone, license, plate or name."""

from __future__ import annotations

import polars as pl

from idgap.matching.normalize import plate_skeleton
from idgap.matching.settings import MatchSettings

PAIR_INDEX_COLUMNS = (
    "driver_id", "park_id", "phone_norm", "license_norm", "plate_norm", "name_norm",
    "model_norm", "hire_date",
)  # fmt: skip


def prepare_index(index: pl.DataFrame) -> pl.DataFrame:
    """Add the blocking keys once per index (not per matching call)."""
    if "plate_skel" in index.columns:
        return index
    return index.with_row_index("di").with_columns(
        plate_skel=plate_skeleton(pl.col("plate_norm")),
        name_key=_sorted_name_key("name_norm"),
    )


def _sorted_name_key(col: str) -> pl.Expr:
    from idgap.matching.normalize import name_tokens

    return name_tokens(pl.col(col)).list.sort().list.join(" ")


def _block(
    cands: pl.DataFrame, index: pl.DataFrame, left: str, right: str, cap: int
) -> pl.DataFrame:
    keys = cands.select("ci", pl.col(left).alias("k")).drop_nulls("k").filter(pl.col("k") != "")
    if keys.height == 0:
        return pl.DataFrame(schema={"ci": pl.UInt32, "di": pl.UInt32})
    wanted = keys["k"].unique().implode()
    side = index.select("di", pl.col(right).alias("k")).filter(pl.col("k").is_in(wanted))
    small = side.group_by("k").agg(pl.len().alias("n")).filter(pl.col("n") <= cap).select("k")
    return keys.join(side.join(small, on="k"), on="k").select("ci", "di")


def candidate_pairs(
    cands: pl.DataFrame, index: pl.DataFrame, settings: MatchSettings, *, by_name: bool
) -> pl.DataFrame:
    """Union of the blocks, with both sides' normalised columns side by side (driver ones `_d`)."""
    cap = settings.max_block_size
    blocks = [
        _block(cands, index, "phone_norm", "phone_norm", cap),
        _block(cands, index, "license_norm", "license_norm", cap),
        _block(cands, index, "plate_skel", "plate_skel", cap),
    ]
    if by_name:
        blocks.append(_block(cands, index, "name_key", "name_key", cap))
    pairs = pl.concat(blocks).unique()
    drv = index.select("di", *[pl.col(c).alias(f"{c}_d") for c in PAIR_INDEX_COLUMNS])
    drv = drv.with_columns(name_tokens_d=_tokens("name_norm_d"))
    cand_cols = cands.select(
        "ci", "lead_date", "phone_norm", "license_norm", "plate_norm", "name_tokens", "model_norm"
    )
    joined = pairs.join(cand_cols, on="ci").join(drv, on="di")
    out = joined.with_columns(
        phone_eq=(pl.col("phone_norm") == pl.col("phone_norm_d")).fill_null(False),
        license_eq=(pl.col("license_norm") == pl.col("license_norm_d")).fill_null(False),
        plate_exact=(pl.col("plate_norm") == pl.col("plate_norm_d")).fill_null(False),
        plate_conf=(
            (plate_skeleton(pl.col("plate_norm")) == plate_skeleton(pl.col("plate_norm_d")))
            & (pl.col("plate_norm") != pl.col("plate_norm_d"))
        ).fill_null(False),
        hire_days=(pl.col("hire_date_d") - pl.col("lead_date")).dt.total_days(),
        target=pl.col("park_id_d") == settings.target_park_id,
    )
    # only what the rulesets read; candidate-side columns stay on the candidate row
    return out.select(
        "ci",
        "driver_id_d",
        "park_id_d",
        "plate_norm_d",
        "model_norm_d",
        "name_tokens_d",
        "phone_eq",
        "license_eq",
        "plate_exact",
        "plate_conf",
        "hire_days",
        "target",
    )


def _tokens(col: str) -> pl.Expr:
    from idgap.matching.normalize import name_tokens

    return name_tokens(pl.col(col))
