"""Blocking joins: every (candidate, driver) pair that shares a phone, license, plate or name."""

from __future__ import annotations

import weakref

import polars as pl

from idgap.matching.name_keys import index_name_keys, name_block
from idgap.matching.normalize import name_tokens, plate_skeleton
from idgap.matching.settings import MatchSettings
from idgap.matching.similarity import ct4_similarity_expr

PAIR_INDEX_COLUMNS = (
    "driver_id", "park_id", "phone_norm", "license_norm", "plate_norm", "name_norm",
    "brand_norm", "model_norm", "hire_date",
)  # fmt: skip


# per index object (weakly held): its prepared form, and the prepared form's name keys
_prepared: dict[int, tuple[weakref.ref, pl.DataFrame]] = {}
_keys: dict[int, tuple[weakref.ref, pl.DataFrame]] = {}


def _cached(cache: dict, frame: pl.DataFrame) -> pl.DataFrame | None:
    for key in [k for k, (ref, _) in cache.items() if ref() is None]:
        del cache[key]
    hit = cache.get(id(frame))
    return hit[1] if hit and hit[0]() is frame else None


def prepare_index(index: pl.DataFrame, *, name_keys: bool = True) -> pl.DataFrame:
    """Add the blocking keys once per index (not per matching call); cached per index object.

    `name_keys=False` defers the name keys (only idgap's name search reads them) to first use.
    """
    if "plate_skel" in index.columns:
        if name_keys:
            _name_keys(index)
        return index
    prepared = _cached(_prepared, index)
    if prepared is None:
        prepared = index.with_row_index("di").with_columns(
            plate_skel=plate_skeleton(pl.col("plate_norm")),
            name_key=_sorted_name_key("name_norm"),
        )
        _prepared[id(index)] = (weakref.ref(index), prepared)
    if name_keys:
        _name_keys(prepared)
    return prepared


def _name_keys(prepared: pl.DataFrame) -> pl.DataFrame:
    """Name keys of a prepared index, built on first use and kept while the index lives."""
    keys = _cached(_keys, prepared)
    if keys is None:
        keys = index_name_keys(prepared, name_tokens(pl.col("name_norm")), NAME_KEY_CAP)
        _keys[id(prepared)] = (weakref.ref(prepared), keys)
    return keys


NAME_KEY_CAP = 50  # a name key shared by more drivers (JUAN QUISPE) identifies nobody


def _found_by_identifier(
    cands: pl.DataFrame, index: pl.DataFrame, blocks: list[pl.DataFrame], target: str
) -> pl.Series:
    """Candidates an identifier block found in the target park with a compatible name: no
    name search for them.

    A plate or phone that hits only strangers (a sold car, a recycled number) or only another
    park's account must not stop the search for the lead's own target-park account by name.
    """
    pairs = pl.concat(blocks).unique()
    names = (
        pairs.join(cands.select("ci", "name_tokens"), on="ci")
        .join(index.select("di", "name_norm", "park_id"), on="di")
        .filter(pl.col("park_id") == target)
        .with_columns(d_tokens=_tokens("name_norm"))
    )
    compatible = names.filter(ct4_similarity_expr("name_tokens", "d_tokens") >= 0.5)
    return compatible["ci"].unique()


def _name_block(cands: pl.DataFrame, index: pl.DataFrame, found: pl.Series) -> pl.DataFrame:
    todo = cands.filter(
        ~pl.col("ci").is_in(found.implode()) & (pl.col("name_tokens").list.len() >= 2)
    )
    return name_block(todo, index, _name_keys(index))


def _sorted_name_key(col: str) -> pl.Expr:
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
        found = _found_by_identifier(cands, index, blocks[:3], settings.target_park_id)
        blocks.append(_name_block(cands, index, found))
    pairs = pl.concat(blocks).unique()
    drv = index.select("di", *[pl.col(c).alias(f"{c}_d") for c in PAIR_INDEX_COLUMNS])
    cand_cols = cands.select(
        "ci", "lead_date", "phone_norm", "license_norm", "plate_norm", "name_tokens", "model_norm"
    )
    joined = pairs.join(cand_cols, on="ci").join(drv, on="di")
    joined = joined.with_columns(name_tokens_d=_tokens("name_norm_d"))
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
    # only what the rulesets read
    return out.select(
        "ci",
        "name_tokens",
        "plate_norm",
        "model_norm",
        "driver_id_d",
        "park_id_d",
        "plate_norm_d",
        "brand_norm_d",
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
    return name_tokens(pl.col(col))
