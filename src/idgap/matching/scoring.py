"""idgap's ruleset: score every candidate pair on all its evidence, link only when clearly safe.

Points (0-100 scale, capped), see `Points`: phone +45, license +45, plate exact +35 / one
confusable character +28, name similarity x45 (+6 when one name contains the other; a name that
contradicts, < 0.35, costs 25; no name on one side: a neutral +25), hire
date within 30 days of the lead +12 / in [-90, +60] days +8 / within a year +3 (evidence, never a
gate), same car model +4.
Decision per candidate (`decide_frame`): auto-link the best target-park driver when it scores
>= 75, leads the runner-up by >= 15 and its name similarity is >= 0.5 (waived when one side
has no name: then only identifiers and the hire date can reach 75); a strong best without
that margin is review MULTIPLE_CANDIDATES; a plausible best (>= 45) is review WEAK_MATCH_ONLY;
an account only in another park is review OTHER_PARK_ONLY (never linked, SPEC §4.3).
Everything is vectorised over the pairs frame; only names with a non-identical token go
through the typo-tolerant similarity in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from idgap.matching.model import Outcome, Reason, Rule
from idgap.matching.settings import MatchSettings
from idgap.matching.similarity import TYPO_MIN

VERSION = "idgap-1.2"  # 1.2: crowded name months narrowed by car model


@dataclass(frozen=True)
class Points:
    phone: float = 45.0
    license: float = 45.0
    plate_exact: float = 35.0
    plate_confusable: float = 28.0
    name: float = 45.0  # times the similarity
    name_contained: float = 6.0  # every token (>= 2) of the shorter name is in the other one
    name_unknown: float = 25.0  # one side has no name: neither evidence for nor against
    name_contradicts: float = -25.0
    name_contradicts_below: float = 0.35
    hire_close: float = 12.0  # |days| <= 30
    hire_window: float = 8.0  # inside the reference window (+30 days of slack after it)
    hire_year: float = 3.0  # in [-365, +120]
    model: float = 4.0


POINTS = Points()


def name_similarity(pairs: pl.DataFrame, a: str, b: str) -> pl.Series:
    """`similarity.fuzzy_similarity` for every row, vectorised: identical tokens by set
    operations, the remaining token pairs through rapidfuzz's parallel pairwise OSA."""
    ua, ub = pl.col(a).list.unique(), pl.col(b).list.unique()
    f = pairs.select(ua=ua, ub=ub).with_row_index("i")
    la, lb = pl.col("ua").list.len(), pl.col("ub").list.len()
    f = f.with_columns(
        short=pl.min_horizontal(la, lb).cast(pl.Float64),
        long=pl.max_horizontal(la, lb).cast(pl.Float64),
        inter=pl.col("ua").list.set_intersection("ub").list.len().cast(pl.Float64),
        a_short=la <= lb,
    )
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
    rows = left.join(right, on="i").drop_nulls(["s", "t"])
    if rows.height == 0:
        return empty
    sims = cpdist(
        rows["s"].to_list(), rows["t"].to_list(), scorer=OSA.normalized_similarity, workers=-1
    )
    rows = rows.with_columns(sim=pl.Series(sims, dtype=pl.Float64)).filter(
        pl.col("sim") >= TYPO_MIN
    )
    best_per_short = rows.sort(
        ["i", "s", "sim", "t"], descending=[False, False, True, False]
    ).unique(["i", "s"], keep="first")
    served = best_per_short.sort(
        ["i", "t", "sim", "s"], descending=[False, False, True, False]
    ).unique(["i", "t"], keep="first")
    return served.group_by("i").agg(bonus=pl.col("sim").sum())


def name_contained(a: str, b: str) -> pl.Expr:
    """All tokens of the shorter name (at least two) appear in the other: a missing second
    surname or middle name, not a relative (who differs in a given name)."""
    ua, ub = pl.col(a).list.unique(), pl.col(b).list.unique()
    short = pl.min_horizontal(ua.list.len(), ub.list.len())
    return (short >= 2) & (ua.list.set_intersection(ub).list.len() == short)


def hire_points(days: pl.Expr, s: MatchSettings, p: Points = POINTS) -> pl.Expr:
    """Hired close to the lead is evidence (converted leads start within weeks), never a gate."""
    lo, hi = s.hire_window
    return (
        pl.when(days.abs() <= 30)
        .then(p.hire_close)
        .when(days.is_between(lo, hi + 30))
        .then(p.hire_window)
        .when(days.is_between(-365, 120))
        .then(p.hire_year)
        .otherwise(0.0)
        .fill_null(0.0)
    )


