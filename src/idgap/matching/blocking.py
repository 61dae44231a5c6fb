"""Blocking joins: every (candidate, driver) pair that shares a phone, license, plate or name."""

from __future__ import annotations

import polars as pl

from idgap.matching.name_keys import name_block
from idgap.matching.normalize import name_tokens
from idgap.matching.plates import deletion_keys
from idgap.matching.prepared import PreparedIndex
from idgap.matching.settings import MatchSettings
from idgap.matching.similarity import ct4_similarity_expr, token_signature

PAIR_INDEX_COLUMNS = (
    "driver_id", "park_id", "phone_norm", "license_norm", "plate_norm", "name_norm",
    "brand_norm", "model_norm", "hire_date",
)  # fmt: skip
EMPTY = {"ci": pl.UInt32, "di": pl.UInt32}
TF_COLUMNS = ("n_plate_norm", "n_phone_norm", "n_license_norm")  # prepared.SHARED counts


def _found_by_identifier(
    cands: pl.DataFrame, ix: PreparedIndex, blocks: list[pl.DataFrame], target: str
) -> pl.Series:
    """Candidates an identifier block found in the target park with a compatible name: no
    name search for them.

    A plate or phone that hits only strangers (a sold car, a recycled number) or only another
    park's account must not stop the search for the lead's own target-park account by name.
    """
    pairs = pl.concat(blocks).unique()
    pairs = pairs.filter(ix.accounts(pairs["di"], "park_id").to_series() == target)
    names = pairs.join(cands.select("ci", "name_tokens"), on="ci")
    names = names.with_columns(
        d_tokens=name_tokens(ix.accounts(names["di"], "name_norm").to_series())
    )
    compatible = names.filter(ct4_similarity_expr("name_tokens", "d_tokens") >= 0.5)
    return compatible["ci"].unique()


def _name_block(cands: pl.DataFrame, ix: PreparedIndex, found: pl.Series) -> pl.DataFrame:
    todo = cands.filter(
        ~pl.col("ci").is_in(found.implode()) & (pl.col("name_tokens").list.len() >= 2)
    )
    return name_block(todo, ix)


def _plate_block(cands: pl.DataFrame, ix: PreparedIndex, cap: int) -> pl.DataFrame:
    """Plates within look-alike characters plus one edit: shared deletion-neighbourhood keys
    (plates.py), each key capped like every block."""
    keys = deletion_keys(cands, "ci", "plate_skel")
    if keys.height == 0:
        return pl.DataFrame(schema=EMPTY)
    side = ix.plate_keys.filter(pl.col("key").is_in(keys["key"].unique().implode()))
    small = side.group_by("key").agg(n=pl.len()).filter(pl.col("n") <= cap).select("key")
    pairs = keys.join(side.join(small, on="key"), on="key").select("ci", "di").unique()
    lead = cands.select(
        "ci", "plate_skel", "name_tokens", sig=token_signature(pl.col("name_tokens"))
    )
    both = pairs.join(lead, on="ci")
    both = both.with_columns(
        skel_d=ix.frame["plate_skel"].gather(both["di"]),
        sig_d=ix.name_signatures.gather(both["di"]),
    )
    same = pl.col("plate_skel") == pl.col("skel_d")
    return pl.concat(
        [both.filter(same).select("ci", "di"), _sharing_a_token(both.filter(~same), ix)]
    )


def _sharing_a_token(pairs: pl.DataFrame, ix: PreparedIndex) -> pl.DataFrame:
    """(ci, di) of the pairs whose names share a token. In a dense plate space every plate has
    strangers one edit away: a near (not look-alike only) plate is a candidate only then.
    The token signatures (`sig`, `sig_d`) rule out most pairs before the tokens are compared."""
    maybe = pairs.filter((pl.col("sig") & pl.col("sig_d")) != 0)
    name_d = name_tokens(ix.frame["name_norm"].gather(maybe["di"]))
    shares = pl.col("name_tokens").list.set_intersection(name_d).list.len() > 0
    return maybe.filter(shares.fill_null(False)).select("ci", "di")


