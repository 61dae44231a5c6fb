"""idgap's ruleset: calibrated match probabilities over every comparison, linked only when safe.

1. blocking pairs (phone, licence, fuzzy plate, name) -> pair features -> comparison levels;
2. m/u of every level estimated from the park's own data, the activity window measured
   (fellegi_sunter.py, activity.py);
3. posterior per pair; accounts of one person re-created with the same phone or licence share
   it (the one that drove in the lead's window, else the newest, is the link);
4. auto-link when the posterior reaches `target_precision`, its weight leads the runner-up's by
   `auto_link_margin_bits`, and without the activity evidence it is still at least
   `activity_alone_floor` likely (wrong flags never make a link on their own);
5. one-to-one: leads of different people linked to one account all go to review.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from idgap.matching.activity import choose_window
from idgap.matching.blocking import candidate_pairs, pair_frame
from idgap.matching.comparisons import Comparison, library
from idgap.matching.features import levelled, name_frequencies, pair_features, with_activity
from idgap.matching.fellegi_sunter import (
    Weights,
    anchors,
    estimate,
    learning_pairs,
    posterior,
    tf_u,
)
from idgap.matching.model import Outcome, Reason, Rule
from idgap.matching.prepared import PreparedIndex
from idgap.matching.rulesets import DECIDED, MatchContext, chunks
from idgap.matching.settings import MatchSettings
from idgap.matching.similarity import NICKNAMES, fuzzy_similarity

VERSION = "idgap-3.2"  # 3.1: "core" name level, crossed one-to-one; 3.2: typo by edits
PLATE_WORDS = {
    "exact": "same", "confusable": "one confusable character", "one_edit": "one edit",
    "two_edits": "two edits", "different": "different",
}  # fmt: skip


@dataclass(frozen=True)
class IdgapRuleset:
    name: str = "idgap"
    version: str = VERSION

    def decide(
        self, usable: pl.DataFrame, ix: PreparedIndex, s: MatchSettings, ctx: MatchContext
    ) -> pl.DataFrame:
        """Block and level slice by slice, estimate m/u on every slice's unambiguous links,
        then score and decide slice by slice: only one slice's pairs are scored at a time."""
        comps = library(s)
        population = max(ix.height, s.population_floor)
        slices = [
            (part.select("ci"), _levelled(part, ix, s, ctx, comps, population))
            for part in chunks(usable)
        ]
        weights = _weights(slices, usable, ix, s, ctx, comps, population)
        act = next(c for c in comps if c.name == "activity")
        decided = []
        while slices:  # each slice's pairs are released once it is decided
            ci, pairs = slices.pop(0)
            scored = score(with_activity(pairs, act, weights.window), weights, comps, s, population)
            decided.append(decide_scored(ci, scored, comps, s, weights, population))
        return one_to_one(pl.concat(decided), usable, s)

    def thresholds(self, s: MatchSettings) -> dict:
        return {
            "target_precision": s.target_precision,
            "margin_bits": s.auto_link_margin_bits,
            "review_probability": s.review_probability,
            "activity_alone_floor": s.activity_alone_floor,
        }


def _weights(
    slices: list[tuple[pl.DataFrame, pl.DataFrame]],
    usable: pl.DataFrame,
    ix: PreparedIndex,
    s: MatchSettings,
    ctx: MatchContext,
    comps: tuple[Comparison, ...],
    population: int,
) -> Weights:
    """The activity window and m/u of the whole park: from the pairs the unambiguous links
    are read from (every slice's, so slicing changes no estimate) and the random pairs."""
    learning = pl.concat([learning_pairs(pairs) for _, pairs in slices])
    rand = _random_pairs(usable, ix, s, ctx, comps, population)
    window, agreement = choose_window(anchors(learning), s.activity_windows)
    act = next(c for c in comps if c.name == "activity")
    learning = with_activity(learning, act, window)
    rand = with_activity(rand, act, window) if rand is not None else None
    return estimate(
        comps, learning, rand, s, window=window, window_agreement=agreement,
        name_collisions=ix.name_collisions,
    )  # fmt: skip


