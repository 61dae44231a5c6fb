"""Name similarity: the reference formula and idgap's typo-tolerant variant."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist


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


# Spanish given-name hypocoristics people register with (CHUCHO for JESUS): compared as the
# given name, on both sides alike (`canonical_tokens`)
NICKNAMES = {
    "PEPE": "JOSE", "CHEMA": "JOSE", "CHUCHO": "JESUS", "PACO": "FRANCISCO",
    "PANCHO": "FRANCISCO", "PACHO": "FRANCISCO", "NACHO": "IGNACIO", "LUCHO": "LUIS",
    "MEMO": "GUILLERMO", "BETO": "ALBERTO", "QUIQUE": "ENRIQUE", "RAFA": "RAFAEL",
    "TONO": "ANTONIO", "TONY": "ANTONIO", "ALEX": "ALEJANDRO", "JUANCHO": "JUAN",
    "LUPE": "GUADALUPE", "CHARO": "ROSARIO", "CONCHA": "CONCEPCION", "MANOLO": "MANUEL",
    "LALO": "EDUARDO", "CHELO": "CONSUELO", "PILI": "PILAR", "FER": "FERNANDO",
    "CARLITOS": "CARLOS", "DANI": "DANIEL", "SANTI": "SANTIAGO", "VICKY": "VICTORIA",
    "TAVO": "GUSTAVO", "RICHI": "RICARDO", "ROBER": "ROBERTO", "GOYO": "GREGORIO",
    "NICO": "NICOLAS", "TERE": "TERESA",
}  # fmt: skip


def canonical_tokens(tokens: pl.Expr) -> pl.Expr:
    """Name tokens with nicknames replaced by the given name they stand for."""
    return tokens.list.eval(pl.element().replace(NICKNAMES))


def token_signature(tokens: pl.Expr) -> pl.Expr:
    """A 64-bit set signature of a token list: one bit per token (by its hash), 0 for no
    token. Two lists that share a token have signatures sharing a bit; most that share none
    do not, so `a & b != 0` cheaply rules out most pairs before comparing the tokens."""
    bit = (pl.element().hash(seed=13) % 64).replace_strict(
        list(range(64)), [1 << i for i in range(64)], return_dtype=pl.UInt64
    )
    return tokens.list.eval(bit.bitwise_or()).list.first().fill_null(0)


TYPO_MIN = 0.8  # normalised OSA similarity for two tokens to count as one with a typo
INITIAL = 0.8  # a one-letter token (an initial, "FLOR AGUILAR G") and a token it starts


def token_similarity(a: str, b: str) -> float:
    """OSA similarity of two tokens; an initial and a token it starts count as INITIAL."""
    if (len(a) == 1 or len(b) == 1) and a[:1] == b[:1]:
        return INITIAL
    return OSA.normalized_similarity(a, b)


def fuzzy_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Order-free token alignment that forgives a typo per token and a missing surname.

    Identical tokens match first. Each remaining token of the shorter name then takes its most
    similar remaining token of the longer one (normalised edit similarity with transpositions
    >= 0.8, weighted by it; ties by spelling), and a token of the longer name serves one token
    only. The result averages the coverage of the shorter and of the longer name, like the
    reference formula. `name_similarity` is the vectorised form of this function.
    """
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    short, long_ = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    exact = short & long_
    best: dict[str, tuple[float, str]] = {}  # short token -> (similarity, long token)
    for tok in sorted(short - exact):
        options = [(token_similarity(tok, o), o) for o in sorted(long_ - exact)]
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


def token_sets(pairs: pl.DataFrame, a: str, b: str) -> pl.DataFrame:
    """Per row (`i`): both names' distinct tokens (`ua`, `ub`), how many (`short`, `long`,
    `a_short`: the first name is the shorter) and how many they share (`inter`). Every name
    comparison reads these; they are computed once."""
    f = pairs.select(ua=pl.col(a).list.unique(), ub=pl.col(b).list.unique()).with_row_index("i")
    la, lb = pl.col("ua").list.len(), pl.col("ub").list.len()
    return f.with_columns(
        short=pl.min_horizontal(la, lb).cast(pl.Float64),
        long=pl.max_horizontal(la, lb).cast(pl.Float64),
        inter=pl.col("ua").list.set_intersection("ub").list.len().cast(pl.Float64),
        a_short=la <= lb,
    )