def _block(
    cands: pl.DataFrame, index: pl.DataFrame, left: str, right: str, cap: int
) -> pl.DataFrame:
    keys = cands.select("ci", pl.col(left).alias("k")).drop_nulls("k").filter(pl.col("k") != "")
    if keys.height == 0:
        return pl.DataFrame(schema=EMPTY)
    wanted = keys["k"].unique().implode()
    side = index.select("di", pl.col(right).alias("k")).filter(pl.col("k").is_in(wanted))
    small = side.group_by("k").agg(pl.len().alias("n")).filter(pl.col("n") <= cap).select("k")
    return keys.join(side.join(small, on="k"), on="k").select("ci", "di")


def candidate_pairs(
    cands: pl.DataFrame, ix: PreparedIndex, settings: MatchSettings, *, by_name: bool
) -> pl.DataFrame:
    """Union of the blocks, with both sides' normalised columns side by side (driver ones `_d`).

    `by_name` (idgap): fuzzy plates by deletion neighbourhood and the name search; otherwise
    (ct4) plates by their look-alike skeleton only."""
    cap, index = settings.max_block_size, ix.frame
    plates = (
        _plate_block(cands, ix, cap) if by_name
        else _block(cands, index, "plate_skel", "plate_skel", cap)
    )  # fmt: skip
    blocks = [
        _block(cands, index, "phone_norm", "phone_norm", cap),
        _block(cands, index, "license_norm", "license_norm", cap),
        plates,
    ]
    if by_name:
        blocks.append(_block(cands, index, "name_key", "name_key", cap))
        found = _found_by_identifier(cands, ix, blocks[:3], settings.target_park_id)
        blocks.append(_name_block(cands, ix, found))
        blocks.append(_sibling_block(pl.concat(blocks).unique(), ix, cap))
    # in a fixed order: a candidate's probabilities are sums over its pairs, and a sum in
    # another order may differ in its last bit (slices, reruns)
    pairs = pl.concat(blocks).unique().sort("ci", "di")
    return pair_frame(pairs, cands, ix, settings)


def _sibling_block(pairs: pl.DataFrame, ix: PreparedIndex, cap: int) -> pl.DataFrame:
    """Accounts sharing a phone or a licence with an account already found: a re-created
    account of the same person is a candidate even when its own plate or name block missed it
    (a new plate, a crowded plate key)."""
    parts = []
    for col in ("phone_norm", "license_norm"):
        shared = ix.shared_identifiers(col).filter(pl.col("n") <= cap).select("di", "k")
        found = pairs.join(shared, on="di").select("ci", "k")
        parts.append(found.join(shared, on="k").select("ci", "di"))
    return pl.concat(parts)


CANDIDATE_PAIR_COLUMNS = (
    "lead_date", "phone_norm", "license_norm", "plate_norm", "name_tokens", "model_norm",
    "given_token", "surname_token",
)  # fmt: skip


def pair_frame(
    pairs: pl.DataFrame, cands: pl.DataFrame, ix: PreparedIndex, settings: MatchSettings
) -> pl.DataFrame:
    """(ci, di) pairs with both sides' columns and the exact-equality flags the rulesets read."""
    extra = [c for c in ("flag_band",) if c in cands.columns]
    cand_cols = cands.select("ci", *CANDIDATE_PAIR_COLUMNS, *extra)
    joined = pairs.join(cand_cols, on="ci", maintain_order="left")
    drv = ix.accounts(
        joined["di"], *[pl.col(c).alias(f"{c}_d") for c in PAIR_INDEX_COLUMNS], *TF_COLUMNS
    )
    return pl.concat([joined, drv], how="horizontal").with_columns(
        name_tokens_d=_tokens("name_norm_d"),
        phone_eq=(pl.col("phone_norm") == pl.col("phone_norm_d")).fill_null(False),
        license_eq=(pl.col("license_norm") == pl.col("license_norm_d")).fill_null(False),
        phone_both=pl.col("phone_norm").is_not_null() & pl.col("phone_norm_d").is_not_null(),
        license_both=pl.col("license_norm").is_not_null() & pl.col("license_norm_d").is_not_null(),
        plate_exact=(pl.col("plate_norm") == pl.col("plate_norm_d")).fill_null(False),
        hire_days=(pl.col("hire_date_d") - pl.col("lead_date")).dt.total_days(),
        target=pl.col("park_id_d") == settings.target_park_id,
    )


def _tokens(col: str) -> pl.Expr:
    return name_tokens(pl.col(col))
