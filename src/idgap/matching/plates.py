"""Plates: confusable-aware comparison and deletion-neighbourhood blocking.

A plate reader or a typist confuses look-alike characters (O/0/Q/D, I/1/L/7/T, B/8, S/5, Z/2,
G/6, A/4, E/F, U/V, M/N): the *skeleton* maps each class to one character, so such confusions
cost nothing on it. One further edit (an adjacent transposition, a dropped or inserted
character, another substitution) is found by blocking on the skeleton's deletion
neighbourhood: two strings within one such edit share the skeleton or a one-deletion variant
(a transposition `AB`/`BA` loses the same character either way). No full scan: equi-joins on
hashed keys only.
"""

from __future__ import annotations

import polars as pl
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

# each class collapses to its first character; T/7 and I/1/L/7 chain into one class
CONFUSABLE_CLASSES = ("0OQD", "1IL7T", "8B", "5S", "2Z", "6G", "4A", "EF", "UV", "MN")
_FROM = [c for cls in CONFUSABLE_CLASSES for c in cls[1:]]
_TO = [cls[0] for cls in CONFUSABLE_CLASSES for _ in cls[1:]]
MAX_PLATE = 10  # longer texts are not plates: no deletion keys for them


def skeleton(plate: pl.Expr) -> pl.Expr:
    """The plate with every confusable class collapsed (the blocking and comparison key)."""
    return plate.str.replace_many(_FROM, _TO)


def deletion_keys(df: pl.DataFrame, id_col: str, skel_col: str) -> pl.DataFrame:
    """(id, key): the skeleton itself and each of its distinct one-character deletions,
    hashed. Deleting either of two equal neighbours gives the same string (and only then do
    two deletions agree), so a deletion is skipped when its character repeats the previous
    one: no duplicates to remove afterwards (a `unique` over the index's seven million keys
    was most of its build time and memory)."""
    base = df.select(id_col, s=pl.col(skel_col)).drop_nulls("s")
    base = base.filter(pl.col("s").str.len_chars().is_between(4, MAX_PLATE))
    parts = [base.select(id_col, key=pl.col("s").hash(seed=3))]
    for i in range(MAX_PLATE):
        s = pl.col("s")
        deleted = pl.concat_str(s.str.slice(0, i), s.str.slice(i + 1))
        new = s.str.len_chars() > i
        if i > 0:
            new &= s.str.slice(i, 1) != s.str.slice(i - 1, 1)
        parts.append(base.filter(new).select(id_col, key=deleted.hash(seed=3)))
    return pl.concat(parts)


def skeleton_distance(pairs: pl.DataFrame) -> pl.Series:
    """OSA distance (a transposition is one edit) between the two plates' skeletons; null when
    a side has no plate. Computed only where both plates exist, in rapidfuzz's parallel loop."""
    sk = pairs.select(a=skeleton(pl.col("plate_norm")), b=skeleton(pl.col("plate_norm_d")))
    both = (sk["a"].is_not_null() & sk["b"].is_not_null()).arg_true()
    out = pl.Series("plate_dist", [None] * pairs.height, dtype=pl.Int32)
    if both.len() == 0:
        return out
    dist = cpdist(
        sk["a"].gather(both).to_list(), sk["b"].gather(both).to_list(),
        scorer=OSA.distance, workers=-1,
    )  # fmt: skip
    return out.scatter(both, pl.Series(dist, dtype=pl.Int32))
