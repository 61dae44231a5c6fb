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


TYPO_MIN = 0.8  # normalised OSA similarity for two tokens to count as one with a typo


def fuzzy_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Order-free token alignment that forgives a typo per token and a missing surname.

    Identical tokens match first. Each remaining token of the shorter name then takes its most
    similar remaining token of the longer one (normalised edit similarity with transpositions
    >= 0.8, weighted by it; ties by spelling), and a token of the longer name serves one token
    only. The result averages the coverage of the shorter and of the longer name, like the
    reference formula. `scoring.name_similarity` is the vectorised form of this function.
    """
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    short, long_ = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    exact = short & long_
    best: dict[str, tuple[float, str]] = {}  # short token -> (similarity, long token)
    for tok in sorted(short - exact):
        options = [(OSA.normalized_similarity(tok, o), o) for o in sorted(long_ - exact)]
        good = [(-sim, o) for sim, o in options if sim >= TYPO_MIN]
        if good:
            neg, other = min(good)
            best[tok] = (-neg, other)
    served: dict[str, tuple[float, str]] = {}  # long token -> its best short token
    for tok, (sim, other) in sorted(best.items()):
        if other not in served or (-sim, tok) < (-served[other][0], served[other][1]):
            served[other] = (sim, tok)
    matched = len(exact) + sum(sim for sim, _ in served.values())
    return (matched / len(short) + matched / len(long_)) / 2
