"""Tie each payment of Yango's report to a lead (pure: frames in, decisions out).

The payee is free text (REF §1.5). Both the payee and each candidate's names (the lead's own
name and its linked driver's account name) go through `matching.normalize` and become sets of
tokens, so order, accents, case and stopwords do not matter. A payee and a name agree when one
token set contains the other and they share at least two tokens: a missing middle name or
second surname still agrees, a lone given name never does.

Blocking: if one set contains the other, every token pair of the smaller set is a pair of the
larger one, so joining each name's rarest pair against all pairs of the other side finds every
agreeing couple without comparing namesake-heavy pairs such as "JOSE QUISPE" wholesale.

Candidates are leads whose claim window ended on or before the payment date and at most
`lag_days` before it, with or without a driver: a lead without identity cannot be paid, but a
namesake among those leads makes the payment ambiguous all the same. A payment is matched only
when exactly one person (or lead without identity) agrees by name: to it when its lead reached
the paid milestone, or, with exactly the payee's name, as a dispute (`paid_not_reached`).
Several agreeing persons are namesakes and go to review, never guessed, even when only one of
them reached the milestone (the payee may be the other one, paid in error or not yet linked).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import polars as pl

from idgap.claims.model import FLAG_COLUMNS, PaymentOutcome, PaymentReason
from idgap.matching.normalize import name, name_tokens

MAX_CANDIDATES = 5
MIN_SHARED_TOKENS = 2
DECISION_SCHEMA = {
    "payment_id": pl.Utf8,
    "outcome": pl.Utf8,
    "reason_code": pl.Utf8,
    "lead_id": pl.Utf8,
    "person_key": pl.Utf8,
    "candidates_json": pl.Utf8,
}
PAYMENT_SCHEMA = {
    "payment_id": pl.Utf8, "date": pl.Date, "driver": pl.Utf8,
    "trip_1": pl.Boolean, "trip_5": pl.Boolean, "trip_25": pl.Boolean,
}  # fmt: skip
CANDIDATE_SCHEMA = {
    "lead_id": pl.Utf8, "lead_date": pl.Date, "person_key": pl.Utf8, "driver_id": pl.Utf8,
    "trips_14d": pl.Int64, "lead_name": pl.Utf8, "driver_name": pl.Utf8,
}  # fmt: skip


@dataclass(frozen=True)
class PaymentRules:
    window_days: int = 14  # the claim window: [lead_date, lead_date + N days)
    lag_days: int = 120  # Yango pays within this many days after the window closes


def token_set(e: pl.Expr) -> pl.Expr:
    """A name as its sorted, distinct tokens (SPEC §4.1 normalisation)."""
    return name_tokens(name(e)).list.unique().list.sort()


def paid_milestone(df: pl.DataFrame) -> pl.Expr:
    """The highest milestone a payment row pays (null when no flag is set)."""
    expr: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for milestone, col in sorted(FLAG_COLUMNS.items()):
        expr = pl.when(pl.col(col).fill_null(False)).then(pl.lit(milestone)).otherwise(expr)
    return expr


def _pairs(df: pl.DataFrame, row: str) -> pl.DataFrame:
    """(row, pair) for every pair of distinct tokens of each row's token set."""
    t = df.select(row, "tokens").explode("tokens").drop_nulls("tokens")
    both = t.join(t, on=row, suffix="_b").filter(pl.col("tokens") < pl.col("tokens_b"))
    return both.select(row, pair=pl.concat_str("tokens", "tokens_b", separator=" "))


def _rarest_pair(pairs: pl.DataFrame, row: str, other: pl.DataFrame) -> pl.DataFrame:
    """Each row's pair that is least frequent on the other side (absent = frequency 0)."""
    freq = other.group_by("pair").len("freq")
    return (
        pairs.join(freq, on="pair", how="left")
        .with_columns(pl.col("freq").fill_null(0))
        .sort(row, "freq", "pair")
        .group_by(row, maintain_order=True)
        .first()
        .select(row, "pair")
    )


