"""The engine: (candidates, driver index, ruleset, settings) -> one decision per candidate.

Set-based: the blocking joins and idgap's scoring run over whole frames in Polars. The ct4
baseline keeps the reference's rule-by-rule logic in Python, over the few pairs each candidate's
blocks produced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

import orjson
import polars as pl

from idgap.matching import ct4, scoring
from idgap.matching.blocking import candidate_pairs, prepare_index
from idgap.matching.index import index_version as compute_index_version
from idgap.matching.model import DECISION_SCHEMA, Decision, Outcome, Reason
from idgap.matching.normalize import normalize_candidates
from idgap.matching.settings import MatchSettings

RULESETS = {"ct4": ct4.VERSION, "idgap": scoring.VERSION}
CHUNK = 20_000  # candidates per slice
INPUTS = ("phone_norm", "license_norm", "plate_norm", "name_norm", "model_norm")

_DECIDED = {
    "ci": pl.UInt32, "outcome": pl.Utf8, "reason_code": pl.Utf8, "driver_id": pl.Utf8,
    "rule": pl.Utf8, "score": pl.Float64, "confidence": pl.Utf8, "extra_json": pl.Utf8,
    "candidates_json": pl.Utf8,
}  # fmt: skip


def match_candidates(
    candidates: pl.DataFrame,
    index: pl.DataFrame,
    *,
    ruleset: str = "idgap",
    settings: MatchSettings | None = None,
    index_version: str | None = None,
    linked_drivers: Collection[str] = (),
) -> pl.DataFrame:
    """Decide every candidate against the index; see docs/ARCHITECTURE.md for the frames.

    Args:
        candidates: the canonical candidates frame (raw columns; normalised here). An optional
            boolean `date_error` column marks rows whose date failed to parse.
        index: `index.build_driver_index(drivers)` (prepared blocking keys are cached per frame).
        ruleset: "idgap" (default) or "ct4" (the reference rules, the baseline).
        settings: thresholds; `MatchSettings()` when omitted.
        index_version: recorded on every decision; computed from `index` when omitted.
        linked_drivers: ids of drivers that already belong to a person. Only ct4's R3b reads
            them (the reference linked by R3b only to an existing person).
    """
    if ruleset not in RULESETS:
        raise ValueError(f"unknown ruleset {ruleset!r}; choose one of {sorted(RULESETS)}")
    s = settings or MatchSettings()
    ix = prepare_index(index, name_keys=ruleset == "idgap")
    iv = index_version or compute_index_version(index)
    cands = _prepare(candidates)
    usable = cands.filter(~pl.col("_missing") & ~pl.col("_date_error"))
    linked = frozenset(linked_drivers)
    # each candidate is decided on its own pairs, so slices give the same decisions; they
    # bound the pair frames (and peak memory) whatever the number of candidates
    decided = pl.concat(
        [
            _decide(usable.slice(start, CHUNK), ix, ruleset, s, linked)
            for start in range(0, max(usable.height, 1), CHUNK)
        ]
    )
    return _assemble(cands, decided, ruleset, iv, s)


def _decide(
    usable: pl.DataFrame, ix: pl.DataFrame, ruleset: str, s: MatchSettings, linked: frozenset[str]
) -> pl.DataFrame:
    pairs = candidate_pairs(usable, ix, s, by_name=ruleset == "idgap")
    if ruleset == "idgap":
        decided = scoring.decide_frame(usable.select("ci"), pairs, s).with_columns(
            extra_json=pl.col("best_evidence").struct.json_encode()
        )
    else:
        decided = _ct4_frame(usable, pairs, s, linked)
    return decided.select(list(_DECIDED))


def _prepare(candidates: pl.DataFrame) -> pl.DataFrame:
    df = candidates
    if "date_error" not in df.columns:
        df = df.with_columns(date_error=pl.lit(False))
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


def _ct4_frame(
    cands: pl.DataFrame, pairs: pl.DataFrame, s: MatchSettings, linked: frozenset[str]
) -> pl.DataFrame:
    by_ci: dict[int, list[dict]] = defaultdict(list)
    for p in _dicts(pairs):
        by_ci[p["ci"]].append(p)
    rows = []
    cols = ["ci", *INPUTS, "brand_norm", "name_tokens"]
    for c in _dicts(cands.select(cols)):
        d = ct4.decide(c, by_ci.get(c["ci"], []), s, linked)
        rows.append(_decided_row(c["ci"], d))
    return pl.DataFrame(rows, schema=_DECIDED, orient="row")


def _decided_row(ci: int, d: Decision) -> tuple:
    return (
        ci,
        d.outcome.value,
        str(d.reason),
        d.driver_id,
        d.rule,
        d.score,
        d.confidence,
        _json(d.evidence) if d.evidence else None,
        _json(d.candidates),
    )


def _dicts(df: pl.DataFrame) -> list[dict]:
    """Rows as dicts, built from column lists (several times faster than iter_rows)."""
    cols = df.to_dict(as_series=False)
    names = list(cols)
    return [dict(zip(names, values, strict=True)) for values in zip(*cols.values(), strict=True)]


def _json(value: object) -> str:
    return orjson.dumps(value, default=str).decode()


def _assemble(
    cands: pl.DataFrame, decided: pl.DataFrame, ruleset: str, iv: str, s: MatchSettings
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
        evidence_json=_evidence_json(ruleset, s),
        candidates_json=pl.when(blocked).then(pl.lit("[]")).otherwise("candidates_json"),
        ruleset=pl.lit(ruleset),
        ruleset_version=pl.lit(RULESETS[ruleset]),
        index_version=pl.lit(iv),
        probability=pl.when(~blocked).then(_probability(decided)),
    )
    return out.select([pl.col(c).cast(t) for c, t in DECISION_SCHEMA.items()])


def _probability(decided: pl.DataFrame) -> pl.Expr:
    """The ruleset's posterior for the chosen (or best) candidate; ct4 has none (null)."""
    if "probability" in decided.columns:
        return pl.col("probability")
    return pl.lit(None, dtype=pl.Float64)


def _evidence_json(ruleset: str, s: MatchSettings) -> pl.Expr:
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
    thresholds = _json(_thresholds(ruleset, s))
    return pl.concat_str(
        pl.lit('{"inputs":'),
        inputs,
        pl.lit(',"lead_date":'),
        day_json,
        missing,
        extra_part,
        pl.lit(f',"thresholds":{thresholds}}}'),
    )


def _thresholds(ruleset: str, s: MatchSettings) -> dict:
    if ruleset == "ct4":
        return {"name": s.name_threshold, "gap": s.name_gap, "hire_window": list(s.hire_window)}
    return {
        "auto_link": s.auto_link_score,
        "margin": s.auto_link_margin,
        "min_name": s.auto_link_min_name,
        "review": s.review_score,
        "other_park_review": s.other_park_review_score,
        "hire_window": list(s.hire_window),
    }
