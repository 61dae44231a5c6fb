"""The engine: (candidates, driver index, ruleset, settings) -> one decision per candidate.

Set-based: the blocking joins and idgap's scoring run over whole frames in Polars. The ct4
baseline keeps the reference's rule-by-rule logic in Python, over the few pairs each candidate's
blocks produced.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from idgap.matching.activity import flag_band
from idgap.matching.idgap_rules import IdgapRuleset
from idgap.matching.index import index_version as compute_index_version
from idgap.matching.model import DECISION_SCHEMA, Outcome, Reason
from idgap.matching.normalize import normalize_candidates
from idgap.matching.prepared import PreparedIndex, prepare_index
from idgap.matching.rulesets import DECIDED, INPUTS, Ct4Ruleset, MatchContext, Ruleset, to_json
from idgap.matching.settings import MatchSettings

REGISTRY: dict[str, Ruleset] = {r.name: r for r in (IdgapRuleset(), Ct4Ruleset())}
RULESETS = {name: r.version for name, r in REGISTRY.items()}  # name -> version
__all__ = ["DECISION_SCHEMA", "REGISTRY", "RULESETS", "match_candidates"]


def match_candidates(
    candidates: pl.DataFrame,
    index: pl.DataFrame | PreparedIndex,
    *,
    ruleset: str = "idgap",
    settings: MatchSettings | None = None,
    index_version: str | None = None,
    linked_drivers: Collection[str] = (),
    trips: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Decide every candidate against the index; see docs/ARCHITECTURE.md for the frames.

    Args:
        candidates: the canonical candidates frame (raw columns; normalised here). An optional
            boolean `date_error` column marks rows whose date failed to parse; an optional
            `flag_band` (activity.flag_band) carries the lead's Yango activity flags.
        index: `index.build_driver_index(drivers)`, or its `prepare_index` value (hold it to
            match several times against one index without preparing it again).
        ruleset: "idgap" (default) or "ct4" (the reference rules, the baseline).
        settings: thresholds and priors; `MatchSettings()` when omitted.
        index_version: recorded on every decision; computed from `index` when omitted.
        linked_drivers: ids of drivers that already belong to a person. Only ct4's R3b reads
            them (the reference linked by R3b only to an existing person).
        trips: per-driver daily trips (driver_id, activity_date, trips) from `summary_daily`,
            the activity evidence; None when unknown (then activity weighs nothing).
    """
    if ruleset not in REGISTRY:
        raise ValueError(f"unknown ruleset {ruleset!r}; choose one of {sorted(REGISTRY)}")
    rules, s = REGISTRY[ruleset], settings or MatchSettings()
    ix = prepare_index(index, name_keys=False)
    iv = index_version or compute_index_version(ix.source)
    cands = _prepare(candidates)
    usable = cands.filter(~pl.col("_missing") & ~pl.col("_date_error"))
    ctx = MatchContext(frozenset(linked_drivers), _trips_by_di(trips, ix))
    decided = rules.decide(usable, ix, s, ctx).select(list(DECIDED))
    return _assemble(cands, decided, rules, iv, s)


def _trips_by_di(trips: pl.DataFrame | None, ix: PreparedIndex) -> pl.DataFrame | None:
    """(di, activity_date, trips) of indexed accounts, from the driver-keyed input frame."""
    if trips is None:
        return None
    keyed = trips.select(
        pl.col("driver_id").cast(pl.Utf8),
        pl.col("activity_date").cast(pl.Date),
        pl.col("trips").cast(pl.Int64),
    )
    return keyed.join(ix.frame.select("di", "driver_id"), on="driver_id").drop("driver_id")