def _levelled(
    cands: pl.DataFrame,
    ix: PreparedIndex,
    s: MatchSettings,
    ctx: MatchContext,
    comps: tuple[Comparison, ...],
    population: int,
) -> pl.DataFrame:
    pairs = candidate_pairs(cands, ix, s, by_name=True)
    tf = name_frequencies(cands, ix, population)
    feats = pair_features(
        pairs, tf, ctx.trips, s.activity_windows, typo_max(s, population), s.typo_word_edits
    )
    return levelled(feats, comps, s.activity_windows)


def _random_pairs(
    usable: pl.DataFrame,
    ix: PreparedIndex,
    s: MatchSettings,
    ctx: MatchContext,
    comps: tuple[Comparison, ...],
    population: int,
) -> pl.DataFrame | None:
    """Random (candidate, target-park account) pairs: what different people look like. Only
    on a park big enough that a random pair is almost never the same person."""
    target = ix.frame.filter(pl.col("park_id") == s.target_park_id)["di"]
    if target.len() < s.population_floor // 20 or usable.height == 0:
        return None
    rng = np.random.default_rng(20261201)
    n = s.u_sample_pairs
    cis = usable["ci"].gather(rng.integers(0, usable.height, n))
    dis = target.gather(rng.integers(0, target.len(), n))
    sample = pl.DataFrame({"ci": cis, "di": dis}).unique()
    cands = usable.filter(pl.col("ci").is_in(sample["ci"].unique().implode()))
    pairs = pair_frame(sample, cands, ix, s)
    tf = name_frequencies(cands, ix, population)
    feats = pair_features(
        pairs, tf, ctx.trips, s.activity_windows, typo_max(s, population), s.typo_word_edits
    )
    return levelled(feats, comps, s.activity_windows)


def typo_max(s: MatchSettings, population: int) -> float:
    """Accounts that may carry a form word for it to count as a misspelling: misspellings
    pile up in a big index (RIUZ on a few of a million accounts), names far more."""
    return max(s.typo_token_max, s.typo_token_share * population)


def score(
    pairs: pl.DataFrame,
    weights: Weights,
    comps: tuple[Comparison, ...],
    s: MatchSettings,
    population: int,
) -> pl.DataFrame:
    tf = tf_u(s, population, weights.info.get("name_collisions"))
    w = [weights.weight_expr(c, tf.get(c.name) if c.tf_levels else None) for c in comps]
    return posterior(pairs.with_columns(w), s, population)


def _person_keys(t: pl.DataFrame, s: MatchSettings) -> pl.DataFrame:
    """`person`: per candidate, accounts under the lead's name (level up to
    `strong_name_level`) that share a phone or a licence with each other are one person's
    re-created accounts (one key: the smallest `di` along phone, then licence); any other
    account is its own person."""
    named = pl.col("lvl_name").is_between(1, s.strong_name_level)
    own = pl.col("di").cast(pl.Int64)
    by_phone = pl.when(named & pl.col("phone_norm_d").is_not_null()).then(
        own.min().over("ci", "phone_norm_d")
    )
    t = t.with_columns(_k1=by_phone.fill_null(own))
    by_licence = pl.when(named & pl.col("license_norm_d").is_not_null()).then(
        pl.col("_k1").min().over("ci", "license_norm_d")
    )
    t = t.with_columns(_k2=by_licence.fill_null(pl.col("_k1")))
    # a phone and a licence can chain three accounts: the phone key once more
    by_phone2 = pl.when(named & pl.col("phone_norm_d").is_not_null()).then(
        pl.col("_k2").min().over("ci", "phone_norm_d")
    )
    return t.with_columns(person=by_phone2.fill_null(pl.col("_k2"))).drop("_k1", "_k2")