def score_pairs(pairs: pl.DataFrame, s: MatchSettings, p: Points = POINTS) -> pl.DataFrame:
    """Add `name_sim`, `score` and the `evidence` struct to every candidate pair."""
    pairs = pairs.with_columns(
        name_sim=name_similarity(pairs, "name_tokens", "name_tokens_d"),
        name_contained=name_contained("name_tokens", "name_tokens_d"),
    )
    both_named = (pl.col("name_tokens").list.len() > 0) & (pl.col("name_tokens_d").list.len() > 0)
    contradicts = both_named & (pl.col("name_sim") < p.name_contradicts_below)
    lm, dm = pl.col("model_norm"), pl.col("model_norm_d")
    model_same = (dm.is_not_null() & lm.is_not_null()) & (
        lm.str.contains(dm, literal=True) | dm.str.contains(lm, literal=True)
    )
    conf = pl.col("plate_conf") & ~pl.col("plate_exact")
    pts = (
        pl.col("phone_eq").cast(pl.Float64) * p.phone
        + pl.col("license_eq").cast(pl.Float64) * p.license
        + pl.when(pl.col("plate_exact")).then(p.plate_exact).when(conf).then(p.plate_confusable)
        .otherwise(0.0)
        + pl.when(both_named).then(pl.col("name_sim") * p.name).otherwise(p.name_unknown)
        + pl.when(contradicts).then(p.name_contradicts).otherwise(0.0)
        + pl.when(pl.col("name_contained")).then(p.name_contained).otherwise(0.0)
        + hire_points(pl.col("hire_days"), s, p)
        + pl.when(model_same.fill_null(False)).then(p.model).otherwise(0.0)
    )  # fmt: skip
    plate = (
        pl.when(pl.col("plate_exact")).then(pl.lit("same"))
        .when(conf).then(pl.lit("one confusable character"))
        .when(pl.col("plate_norm").is_not_null() & pl.col("plate_norm_d").is_not_null())
        .then(pl.lit("different"))
    )  # fmt: skip
    same = pl.lit("same")
    evidence = pl.struct(
        name_similarity=pl.col("name_sim").round(3),
        phone=pl.when(pl.col("phone_eq")).then(same),
        license=pl.when(pl.col("license_eq")).then(same),
        plate=plate,
        name=pl.when(contradicts).then(pl.lit("contradicts")),
        name_contained=pl.col("name_contained"),
        hire_days_from_lead=pl.col("hire_days"),
        model=pl.when(model_same.fill_null(False)).then(same),
        park=pl.when(pl.col("target")).then(pl.lit("target")).otherwise(pl.lit("other")),
    )
    return pairs.with_columns(
        name_known=both_named,
        score=pl.min_horizontal(pts, pl.lit(100.0)).clip(lower_bound=0.0).round(1),
        evidence=evidence,
    )


def decide_frame(ci: pl.DataFrame, pairs: pl.DataFrame, s: MatchSettings) -> pl.DataFrame:
    """One decision row per `ci`: outcome, reason_code, driver_id, rule, score, confidence,
    `best_evidence` (struct of the linked pair) and `candidates_json` (top candidates)."""
    scored = score_pairs(pairs, s).sort(
        ["ci", "score", "driver_id_d"], descending=[False, True, False]
    )
    shown = pl.struct(
        driver_id="driver_id_d",
        park_id="park_id_d",
        score="score",
        name_similarity=pl.col("name_sim").round(3),
        evidence="evidence",
    )
    tscore = pl.col("score").filter("target")
    per = scored.group_by("ci", maintain_order=True).agg(
        best=tscore.first(),
        second=tscore.slice(1, 1).first(),
        best_driver=pl.col("driver_id_d").filter("target").first(),
        best_name=pl.when(pl.col("name_known"))
        .then("name_sim")
        .otherwise(1.0)
        .filter("target")
        .first(),
        best_evidence=pl.col("evidence").filter("target").first(),
        other=pl.col("score").filter(~pl.col("target")).first(),
        shown=shown.head(s.max_candidates),
    )
    out = ci.select("ci").join(per, on="ci", how="left")
    best, other = pl.col("best").fill_null(-1.0), pl.col("other").fill_null(-1.0)
    strong = best >= s.auto_link_score
    separated = best - pl.col("second").fill_null(0.0) >= s.auto_link_margin
    link = strong & separated & (pl.col("best_name").fill_null(0.0) >= s.auto_link_min_name)
    plausible = best >= s.review_score
    elsewhere = other >= s.other_park_review_score
    outcome = (
        pl.when(link).then(pl.lit(Outcome.MATCHED.value))
        .when(strong | plausible | elsewhere).then(pl.lit(Outcome.REVIEW.value))
        .otherwise(pl.lit(Outcome.UNMATCHED.value))
    )  # fmt: skip
    reason = (
        pl.when(link).then(pl.lit(Rule.IG_SCORED.value))
        .when(strong & ~separated).then(pl.lit(Reason.MULTIPLE_CANDIDATES.value))
        .when(strong | plausible).then(pl.lit(Reason.WEAK_MATCH_ONLY.value))
        .when(elsewhere).then(pl.lit(Reason.OTHER_PARK_ONLY.value))
        .when(pl.col("shown").is_null()).then(pl.lit(Reason.NO_CANDIDATES.value))
        .otherwise(pl.lit(Reason.WEAK_MATCH_ONLY.value))
    )  # fmt: skip
    score = pl.when(strong | plausible).then("best").when(elsewhere).then("other")
    return out.select(
        "ci",
        outcome=outcome,
        reason_code=reason,
        driver_id=pl.when(link).then("best_driver"),
        rule=pl.when(link).then(pl.lit(Rule.IG_SCORED.value)),
        score=score,
        confidence=pl.when(link).then(confidence_expr(pl.col("best"))),
        best_evidence=pl.when(link).then("best_evidence"),
        candidates_json=_json_list(pl.col("shown")),
    )


def confidence_expr(score: pl.Expr) -> pl.Expr:
    """HIGH >= 90, MEDIUM >= 80, else LOW (`model.confidence_for` as an expression)."""
    return (
        pl.when(score >= 90).then(pl.lit("HIGH"))
        .when(score >= 80).then(pl.lit("MEDIUM"))
        .otherwise(pl.lit("LOW"))
    )  # fmt: skip


def _json_list(col: pl.Expr) -> pl.Expr:
    """A list of structs as a JSON array: Polars encodes structs only, so wrap and unwrap."""
    text = pl.struct(c=col).struct.json_encode()
    inner = text.str.slice(5, text.str.len_chars() - 6)
    return pl.when(inner == "null").then(pl.lit("[]")).otherwise(inner)