def name_similarity(pairs: pl.DataFrame, a: str, b: str) -> pl.Series:
    """`similarity.fuzzy_similarity` for every row, vectorised: identical tokens by set
    operations, the remaining token pairs through rapidfuzz's parallel pairwise OSA."""
    return similarity_of_sets(token_sets(pairs, a, b))


def similarity_of_sets(f: pl.DataFrame) -> pl.Series:
    """`name_similarity` from the rows' `token_sets`."""
    bonus = _typo_bonus(f.filter((pl.col("short") > 0) & (pl.col("inter") < pl.col("short"))))
    matched = pl.col("inter") + pl.col("bonus").fill_null(0.0)
    sim = (matched / pl.col("short") + matched / pl.col("long")) / 2
    out = f.join(bonus, on="i", how="left").sort("i")
    return out.select(pl.when(pl.col("short") > 0).then(sim).otherwise(0.0)).to_series()


def _typo_bonus(f: pl.DataFrame) -> pl.DataFrame:
    """(i, bonus): summed similarity of the typo-matched token pairs of each row."""
    empty = pl.DataFrame(schema={"i": pl.UInt32, "bonus": pl.Float64})
    if f.height == 0:
        return empty
    s_col = pl.when("a_short").then("ua").otherwise("ub")
    l_col = pl.when("a_short").then("ub").otherwise("ua")
    left = f.select("i", s=s_col.list.set_difference(l_col)).explode("s")
    right = f.select("i", t=l_col.list.set_difference(s_col)).explode("t")
    rows = left.join(right, on="i").drop_nulls(["s", "t"]).filter(_may_be_typo())
    if rows.height == 0:
        return empty
    # edit counts, not rapidfuzz's float32 similarities: 1 - edits / longer in float64 is the
    # scalar OSA.normalized_similarity to the bit, so ties (a 0.8 typo against a 0.8 initial)
    # break as in `fuzzy_similarity`
    edits = cpdist(rows["s"].to_list(), rows["t"].to_list(), scorer=OSA.distance, workers=-1)
    ls, lt = pl.col("s").str.len_chars(), pl.col("t").str.len_chars()
    longer = pl.max_horizontal(ls, lt).cast(pl.Float64)
    initial = ((ls == 1) | (lt == 1)) & (pl.col("s").str.slice(0, 1) == pl.col("t").str.slice(0, 1))
    rows = rows.with_columns(sim=1 - pl.Series(edits, dtype=pl.Float64) / longer)
    rows = rows.with_columns(sim=pl.when(initial).then(INITIAL).otherwise("sim")).filter(
        pl.col("sim") >= TYPO_MIN
    )
    best_per_short = rows.sort(
        ["i", "s", "sim", "t"], descending=[False, False, True, False]
    ).unique(["i", "s"], keep="first")
    served = best_per_short.sort(
        ["i", "t", "sim", "s"], descending=[False, False, True, False]
    ).unique(["i", "t"], keep="first")
    return served.group_by("i").agg(bonus=pl.col("sim").sum())


def _may_be_typo() -> pl.Expr:
    """Token pairs that can reach TYPO_MIN: an initial, or lengths that allow it. Two
    different tokens are at least max(1, length difference) OSA edits apart, so a pair with
    1 - that / longer < TYPO_MIN (about half of them: lengths far apart, or both tokens too
    short for any edit) is ruled out without comparing it (the margin keeps the edge)."""
    ls, lt = pl.col("s").str.len_chars(), pl.col("t").str.len_chars()
    longer = pl.max_horizontal(ls, lt).cast(pl.Float64)
    edits = pl.max_horizontal((ls.cast(pl.Int64) - lt.cast(pl.Int64)).abs(), pl.lit(1))
    return (edits <= (1 - TYPO_MIN) * longer + 1e-9) | (ls == 1) | (lt == 1)


def contained_of_sets(f: pl.DataFrame) -> pl.Series:
    """All tokens of the shorter name (at least two) appear in the other: a missing second
    surname or middle name, not a relative (who differs in a given name). From the rows'
    `token_sets`."""
    short = pl.col("short")
    return f.select((short >= 2) & (pl.col("inter") == short)).to_series()


def same_tokens_of_sets(f: pl.DataFrame) -> pl.Series:
    """Both names have the same distinct tokens (and have some), from the rows' `token_sets`."""
    inter = pl.col("inter")
    same = (inter == pl.col("short")) & (inter == pl.col("long")) & (pl.col("short") > 0)
    return f.select(same).to_series()
