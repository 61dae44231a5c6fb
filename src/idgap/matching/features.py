"""Pair features the comparisons read, and the comparison levels of every pair (vectorised)."""

from __future__ import annotations

import math

import polars as pl
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from idgap.matching.activity import trips_band, window_trips
from idgap.matching.comparisons import Comparison
from idgap.matching.plates import skeleton_distance
from idgap.matching.prepared import PreparedIndex
from idgap.matching.similarity import (
    canonical_tokens,
    contained_of_sets,
    same_tokens_of_sets,
    similarity_of_sets,
    token_sets,
)

# what the decision step keeps of a pair (everything else is dropped after the levels)
KEPT = (
    "ci", "di", "target", "driver_id_d", "park_id_d", "hire_days", "hire_date_d", "name_sim",
    "flag_band", "log_tf_all", "log_tf_drop", "n_same_name", "name_shorter_d",
    "n_plate_norm", "n_phone_norm", "n_license_norm", "name_core", "phone_norm_d",
    "license_norm_d",
)  # fmt: skip


def name_frequencies(cands: pl.DataFrame, ix: PreparedIndex, population: int) -> pl.DataFrame:
    """Per candidate: log of its name tokens' frequency product (`log_tf_all`), the same
    without its rarest token (`log_tf_drop`), and how many accounts have its exact name."""
    toks = cands.select("ci", t=pl.col("name_tokens").list.unique()).explode("t").drop_nulls("t")
    freq = toks.join(ix.token_counts, on="t", how="left").with_columns(
        lf=(pl.col("n").fill_null(1.0).clip(lower_bound=1.0) / population).log()
    )
    per = freq.group_by("ci").agg(
        log_tf_all=pl.col("lf").sum(), log_tf_drop=pl.col("lf").sum() - pl.col("lf").min()
    )
    # the index's counts of these names only: a join would hash all of the index's names
    keys = cands.select("ci", "name_key")
    named = ix.name_key_counts.filter(pl.col("name_key").is_in(keys["name_key"].implode()))
    same = keys.join(named, on="name_key", how="left")
    counts = ix.token_counts
    words = cands.select(
        "ci", g=canonical_tokens(pl.concat_list("given_token")).list.first(), s="surname_token"
    )
    words = words.join(counts.rename({"t": "g", "n": "given_n"}), on="g", how="left")
    words = words.join(counts.rename({"t": "s", "n": "surname_n"}), on="s", how="left")
    return (
        cands.select("ci")
        .join(per, on="ci", how="left")
        .join(same.select("ci", "n_same_name"), on="ci", how="left")
        .join(words.select("ci", "given_n", "surname_n"), on="ci", how="left")
        .with_columns(pl.col("log_tf_all", "log_tf_drop").fill_null(math.log(1.0)))
        .with_columns(pl.col("given_n", "surname_n").fill_null(0.0))
    )


def pair_features(
    pairs: pl.DataFrame,
    tf: pl.DataFrame,
    trips: pl.DataFrame | None,
    windows: tuple[int, ...],
    typo_token_max: float = 0.0,
    typo_edits: int = 1,
) -> pl.DataFrame:
    """Name similarity and containment, plate distance, trips per window, tf columns."""
    if "flag_band" not in pairs.columns:
        pairs = pairs.with_columns(flag_band=pl.lit(None, dtype=pl.Int8))
    pairs = pairs.join(tf, on="ci", how="left").with_columns(
        name_tokens=canonical_tokens(pl.col("name_tokens")),
        name_tokens_d=canonical_tokens(pl.col("name_tokens_d")),
    )
    la, lb = pl.col("name_tokens").list.len(), pl.col("name_tokens_d").list.len()
    sets = token_sets(pairs, "name_tokens", "name_tokens_d")
    pairs = pairs.with_columns(
        name_sim=similarity_of_sets(sets).cast(pl.Float32),
        name_contained=contained_of_sets(sets),
        name_exact=same_tokens_of_sets(sets),
        name_known=(la > 0) & (lb > 0),
        name_shorter_d=lb < la,
        name_core=_core_agrees(pairs, typo_token_max, typo_edits),
        plate_dist=skeleton_distance(pairs),
    )
    return window_trips(pairs, trips, windows)


def _core_agrees(pairs: pl.DataFrame, typo_token_max: float, typo_edits: int) -> pl.Series:
    """The form's first given name and first surname both appear in the account's name: the
    tokens the two sides lack are a middle name or a second surname, not another given name
    (a brother) or another first surname. A form word that at most `typo_token_max` accounts
    carry is a misspelling, not a name: it appears when an account token is within a typo
    (JOSUE is a name of its own, CARLS is CARLOS). Null when the form has no name fields."""
    given = canonical_tokens(pl.concat_list("given_token")).list.first()
    ok = [
        _word_in(pairs, word, pl.col(count) <= typo_token_max, typo_edits)
        for word, count in ((given, "given_n"), (pl.col("surname_token"), "surname_n"))
    ]
    return (ok[0] & ok[1]).alias("name_core")


def _word_in(pairs: pl.DataFrame, word: pl.Expr, rare: pl.Expr, typo_edits: int) -> pl.Series:
    """Per pair: `word` is one of the account's tokens, or (when `rare`) within `typo_edits`
    edits of one (a transposition is one: RIUZ/RUIZ, LIUS/LUIS); null when the word is
    null."""
    f = pairs.select(w=word, d=pl.col("name_tokens_d"), rare=rare.fill_null(False))
    exact = f.select(pl.col("d").list.contains(pl.col("w")))
    out = pl.when(pl.col("w").is_not_null()).then(exact.to_series())
    todo = f.with_row_index("i").filter(
        pl.col("rare") & pl.col("w").is_not_null() & ~pl.col("d").list.contains(pl.col("w"))
    )
    base = f.select(out.alias("ok")).to_series()
    if todo.height == 0:
        return base
    rows = todo.select("i", "w", t="d").explode("t").drop_nulls("t")
    edits = cpdist(rows["w"].to_list(), rows["t"].to_list(), scorer=OSA.distance)
    near = rows.with_columns(edits=pl.Series(edits, dtype=pl.Int64)).filter(
        pl.col("edits") <= typo_edits
    )
    return base.scatter(near["i"].unique(), True)


def levelled(
    pairs: pl.DataFrame, comparisons: tuple[Comparison, ...], windows: tuple[int, ...]
) -> pl.DataFrame:
    """The kept columns, the trips per window and the level of every comparison but activity
    (its window is chosen from the data afterwards, `with_activity`)."""
    lv = [c.level_expr() for c in comparisons if c.name != "activity"]
    trips = [f"trips_{w}" for w in windows]
    return pairs.select(*KEPT, *trips, *lv)


def with_activity(pairs: pl.DataFrame, activity: Comparison, window: int) -> pl.DataFrame:
    trips = pl.col(f"trips_{window}")
    banded = pairs.with_columns(
        trips_band=pl.when(trips.is_not_null()).then(trips_band(trips)), trips_window=trips
    )
    return banded.with_columns(activity.level_expr())