def _groups(scored: pl.DataFrame, s: MatchSettings) -> pl.DataFrame:
    """Target-park accounts per candidate grouped by person (`_person_keys`). Each group's
    probability is the sum of its accounts'; its link is the account that drove in the lead's
    window (most trips), else the newest one; the others are listed as the same person's."""
    keep = [
        "ci", "di", "target", "probability", "probability_noact", "log2_odds", "driver_id_d",
        "trips_window", "hire_date_d", "lvl_name", "phone_norm_d", "license_norm_d",
    ]  # fmt: skip
    t = _person_keys(scored.select(keep).filter("target"), s)
    t = t.with_columns(grouped=pl.len().over("ci", "person") >= 2)
    singles = t.filter(~pl.col("grouped")).select(
        "ci", p="probability", p_noact="probability_noact", log2_odds="log2_odds",
        driver="driver_id_d", rep_di="di", siblings=pl.lit(None, dtype=pl.List(pl.Utf8)),
    )  # fmt: skip
    together = (
        t.filter("grouped")
        .sort(
            ["ci", "person", "trips_window", "hire_date_d", "probability"],
            descending=[False, False, True, True, True],
            nulls_last=True,
        )  # fmt: skip
        .group_by("ci", "person", maintain_order=True)
        .agg(
            p=pl.col("probability").sum(),
            p_noact=pl.col("probability_noact").sum(),
            log2_odds=pl.col("log2_odds").max(),
            driver=pl.col("driver_id_d").first(),
            rep_di=pl.col("di").first(),
            siblings=pl.col("driver_id_d").slice(1),
        )
    )
    g = pl.concat([singles, together.select(singles.columns)], how="vertical_relaxed")
    return g.sort(["ci", "p", "driver"], descending=[False, True, False])


def decide_scored(
    ci: pl.DataFrame,
    scored: pl.DataFrame,
    comps: tuple[Comparison, ...],
    s: MatchSettings,
    weights: Weights,
    population: int,
) -> pl.DataFrame:
    """One decision row per `ci` (the columns of rulesets.DECIDED). Evidence and breakdowns
    are built only for the pairs shown or linked, not for every blocked pair."""
    per = (
        _groups(scored, s)
        .group_by("ci", maintain_order=True)
        .head(2)
        .group_by("ci", maintain_order=True)
        .agg(
            best=pl.col("p").first(),
            second=pl.col("p").slice(1, 1).first(),
            best_noact=pl.col("p_noact").first(),
            lead_bits=pl.col("log2_odds").first() - pl.col("log2_odds").slice(1, 1).first(),
            best_driver=pl.col("driver").first(),
            di=pl.col("rep_di").first(),
            siblings=pl.col("siblings").first(),
        )
    )
    best_pairs = scored.join(per.select("ci", "di"), on=["ci", "di"])
    best_ev = best_pairs.select(
        "ci",
        best_evidence=_evidence(comps, weights),
        best_keyed=(pl.col("lvl_phone") == 1) | (pl.col("lvl_licence") == 1),
        best_name_level=pl.col("lvl_name"),
        best_core=pl.col("name_core"),
    )
    other = (
        scored.select("ci", "target", "probability")
        .filter(~pl.col("target"))
        .group_by("ci")
        .agg(other=pl.col("probability").max())
    )
    shown = _shown(scored, comps, s, population, weights)
    out = ci.join(per.drop("di"), on="ci", how="left").join(best_ev, on="ci", how="left")
    out = out.join(other, on="ci", how="left").join(shown, on="ci", how="left")
    return _outcomes(out, s)


