"""Name similarity: the reference formula and idgap's typo-tolerant variant."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from rapidfuzz.distance import OSA


def ct4_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """REF §3.1: (jaccard + overlap) / 2 on token sets; 0 when either side is empty."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    return (inter / len(sa | sb) + inter / max(len(sa), len(sb))) / 2


def ct4_similarity_expr(a: str, b: str) -> pl.Expr:
    """The same formula as a vectorised expression over two List[Utf8] columns."""
    ua, ub = pl.col(a).list.unique(), pl.col(b).list.unique()
    inter = ua.list.set_intersection(ub).list.len().cast(pl.Float64)
    union = ua.list.set_union(ub).list.len().cast(pl.Float64)
    big = pl.max_horizontal(ua.list.len(), ub.list.len()).cast(pl.Float64)
    sim = (inter / union + inter / big) / 2
    return pl.when((ua.list.len() > 0) & (ub.list.len() > 0)).then(sim).otherwise(0.0)


def fuzzy_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Order-free token alignment that forgives one typo per token and a missing surname.

    Each token of the shorter name takes its best unused partner in the longer one (normalised
    edit similarity with transpositions >= 0.8 counts, weighted by that similarity); the result averages
    coverage of the shorter and of the longer name, like the reference formula.
    """
    if not a or not b:
        return 0.0
    short, long_ = (list(a), list(b)) if len(a) <= len(b) else (list(b), list(a))
    used: set[int] = set()
    matched = 0.0
    for tok in short:
        best, best_j = 0.0, -1
        for j, other in enumerate(long_):
            if j in used:
                continue
            s = 1.0 if tok == other else OSA.normalized_similarity(tok, other)
            if s > best:
                best, best_j = s, j
        if best >= 0.8:
            used.add(best_j)
            matched += best
    return (matched / len(short) + matched / len(long_)) / 2