def agreeing_names(payees: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """(payment_id, name_row, exact) for every payee and candidate name that agree."""
    p_pairs, n_pairs = _pairs(payees, "payment_id"), _pairs(names, "name_row")
    found = (
        pl.concat(
            [
                _rarest_pair(p_pairs, "payment_id", n_pairs).join(n_pairs, on="pair"),
                _rarest_pair(n_pairs, "name_row", p_pairs).join(p_pairs, on="pair"),
            ],
            how="diagonal",
        )
        .select("payment_id", "name_row")
        .unique()
    )
    both = found.join(payees.select("payment_id", "tokens"), on="payment_id").join(
        names.select("name_row", pl.col("tokens").alias("c_tokens")), on="name_row"
    )
    shared = pl.col("tokens").list.set_intersection("c_tokens").list.len()
    smaller = pl.min_horizontal(pl.col("tokens").list.len(), pl.col("c_tokens").list.len())
    return both.filter((shared == smaller) & (smaller >= MIN_SHARED_TOKENS)).select(
        "payment_id",
        "name_row",
        exact=pl.col("tokens").list.len() == pl.col("c_tokens").list.len(),
    )


def _candidate_names(candidates: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct (lead, token set): the lead's name and its driver's name."""
    variants = pl.concat(
        [
            candidates.select("lead_id", tokens=token_set(pl.col("lead_name"))),
            candidates.select("lead_id", tokens=token_set(pl.col("driver_name"))),
        ]
    )
    return (
        variants.filter(pl.col("tokens").list.len() >= MIN_SHARED_TOKENS)
        .unique(maintain_order=True)
        .with_row_index("name_row")
    )


def match_payments(
    payments: pl.DataFrame, candidates: pl.DataFrame, rules: PaymentRules
) -> pl.DataFrame:
    """One decision per payment (DECISION_SCHEMA). `payments` as PAYMENT_SCHEMA, `candidates`
    (leads with a driver) as CANDIDATE_SCHEMA."""
    payees = payments.with_columns(
        tokens=token_set(pl.col("driver")), milestone=paid_milestone(payments)
    )
    names = _candidate_names(candidates)
    pairs = agreeing_names(payees.filter(pl.col("milestone").is_not_null()), names)
    hits = (
        pairs.join(names.select("name_row", "lead_id"), on="name_row")
        .group_by("payment_id", "lead_id")
        .agg(pl.col("exact").any())
        .join(payees.select("payment_id", "date", "milestone"), on="payment_id")
        .join(candidates, on="lead_id")
        .filter(_in_window(rules))
        .with_columns(
            linked=pl.col("driver_id").is_not_null(),
            reached=pl.col("driver_id").is_not_null()
            & (pl.col("trips_14d") >= pl.col("milestone")),
            who=pl.coalesce("person_key", pl.concat_str(pl.lit("lead:"), "lead_id")),
        )
    )
    decided = _decide(hits)
    return (
        payees.select("payment_id", "tokens", "milestone")
        .join(decided, on="payment_id", how="left")
        .with_columns(_fallback_reason())
        .select(list(DECISION_SCHEMA))
    )


def _in_window(rules: PaymentRules) -> pl.Expr:
    closes = pl.col("lead_date") + pl.duration(days=rules.window_days)
    return (pl.col("date") >= closes) & (pl.col("date") < closes + pl.duration(days=rules.lag_days))


def _decide(hits: pl.DataFrame) -> pl.DataFrame:
    """Per payment: matched / review from its candidate leads (one row per payment x lead)."""
    ranked = hits.sort(
        ["payment_id", "reached", "exact", "lead_date", "lead_id"],
        descending=[False, True, True, True, False],
    )
    per_person = ranked.group_by("payment_id", "who", maintain_order=True).first()
    summary = per_person.group_by("payment_id", maintain_order=True).agg(
        n_reached=pl.col("reached").sum(),
        n_any=pl.len(),
        first_exact=pl.col("exact").first(),
        first_linked=pl.col("linked").first(),
        lead_id=pl.col("lead_id").first(),
        person_key=pl.col("person_key").first(),
    )
    outcome, reason = _outcome()
    decided = summary.with_columns(outcome=outcome, reason_code=reason).with_columns(
        lead_id=pl.when(pl.col("outcome") == PaymentOutcome.MATCHED).then("lead_id"),
        person_key=pl.when(pl.col("outcome") == PaymentOutcome.MATCHED).then("person_key"),
    )
    return decided.join(_candidates_json(per_person), on="payment_id", how="left").select(
        "payment_id", "outcome", "reason_code", "lead_id", "person_key", "candidates_json"
    )


def _outcome() -> tuple[pl.Expr, pl.Expr]:
    one = pl.col("n_any") == 1
    reached = one & (pl.col("n_reached") == 1)
    single_exact = one & pl.col("first_linked") & pl.col("first_exact") & ~reached
    no_identity = one & ~pl.col("first_linked")
    outcome = (
        pl.when(reached | single_exact).then(pl.lit(PaymentOutcome.MATCHED.value))
        .when(no_identity).then(pl.lit(PaymentOutcome.UNMATCHED.value))
        .otherwise(pl.lit(PaymentOutcome.REVIEW.value))
    )  # fmt: skip
    reason = (
        pl.when(reached).then(pl.lit(PaymentReason.NAME_MILESTONE.value))
        .when(single_exact).then(pl.lit(PaymentReason.NAME_NOT_REACHED.value))
        .when(no_identity).then(pl.lit(PaymentReason.LEAD_WITHOUT_IDENTITY.value))
        .when(one).then(pl.lit(PaymentReason.WEAK_NAME_ONLY.value))
        .otherwise(pl.lit(PaymentReason.MULTIPLE_CANDIDATES.value))
    )  # fmt: skip
    return outcome, reason


def _fallback_reason() -> list[pl.Expr]:
    """Payments no candidate agreed with: why."""
    undecided = pl.col("outcome").is_null()
    reason = (
        pl.when(pl.col("milestone").is_null()).then(pl.lit(PaymentReason.NO_MILESTONE.value))
        .when(pl.col("tokens").list.len().fill_null(0) < MIN_SHARED_TOKENS)
        .then(pl.lit(PaymentReason.MISSING_NAME.value))
        .otherwise(pl.lit(PaymentReason.NO_CANDIDATES.value))
    )  # fmt: skip
    return [
        pl.when(undecided).then(pl.lit(PaymentOutcome.UNMATCHED.value)).otherwise("outcome")
        .alias("outcome"),
        pl.when(undecided).then(reason).otherwise("reason_code").alias("reason_code"),
    ]  # fmt: skip


def _candidates_json(per_person: pl.DataFrame) -> pl.DataFrame:
    """The best candidates of each payment (one per person), as JSON text, best first."""
    fields = ["person_key", "lead_id", "driver_id", "lead_name", "driver_name", "lead_date",
              "trips_14d", "reached", "exact"]  # fmt: skip
    top = per_person.group_by("payment_id", maintain_order=True).head(MAX_CANDIDATES)
    grouped: dict[str, list[dict]] = {}
    for row in top.select("payment_id", *fields).iter_rows(named=True):
        pid = row.pop("payment_id")
        grouped.setdefault(pid, []).append(row)
    return pl.DataFrame(
        {
            "payment_id": list(grouped),
            "candidates_json": [orjson.dumps(v).decode() for v in grouped.values()],
        },
        schema={"payment_id": pl.Utf8, "candidates_json": pl.Utf8},
    )
