"""Name blocking for candidates no identifier found: token pairs and triples, capped blocks.

A lead whose plate changed or was never recorded can only be found by its name. Keys are every
pair and triple of a name's (sorted, distinct) tokens, so reordered names, a missing second
surname or middle name, and one misspelt token still share keys with the driver. A key shared by
more than `cap` drivers (JOSE QUISPE) identifies nobody on its own; for those keys the driver's
hire month is added, so a common name still reaches the accounts hired around the lead date
(the only ones a reviewer could tell apart anyway). Where even a month holds more than `cap`
namesakes (MANUEL GOMEZ in a million-driver index), the car model is added as well: a driver
who changes plates usually keeps the model, and it is what a reviewer would look at next.
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:  # prepared.py builds its name keys with this module
    from idgap.matching.prepared import PreparedIndex

MAX_TOKENS = 5
PAIRS = list(combinations(range(MAX_TOKENS), 2))
TRIPLES = list(combinations(range(MAX_TOKENS), 3))
BUCKET_DAYS = 30
LEAD_BUCKETS = range(-3, 3)  # hire months searched around the lead: about [-90, +60] days
NAME_TOP = 30  # name-only drivers kept per candidate for scoring
NEAR_DAYS = 60


def token_keys(df: pl.DataFrame, id_col: str, tokens: pl.Expr) -> pl.DataFrame:
    """(id, key) for every pair and triple of distinct tokens (hashed; order-free).

    Tokens are hashed once and combined as structs of hashes: no string is built per key.
    """
    t = df.select(
        id_col,
        h=tokens.list.eval(pl.element().hash(seed=5))
        .list.unique()
        .list.sort()
        .list.head(MAX_TOKENS),
    ).with_columns(n=pl.col("h").list.len())
    parts = []
    for combo in [*PAIRS, *TRIPLES]:
        fields = [pl.col("h").list.get(i, null_on_oob=True).alias(f"t{i}") for i in combo]
        parts.append(
            t.filter(pl.col("n") > max(combo)).select(id_col, key=pl.struct(fields).hash(seed=7))
        )
    return pl.concat(parts)


def _bucket(days: pl.Expr) -> pl.Expr:
    return days.floordiv(BUCKET_DAYS)


def _with_bucket(keys: pl.Expr, bucket: pl.Expr) -> pl.Expr:
    return pl.struct(key=keys, b=bucket).hash(seed=9)


def _with_model(keys: pl.Expr, model: pl.Expr) -> pl.Expr:
    return pl.struct(key=keys, m=model).hash(seed=11)


def model_key(model_norm: pl.Expr) -> pl.Expr:
    """The model's last token: leads often write the brand first (NISSAN SENTRA vs SENTRA)."""
    return model_norm.str.split(" ").list.last().replace("", None)


def index_name_keys(index: pl.DataFrame, tokens: pl.Expr, cap: int) -> pl.DataFrame:
    """(di, key) of the index: rare keys as they are, common keys combined with the hire month."""
    keys = token_keys(index, "di", tokens)
    sizes = keys.group_by("key").agg(n=pl.len())
    keys = keys.join(sizes, on="key")
    rare = keys.filter(pl.col("n") <= cap).select("di", "key")
    hire = index.select("di", b=_bucket(pl.col("hire_date").cast(pl.Int32)))
    common = (
        keys.filter(pl.col("n") > cap)
        .select("di", "key")
        .join(hire.drop_nulls("b"), on="di")
        .select("di", key=_with_bucket(pl.col("key"), pl.col("b")))
    )
    bsizes = common.group_by("key").agg(n=pl.len())
    monthly = common.join(bsizes.filter(pl.col("n") <= cap).select("key"), on="key")
    crowded = common.join(bsizes.filter(pl.col("n") > cap).select("key"), on="key")
    model = index.select("di", m=model_key(pl.col("model_norm"))).drop_nulls("m")
    by_model = crowded.join(model, on="di").select(
        "di", key=_with_model(pl.col("key"), pl.col("m"))
    )
    msizes = by_model.group_by("key").agg(n=pl.len()).filter(pl.col("n") <= cap).select("key")
    return pl.concat([rare, monthly, by_model.join(msizes, on="key")])


def name_block(cands: pl.DataFrame, ix: PreparedIndex) -> pl.DataFrame:
    """(ci, di) for candidates by name: accounts hired around the lead date first (a lead
    converts within weeks), then most shared keys, then the same car model, then nearest hire
    date."""
    if cands.height == 0:
        return pl.DataFrame(schema={"ci": pl.UInt32, "di": pl.UInt32})
    ck = token_keys(cands, "ci", pl.col("name_tokens"))
    lead_b = cands.select("ci", b=_bucket(pl.col("lead_date").cast(pl.Int32)))
    shifted = pl.concat([lead_b.with_columns(pl.col("b") + d) for d in LEAD_BUCKETS])
    bucketed = ck.join(shifted, on="ci").select("ci", key=_with_bucket(pl.col("key"), pl.col("b")))
    model = cands.select("ci", m=model_key(pl.col("model_norm"))).drop_nulls("m")
    by_model = bucketed.join(model, on="ci").select(
        "ci", key=_with_model(pl.col("key"), pl.col("m"))
    )
    hits = pl.concat([ck, bucketed, by_model]).join(ix.name_keys, on="key")
    shared = hits.group_by("ci", "di").agg(shared=pl.len())
    shared = shared.with_columns(
        hire_date=ix.accounts(shared["di"], "hire_date").to_series(),
        dm=ix.model_keys.gather(shared["di"]),
    )
    ranked = (
        shared.join(cands.select("ci", "lead_date", m=model_key(pl.col("model_norm"))), on="ci")
        .with_columns(
            gap=(pl.col("hire_date") - pl.col("lead_date")).dt.total_days().abs().fill_null(9999),
            same_model=(pl.col("m") == pl.col("dm")).fill_null(False),
        )
        .with_columns(near=pl.col("gap") <= NEAR_DAYS)
        .sort(
            ["ci", "near", "shared", "same_model", "gap", "di"],
            descending=[False, True, True, True, False, False],
        )
        .group_by("ci", maintain_order=True)
        .head(NAME_TOP)
    )
    return ranked.select("ci", "di")
