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
    prepared = index.with_row_index("di").with_columns(
        plate_skel=plate_skeleton(pl.col("plate_norm")),
        name_key=_sorted_name_key("name_norm"),
    )
    _index_name_pairs(prepared)  # built once per index, not per matching call
    return prepared


NAME_PAIR_CAP = 50  # a token pair shared by more drivers (JUAN QUISPE) identifies nobody
NAME_PAIR_TOP = 5  # name-only drivers kept per candidate, by shared token pairs
_pairs_cache: list[tuple[pl.DataFrame, pl.DataFrame]] = []


def name_pair_keys(df: pl.DataFrame, id_col: str, tokens: pl.Expr) -> pl.DataFrame:
    """(id, key) for every pair of distinct name tokens: order-free and robust to a missing
    or misspelt token, since the other pairs still match."""
    t = (
        df.select(id_col, tok=tokens.list.unique().list.sort().list.head(5))
        .explode("tok")
        .drop_nulls("tok")
        .with_columns(pos=pl.int_range(pl.len()).over(id_col))
    )
    pairs = t.join(t, on=id_col, suffix="_b").filter(pl.col("pos") < pl.col("pos_b"))
    return pairs.select(id_col, key=pl.concat_str(["tok", "tok_b"], separator="|").hash(seed=5))


def _index_name_pairs(index: pl.DataFrame) -> pl.DataFrame:
    """Per index (cached): pair keys of blocks small enough to mean something."""
    for ix, pairs in _pairs_cache:
        if ix is index:
            return pairs
    from idgap.matching.normalize import name_tokens

    keys = name_pair_keys(index, "di", name_tokens(pl.col("name_norm")))
    small = keys.group_by("key").agg(pl.len().alias("n")).filter(pl.col("n") <= NAME_PAIR_CAP)
    pairs = keys.join(small.select("key"), on="key")
    _pairs_cache[:] = [*_pairs_cache[-1:], (index, pairs)]
    return pairs


def _name_block(cands: pl.DataFrame, index: pl.DataFrame, found: pl.Series) -> pl.DataFrame:
    todo = cands.filter(
        ~pl.col("ci").is_in(found.implode()) & (pl.col("name_tokens").list.len() >= 2)
    )
    if todo.height == 0:
        return pl.DataFrame(schema={"ci": pl.UInt32, "di": pl.UInt32})
    keys = name_pair_keys(todo, "ci", pl.col("name_tokens"))
    hits = (
        keys.join(_index_name_pairs(index), on="key")
        .group_by("ci", "di")
        .agg(pl.len().alias("shared"))
    )
    top = (
        hits.sort(["ci", "shared", "di"], descending=[False, True, False])
        .group_by("ci")
        .head(NAME_PAIR_TOP)
    )
    return top.select("ci", "di")


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
        strong = pl.concat(blocks[:3])["ci"].unique()
        blocks.append(_name_block(cands, index, strong))
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
