"""Comparisons as small composable objects (Splink's comparison levels, in Polars).

A `Comparison` is one kind of evidence (phone, licence, plate, name, car model, hire-date
distance, activity) with ORDERED levels: the first level whose condition holds for a pair is
its level; level 0 is "no evidence" (a side lacks the value) and weighs nothing. Each level
carries default m/u probabilities (m = P(level | same person), u = P(level | different
people)); `fellegi_sunter.estimate` re-estimates them from the park's own data. Conditions read
the columns `blocking.pair_frame` builds; every threshold comes from `MatchSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from idgap.matching.settings import MatchSettings


@dataclass(frozen=True)
class Level:
    label: str  # stable code, shown in breakdowns
    when: pl.Expr  # condition over the pair frame; the last level of a comparison is "else"
    m: float
    u: float


@dataclass(frozen=True)
class Comparison:
    """Ordered levels of one kind of evidence.

    `u_measured`: u can be measured on random pairs of the park (dense evidence such as hire
    dates); identifiers agree by chance too rarely to measure, their u stays the setting.
    `tf_levels`: labels whose u is the value's own frequency (names: MANUEL GOMEZ is weak
    evidence, a rare surname strong), see `fellegi_sunter.tf_u`.
    """

    name: str
    missing: pl.Expr  # true when one side has no value: level 0, weight 0
    levels: tuple[Level, ...]
    u_measured: bool = False
    tf_levels: tuple[str, ...] = ()

    def level_expr(self) -> pl.Expr:
        expr: Any = pl.when(self.missing.fill_null(True)).then(pl.lit(0, dtype=pl.UInt8))
        for i, level in enumerate(self.levels, start=1):
            expr = expr.when(level.when.fill_null(False)).then(pl.lit(i, dtype=pl.UInt8))
        return expr.otherwise(pl.lit(len(self.levels), dtype=pl.UInt8)).alias(self.column)

    @property
    def column(self) -> str:
        return f"lvl_{self.name}"

    def labels(self) -> tuple[str, ...]:
        return ("missing", *(lv.label for lv in self.levels))

    def level_of(self, label: str) -> int:
        """The level number of a label (as `level_expr` numbers them)."""
        return self.labels().index(label)


def _levels(s: MatchSettings, name: str, conditions: dict[str, pl.Expr]) -> tuple[Level, ...]:
    priors = s.prior_table()[name]
    return tuple(Level(lbl, cond, *priors[lbl]) for lbl, cond in conditions.items())


ELSE = pl.lit(True)


def identifier(s: MatchSettings, name: str, col: str) -> Comparison:
    """Phone or licence: exact, else different (a recycled number, a typo)."""
    eq = pl.col(f"{col}_eq")
    missing = ~pl.col(f"{col}_both")
    levels = _levels(s, name, {"exact": eq, "different": ELSE})
    return Comparison(name, missing, levels, tf_levels=("exact",))


def plate(s: MatchSettings) -> Comparison:
    """Exact; look-alike characters only; one edit (transposition, character more or less,
    another character); two edits; different (see plates.py)."""
    d = pl.col("plate_dist")
    conditions = {
        "exact": pl.col("plate_norm") == pl.col("plate_norm_d"),
        "confusable": d == 0,
        "one_edit": d == 1,
        "two_edits": d == 2,
        "different": ELSE,
    }
    near = ("exact", "confusable", "one_edit", "two_edits")
    return Comparison("plate", d.is_null(), _levels(s, "plate", conditions), tf_levels=near)


def name(s: MatchSettings) -> Comparison:
    """Same tokens; all tokens of the shorter name in the other; then similarity bands, with
    "core" (the form's given name and first surname both in the account's name) above the
    low bands."""
    sim = pl.col("name_sim")
    hi, mid, low, weak = s.name_levels
    conditions = {
        "exact": pl.col("name_exact"),
        "contained": pl.col("name_contained"),
        "fuzzy_high": sim >= hi,
        "fuzzy_mid": sim >= mid,
        "core": pl.col("name_core"),
        "fuzzy_low": sim >= low,
        "weak": sim >= weak,
        "contradicts": ELSE,
    }
    return Comparison(
        "name", ~pl.col("name_known"), _levels(s, "name", conditions),
        u_measured=True, tf_levels=("exact", "contained"),
    )  # fmt: skip


def car_model(s: MatchSettings) -> Comparison:
    lm, dm = pl.col("model_norm"), pl.col("model_norm_d")
    same = lm.str.contains(dm, literal=True) | dm.str.contains(lm, literal=True)
    conditions = {"same": same, "different": ELSE}
    missing = lm.is_null() | dm.is_null()
    return Comparison("model", missing, _levels(s, "model", conditions), u_measured=True)


def hire(s: MatchSettings) -> Comparison:
    """Days from the lead to the account's hire date, in bands (evidence, never a gate)."""
    days = pl.col("hire_days")
    conditions = {f"d{lo}_{hi}": days.is_between(lo, hi) for lo, hi in s.hire_bands} | {"far": ELSE}
    return Comparison("hire", days.is_null(), _levels(s, "hire", conditions), u_measured=True)


def activity(s: MatchSettings) -> Comparison:
    """Yango's flags on the lead against the account's trips in the lead's window (see
    activity.py): the same count band; both active but another band; both idle; contradicts."""
    band, trips_band = pl.col("flag_band"), pl.col("trips_band")
    conditions = {
        "agree_active": (band > 0) & (band == trips_band),
        "near_active": (band > 0) & (trips_band > 0),
        "agree_idle": (band == 0) & (trips_band == 0),
        "contradicts": ELSE,
    }
    missing = band.is_null() | trips_band.is_null()
    return Comparison("activity", missing, _levels(s, "activity", conditions), u_measured=True)


def library(s: MatchSettings) -> tuple[Comparison, ...]:
    """The comparisons of idgap's ruleset, in breakdown order."""
    return (
        identifier(s, "phone", "phone"),
        identifier(s, "licence", "license"),
        plate(s),
        name(s),
        car_model(s),
        hire(s),
        activity(s),
    )
