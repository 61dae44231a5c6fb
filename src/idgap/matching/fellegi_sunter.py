"""Fellegi-Sunter weights estimated from the park's own data, and the posterior per pair.

m (P(level | same person)) comes from the park's unambiguous links: a candidate with exactly
one target-park account sharing its phone or licence. Those links say nothing about the phone
itself, so phone and licence m come from the other unambiguous links (plate exact and the same
name, one account). u (P(level | different people)) of dense evidence (hire dates, models, name
similarity bands, activity) is measured on random (candidate, account) pairs; identifiers keep
their setting (chance agreement is too rare to measure) and names use the frequency of their
own tokens (term-frequency adjustment). Every estimate is shrunk towards the setting's prior, so
a small park decides on the settings alone.

The posterior of account j for a candidate ("one of N": the lead's driver is one of the N
accounts, or none) is odds_j / (1 + sum of the target-park odds), odds_j = p0 / N * prod(m/u).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from idgap.matching.comparisons import Comparison
from idgap.matching.settings import MatchSettings

IDENTIFIERS = ("phone", "licence")
SELECTING = ("plate", "name")  # the evidence that chooses the plate+name links


@dataclass(frozen=True)
class Weights:
    """m/u per comparison level (index 1..n, as `Comparison.level_expr`), and how they were
    obtained (stored on every decision's evidence: reproducible)."""

    mu: dict[str, list[tuple[float, float]]]
    window: int
    info: dict[str, Any] = field(default_factory=dict)

    def weight_expr(self, c: Comparison, tf_u: pl.Expr | None = None) -> pl.Expr:
        """log2(m/u) of the pair's level (a lookup); 0 for level 0 (no evidence). With `tf_u`,
        the comparison's term-frequency levels use log2(m / tf_u) instead."""
        lvl = pl.col(c.column)
        mu = self.mu[c.name]
        weights = [0.0, *(math.log2(m / u) for m, u in mu)]
        expr = lvl.replace_strict(list(range(len(weights))), weights, return_dtype=pl.Float64)
        if tf_u is None:
            return expr.alias(f"w_{c.name}")
        for i, level in enumerate(c.levels, start=1):
            if level.label in c.tf_levels:
                tf_w = math.log2(mu[i - 1][0]) - tf_u.log(2)
                expr = pl.when(lvl == i).then(tf_w).otherwise(expr)
        return expr.alias(f"w_{c.name}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_days": self.window,
            "m_u": {
                name: {f"{i}": [round(m, 6), float(f"{u:.3g}")] for i, (m, u) in enumerate(v, 1)}
                for name, v in self.mu.items()
            },
            **self.info,
        }


def _shrunk(counts: dict[int, int], prior: list[float], weight: float) -> list[float]:
    n = sum(counts.values())
    out = [(counts.get(i, 0) + weight * p) / (n + weight) for i, p in enumerate(prior, start=1)]
    total = sum(out)
    return [max(x / total, 1e-9) for x in out]


def _level_counts(pairs: pl.DataFrame, c: Comparison) -> dict[int, int]:
    col = c.column
    rows = pairs.filter(pl.col(col) > 0).group_by(col).len().iter_rows()
    return {int(k): int(n) for k, n in rows}


def learning_pairs(levelled: pl.DataFrame) -> pl.DataFrame:
    """The pairs `anchors` and `plate_name_anchors` read: target-park pairs sharing phone or
    licence, or plate and name. Both give the same anchors on these as on all the pairs, so
    the estimate needs only these (a few per candidate) of every slice, not all the pairs."""
    return levelled.filter(
        pl.col("target")
        & (
            (pl.col("lvl_phone") == 1)
            | (pl.col("lvl_licence") == 1)
            | ((pl.col("lvl_plate") == 1) & (pl.col("lvl_name") == 1))
        )
    )


def anchors(levelled: pl.DataFrame) -> pl.DataFrame:
    """Pairs of candidates with exactly one target-park account sharing phone or licence."""
    ident = levelled.filter(
        pl.col("target") & ((pl.col("lvl_phone") == 1) | (pl.col("lvl_licence") == 1))
    )
    single = ident.group_by("ci").len().filter(pl.col("len") == 1).select("ci")
    return ident.join(single, on="ci")


def plate_name_anchors(levelled: pl.DataFrame) -> pl.DataFrame:
    """Pairs of candidates with exactly one target-park account of the same plate and name."""
    hit = levelled.filter(pl.col("target") & (pl.col("lvl_plate") == 1) & (pl.col("lvl_name") == 1))
    single = hit.group_by("ci").len().filter(pl.col("len") == 1).select("ci")
    return hit.join(single, on="ci")


def estimate(
    comparisons: tuple[Comparison, ...],
    levelled: pl.DataFrame,
    random_pairs: pl.DataFrame | None,
    s: MatchSettings,
    *,
    window: int,
    window_agreement: dict | None = None,
    name_collisions: dict[str, float] | None = None,
) -> Weights:
    """m/u of every level from the blocked pairs (`levelled`: lvl_* columns) and a sample of
    random pairs (same columns), shrunk towards the settings' priors."""
    by_id, by_plate = anchors(levelled), plate_name_anchors(levelled)
    # each comparison learns from the links that were not chosen by its own evidence: phone
    # and licence from plate+name links, plate and name from identifier links, the rest
    # (hire dates, models, activity) from both
    both = pl.concat([by_id, by_plate]).unique()
    mu, estimated = {}, []
    for c in comparisons:
        m0 = [lv.m for lv in c.levels]
        u0 = [lv.u for lv in c.levels]
        source = (
            by_plate if c.name in IDENTIFIERS else by_id if c.name in SELECTING else both
        )  # fmt: skip
        m, u = m0, u0
        if source.height >= s.min_anchors:
            m = _shrunk(_level_counts(source, c), m0, s.m_prior_weight)
            estimated.append(f"m:{c.name}")
        if c.u_measured and random_pairs is not None and random_pairs.height:
            u = _shrunk(_level_counts(random_pairs, c), u0, s.u_prior_weight)
            estimated.append(f"u:{c.name}")
        mu[c.name] = list(zip(m, u, strict=True))
    info = {
        "anchors": by_id.height,
        "plate_name_anchors": by_plate.height,
        "random_pairs": 0 if random_pairs is None else random_pairs.height,
        "estimated": estimated,
        "activity_window_agreement": window_agreement or {},
        "name_collisions": {k: round(v, 6) for k, v in (name_collisions or {}).items()},
    }
    return Weights(mu, window, info)


LONG_NAME = 4  # tokens of the names whose collisions give the floor


def _pairs(frame: pl.DataFrame, keys: list[str]) -> int:
    """Ordered pairs of rows sharing all `keys` (rows with a null key left out)."""
    sizes = frame.drop_nulls(keys).group_by(keys).agg(m=pl.len().cast(pl.Int64))
    return int(sizes.select((pl.col("m") * (pl.col("m") - 1)).sum()).item() or 0)


def name_collisions(frame: pl.DataFrame, token_counts: pl.DataFrame) -> dict[str, float]:
    """Two different people (no shared phone or licence) holding the very same name, measured
    on the index: `dependence`, observed such pairs over the pairs the product of token
    frequencies predicts (above 1: names cluster, as in families or regions); `floor`, such
    pairs per account among names of LONG_NAME or more tokens (how often even a rare full
    name belongs to somebody else too)."""
    n = max(frame.height, 1)
    named = frame.filter(pl.col("name_key") != "").select(
        "di", "name_key", "phone_norm", "license_norm"
    )
    toks = named.select("di", t=pl.col("name_key").str.split(" ").list.unique()).explode("t")
    per = (
        toks.join(token_counts, on="t")
        .group_by("di")
        .agg(lp=(pl.col("n") / n).log().sum(), k=pl.len())
    )
    named = named.join(per, on="di")

    def other_person_pairs(f: pl.DataFrame) -> int:
        same = max(_pairs(f, ["name_key", "license_norm"]), _pairs(f, ["name_key", "phone_norm"]))
        return _pairs(f, ["name_key"]) - same

    expected = float(named.select((pl.col("lp").exp() * n).sum()).item() or 0.0)
    long_names = named.filter(pl.col("k") >= LONG_NAME)
    return {
        "dependence": other_person_pairs(named) / expected if expected else 0.0,
        "floor": other_person_pairs(long_names) / max(long_names.height, 1),
    }


def tf_u(
    s: MatchSettings, population: int, collisions: dict[str, float] | None = None
) -> dict[str, pl.Expr]:
    """Per comparison with term-frequency levels: the chance that a random OTHER account
    agrees on the pair's value.

    Identifiers: the other accounts holding the same plate / phone / licence, with a floor
    (a value held once is not impossible to share). Names: the product of the lead's token
    frequencies (inflated for dependence; without its rarest token when the account's name is
    the shorter one), or the share of other accounts with exactly this name if larger, with a
    floor. The dependence and the floor are the settings' or, when higher, what the index
    shows (`collisions`, `name_collisions`). Reads `n_<identifier>` (prepared.SHARED),
    `log_tf_all`, `log_tf_drop`, `n_same_name`, `name_shorter_d` and `lvl_name`."""
    n = float(population)
    out = {
        name: pl.max_horizontal(pl.col(col).fill_null(1.0) - 1.0, pl.lit(floor)) / n
        for name, col, floor in (
            ("plate", "n_plate_norm", s.plate_tf_floor),
            ("phone", "n_phone_norm", s.phone_tf_floor),
            ("licence", "n_license_norm", s.phone_tf_floor),
        )
    }
    # near plates: so many other accounts are expected at each level, whatever the park's size
    near = pl.col("lvl_plate").replace_strict(
        [2, 3, 4], list(s.plate_near_accounts), default=None, return_dtype=pl.Float64
    )
    out["plate"] = pl.when(near.is_not_null()).then(near / n).otherwise(out["plate"])
    log_f = pl.when(pl.col("name_shorter_d")).then("log_tf_drop").otherwise("log_tf_all")
    dependence, floor = name_tf(s, collisions)
    product = log_f.exp() * dependence
    others = pl.col("n_same_name").fill_null(0.0) - (pl.col("lvl_name") == 1).cast(pl.Float64)
    name = pl.max_horizontal(product, others / n, pl.lit(floor / n))
    out["name"] = name.clip(upper_bound=1.0)
    return out


def name_tf(s: MatchSettings, collisions: dict[str, float] | None) -> tuple[float, float]:
    """(dependence, floor) of the name term frequencies: the settings', or the measured
    ones when higher."""
    c = collisions or {}
    return (
        max(s.name_tf_dependence, c.get("dependence", 0.0)),
        max(s.name_tf_floor, c.get("floor", 0.0)),
    )


def posterior(pairs: pl.DataFrame, s: MatchSettings, population: int) -> pl.DataFrame:
    """`weight` (log2 Bayes factor, sum of w_*), `log2_odds`, `probability` per pair, and
    `probability_noact` (the same without the activity evidence). Target-park accounts share
    one candidate's mass; another park's account is scored on its own (it never links)."""
    prior = math.log2(s.prior_has_driver / population)
    w_cols = [c for c in pairs.columns if c.startswith("w_")]
    pairs = pairs.with_columns(weight=pl.sum_horizontal(w_cols))
    pairs = pairs.with_columns(
        log2_odds=pl.col("weight") + prior,
        log2_odds_noact=pl.col("weight") - pl.col("w_activity") + prior,
    )
    odds = pl.lit(2.0).pow(pl.col("log2_odds").clip(upper_bound=200))
    odds_na = pl.lit(2.0).pow(pl.col("log2_odds_noact").clip(upper_bound=200))
    target_sum = odds.filter("target").sum().over("ci")
    target_sum_na = odds_na.filter("target").sum().over("ci")
    return pairs.with_columns(
        probability=pl.when("target").then(odds / (1 + target_sum)).otherwise(odds / (1 + odds)),
        probability_noact=pl.when("target")
        .then(odds_na / (1 + target_sum_na))
        .otherwise(odds_na / (1 + odds_na)),
    )