def _outcomes(out: pl.DataFrame, s: MatchSettings) -> pl.DataFrame:
    best, second = pl.col("best").fill_null(0.0), pl.col("second").fill_null(0.0)
    other = pl.col("other").fill_null(0.0)
    margin = pl.col("lead_bits").fill_null(math.inf) >= s.auto_link_margin_bits
    # relatives share the family car and surnames: without phone or licence, a link needs a
    # name at least `strong_name_level` (plate and a partly similar name are not independent),
    # and, when the form has name fields, its given name and first surname in the account's
    # name (a brother named like the lead's middle name is "contained" in it)
    strong = pl.col("best_name_level").is_between(0, s.strong_name_level).fill_null(False)
    core = pl.col("best_core").fill_null(True)
    named = pl.col("best_keyed").fill_null(False) | (strong & core)
    link = (
        (best >= s.target_precision)
        & margin
        & named
        & (pl.col("best_noact").fill_null(0.0) >= s.activity_alone_floor)
    )
    plausible = best >= s.review_probability
    rival = second >= s.review_probability
    elsewhere = other >= s.review_probability
    outcome = (
        pl.when(link).then(pl.lit(Outcome.MATCHED.value))
        .when(plausible | elsewhere).then(pl.lit(Outcome.REVIEW.value))
        .otherwise(pl.lit(Outcome.UNMATCHED.value))
    )  # fmt: skip
    reason = (
        pl.when(link).then(pl.lit(Rule.IG_SCORED.value))
        .when(plausible & rival).then(pl.lit(Reason.MULTIPLE_CANDIDATES.value))
        .when(plausible).then(pl.lit(Reason.WEAK_MATCH_ONLY.value))
        .when(elsewhere).then(pl.lit(Reason.OTHER_PARK_ONLY.value))
        .when(pl.col("shown").is_null()).then(pl.lit(Reason.NO_CANDIDATES.value))
        .otherwise(pl.lit(Reason.WEAK_MATCH_ONLY.value))
    )  # fmt: skip
    shown_score = pl.when(plausible | ~elsewhere).then("best").otherwise("other")
    extra = pl.struct(
        pl.col("best_evidence").struct.unnest(),
        probability=pl.col("best").round(6),
        same_person_accounts=pl.col("siblings"),
    ).struct.json_encode()
    return out.select(
        "ci",
        outcome=outcome,
        reason_code=reason,
        driver_id=pl.when(link).then("best_driver"),
        rule=pl.when(link).then(pl.lit(Rule.IG_SCORED.value)),
        score=pl.when(pl.col("shown").is_not_null()).then((shown_score * 100).round(1)),
        confidence=pl.when(link).then(confidence_expr(best)),
        extra_json=pl.when(pl.col("best_evidence").is_not_null()).then(extra),
        candidates_json=pl.col("shown").fill_null("[]"),
        probability="best",  # the most probable target-park account's (null: none)
    ).cast(DECIDED)  # type: ignore[arg-type]


def confidence_expr(p: pl.Expr) -> pl.Expr:
    """HIGH >= 0.9999, MEDIUM >= 0.999, else LOW."""
    return (
        pl.when(p >= 0.9999).then(pl.lit("HIGH"))
        .when(p >= 0.999).then(pl.lit("MEDIUM"))
        .otherwise(pl.lit("LOW"))
    )  # fmt: skip


def _label(c: Comparison) -> pl.Expr:
    return pl.col(c.column).replace_strict(
        list(range(len(c.labels()))), list(c.labels()), return_dtype=pl.Utf8
    )


def _evidence(comps: tuple[Comparison, ...], weights: Weights) -> pl.Expr:
    """Per pair, in the words the review screen reads (matching v2 keys kept)."""
    same = pl.lit("same")
    plate = pl.col("lvl_plate").replace_strict(
        [0, 1, 2, 3, 4, 5], [None, *PLATE_WORDS.values()], return_dtype=pl.Utf8
    )
    act = next(c for c in comps if c.name == "activity")
    contradicts = next(c for c in comps if c.name == "name").level_of("contradicts")
    activity = pl.when(pl.col("lvl_activity") > 0).then(
        pl.struct(
            level=_label(act),
            claimed_band=pl.col("flag_band"),
            window_days=pl.lit(weights.window),
            trips_in_window=pl.col("trips_window"),
        )
    )
    return pl.struct(
        name_similarity=pl.col("name_sim").round(3),
        phone=pl.when(pl.col("lvl_phone") == 1).then(same),
        license=pl.when(pl.col("lvl_licence") == 1).then(same),
        plate=plate,
        name=pl.when(pl.col("lvl_name") == contradicts).then(pl.lit("contradicts")),
        name_contained=pl.col("lvl_name") == 2,
        hire_days_from_lead=pl.col("hire_days"),
        model=pl.when(pl.col("lvl_model") == 1).then(same),
        park=pl.when(pl.col("target")).then(pl.lit("target")).otherwise(pl.lit("other")),
        activity=activity,
    )