def _prepare(candidates: pl.DataFrame) -> pl.DataFrame:
    df = candidates
    if "date_error" not in df.columns:
        df = df.with_columns(date_error=pl.lit(False))
    if "flag_band" not in df.columns:
        df = df.with_columns(flag_band=flag_band(df))
    df = normalize_candidates(df.with_columns(pl.col("lead_date").cast(pl.Date)))
    pk = pl.col("source_pk").cast(pl.Utf8)
    return (
        df.with_row_index("ci")
        .with_columns(
            source_pk=pk,
            name_key=pl.col("name_tokens").list.sort().list.join(" "),
            _no_pk=pk.is_null() | (pk.str.strip_chars() == ""),
            _no_date=pl.col("lead_date").is_null(),
            _date_error=pl.col("date_error").fill_null(False).cast(pl.Boolean),
        )
        .with_columns(_missing=pl.col("_no_pk") | pl.col("_no_date"))
    )


def _assemble(
    cands: pl.DataFrame, decided: pl.DataFrame, rules: Ruleset, iv: str, s: MatchSettings
) -> pl.DataFrame:
    """Pre-checks (MISSING_KEYS, INVALID_DATE_FORMAT) win; then the ruleset's decision."""
    df = cands.join(decided, on="ci", how="left")
    invalid, missing = pl.col("_date_error"), pl.col("_missing")
    blocked = invalid | missing
    pre_reason = (
        pl.when(invalid)
        .then(pl.lit(Reason.INVALID_DATE_FORMAT.value))
        .otherwise(pl.lit(Reason.MISSING_KEYS.value))
    )
    out = df.select(
        pl.col("source_table").cast(pl.Utf8),
        "source_pk",
        outcome=pl.when(blocked).then(pl.lit(Outcome.UNMATCHED.value)).otherwise("outcome"),
        driver_id=pl.when(~blocked).then("driver_id"),
        rule=pl.when(~blocked).then("rule"),
        score=pl.when(~blocked).then("score"),
        confidence=pl.when(~blocked).then("confidence"),
        reason_code=pl.when(blocked).then(pre_reason).otherwise("reason_code"),
        evidence_json=_evidence_json(rules.thresholds(s)),
        candidates_json=pl.when(blocked).then(pl.lit("[]")).otherwise("candidates_json"),
        ruleset=pl.lit(rules.name),
        ruleset_version=pl.lit(RULESETS[rules.name]),
        index_version=pl.lit(iv),
        probability=pl.when(~blocked).then("probability"),
    )
    return out.select([pl.col(c).cast(t) for c, t in DECISION_SCHEMA.items()])


def _evidence_json(thresholds: dict) -> pl.Expr:
    """{"inputs": normalised inputs, "lead_date", [missing_keys], ...decision evidence,
    "thresholds"} built as text: one JSON object per candidate without a Python loop."""
    inputs = pl.struct(*INPUTS).struct.json_encode()
    day = pl.col("lead_date").dt.strftime("%Y-%m-%d")
    day_json = (
        pl.when(day.is_null())
        .then(pl.lit("null"))
        .otherwise(pl.concat_str(pl.lit('"'), day, pl.lit('"')))
    )
    missing = (
        pl.when(pl.col("_no_pk") & pl.col("_no_date"))
        .then(pl.lit(',"missing_keys":["source_pk","lead_date"]'))
        .when(pl.col("_no_pk")).then(pl.lit(',"missing_keys":["source_pk"]'))
        .when(pl.col("_no_date")).then(pl.lit(',"missing_keys":["lead_date"]'))
        .otherwise(pl.lit(""))
    )  # fmt: skip
    extra = pl.col("extra_json")
    extra_part = (
        pl.when(extra.str.starts_with("{") & (extra.str.len_chars() > 2) & ~pl.col("_missing"))
        .then(pl.concat_str(pl.lit(","), extra.str.slice(1, extra.str.len_chars() - 2)))
        .otherwise(pl.lit(""))
    )
    thresholds_json = to_json(thresholds)
    return pl.concat_str(
        pl.lit('{"inputs":'),
        inputs,
        pl.lit(',"lead_date":'),
        day_json,
        missing,
        extra_part,
        pl.lit(f',"thresholds":{thresholds_json}}}'),
    )
