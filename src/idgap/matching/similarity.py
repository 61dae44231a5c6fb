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
    edit similarity with transpositions >= 0.8 counts, weighted by that similarity); the result
    averages
    coverage of the shorter and of the longer name, like the reference formula.
    """
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    short, long_ = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    exact = short & long_
    matched = float(len(exact))
    unused = [t for t in long_ if t not in exact]
    for tok in short - exact:  # only the tokens that differ pay for an edit distance
        best, best_tok = 0.0, None
        for other in unused:
            s = OSA.normalized_similarity(tok, other)
            if s > best:
                best, best_tok = s, other
        if best >= 0.8 and best_tok is not None:
            unused.remove(best_tok)
            matched += best
    return (matched / len(short) + matched / len(long_)) / 2