def _shown(
    scored: pl.DataFrame,
    comps: tuple[Comparison, ...],
    s: MatchSettings,
    population: int,
    weights: Weights,
) -> pl.DataFrame:
    """(ci, shown): the top candidates, most probable first, each with its breakdown, as the
    JSON array the decision stores."""
    order = (
        scored.select("ci", "probability", "driver_id_d")
        .with_row_index("_r")
        .sort(["ci", "probability", "driver_id_d"], descending=[False, True, False])
        .group_by("ci", maintain_order=True)
        .head(s.max_candidates)
    )
    top = scored[order["_r"]]  # only the shown pairs get evidence and breakdowns
    item = pl.struct(
        driver_id="driver_id_d",
        park_id="park_id_d",
        score=(pl.col("probability") * 100).round(1),
        probability=pl.col("probability").round(6),
        name_similarity=pl.col("name_sim").round(3),
        evidence=_evidence(comps, weights),
    ).struct.json_encode()
    # JSON text built per row and joined per lead: a list of structs (concat_list) took 4 s
    # at 100,000 leads, encoding each small struct on its own a tenth of that
    text = pl.concat_str(
        pl.col("item").str.strip_suffix("}"),  # the object, open for its breakdown
        pl.lit(',"breakdown":['),
        _breakdown_json(comps, s, population),
        pl.lit("]}"),
    )
    rows = top.with_columns(item=item).select("ci", item=text)
    joined = rows.group_by("ci", maintain_order=True).agg(pl.col("item").str.join(","))
    return joined.select("ci", shown=pl.concat_str(pl.lit("["), "item", pl.lit("]")))


def _breakdown_json(comps: tuple[Comparison, ...], s: MatchSettings, population: int) -> pl.Expr:
    """The prior and each comparison's level and weight (log2 Bayes factor), as JSON items
    written as text (labels are plain codes; weights rounded to 2 decimals)."""
    prior = round(math.log2(s.prior_has_driver / population), 2)
    parts = [pl.lit(f'{{"comparison":"prior","level":"","weight":{prior}}}')]
    for c in comps:
        weight = pl.col(f"w_{c.name}").round(2).cast(pl.Utf8)
        parts += [
            pl.lit(f',{{"comparison":"{c.name}","level":"'),
            _label(c),
            pl.lit('","weight":'),
            weight,
            pl.lit("}"),
        ]
    return pl.concat_str(parts)


def one_to_one(decided: pl.DataFrame, usable: pl.DataFrame, s: MatchSettings) -> pl.DataFrame:
    """An account belongs to one person: when leads that are not one person were linked to
    one account, none of them is linked (review, MULTIPLE_CANDIDATES)."""
    keys = usable.select("ci", "name_tokens", "given_token")
    linked = decided.filter(pl.col("outcome") == Outcome.MATCHED.value).join(keys, on="ci")
    shared = linked.filter(pl.len().over("driver_id") > 1)
    clash = [
        driver
        for driver, names, given in shared.group_by("driver_id")
        .agg("name_tokens", "given_token")
        .rows()
        if not _one_person(names, given, s)
    ]
    if not clash:
        return decided
    hit = pl.col("driver_id").is_in(clash).fill_null(False)
    return decided.with_columns(
        outcome=pl.when(hit).then(pl.lit(Outcome.REVIEW.value)).otherwise("outcome"),
        reason_code=pl.when(hit)
        .then(pl.lit(Reason.MULTIPLE_CANDIDATES.value))
        .otherwise("reason_code"),
        rule=pl.when(hit).then(None).otherwise("rule"),
        confidence=pl.when(hit).then(None).otherwise("confidence"),
        driver_id=pl.when(hit).then(None).otherwise("driver_id"),
    )


def _one_person(names: list, given: list, s: MatchSettings) -> bool:
    """Duplicate leads of one person: each name is (nearly) the first one's, contained in it,
    or shares two tokens with it including both forms' first given names (CESAR RIOS FLORES
    and RIOS CESAR WALTER; brothers share surnames, not the given name). A shared phone is
    not enough: families share phones and cars."""
    canon = [[NICKNAMES.get(t, t) for t in (n or [])] for n in names]
    firsts = [NICKNAMES.get(g, g) if g else None for g in given]
    for name, g in zip(canon[1:], firsts[1:], strict=True):
        a, b = set(canon[0]), set(name)
        contained = min(len(a), len(b)) >= 2 and (a <= b or b <= a)
        crossed = len(a & b) >= 2 and firsts[0] in b and g in a
        near = fuzzy_similarity(canon[0], name) >= s.same_person_min_name
        if not (contained or crossed or near):
            return False
    return True
