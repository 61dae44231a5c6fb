"""Score payment matching and the ledger against the generator's truth (pure: frames in).

- payments: precision = payments tied to their true lead / payments tied to any lead; recall
  = tied to their true lead / payments that have a true lead (also over the "matchable" ones,
  whose true lead is correctly linked, since nobody can tie a payment to an unlinked lead);
- agreement: over the lead x milestones of correctly linked leads (our driver = true driver),
  the share whose status, reached, paid and payment id all equal the truth's. The truth knows
  no deadline, so an `expired` row is compared as `owed`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl


@dataclass(frozen=True)
class ClaimsReport:
    payments: int
    with_true_lead: int
    matched: int
    correct: int
    wrong: int
    review: int
    matchable: int
    precision: float | None
    recall: float | None
    recall_matchable: float | None
    linked_lead_milestones: int
    agreeing: int
    agreement: float | None
    disagreements_by_status: dict[str, int]

    def to_dict(self) -> dict:
        return asdict(self)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def score(
    decisions: pl.DataFrame, ledger: pl.DataFrame, truth_payments: pl.DataFrame,
    truth_claims: pl.DataFrame,
) -> ClaimsReport:  # fmt: skip
    """`decisions`: payment_id, outcome, lead_id; `ledger`: the export's columns (text);
    truth files as the generator writes them (text)."""
    tp = truth_payments.select("payment_id", true_lead=pl.col("lead_id"))
    d = tp.join(decisions, on="payment_id", how="left")
    matched = d.filter(pl.col("outcome") == "matched")
    correct = matched.filter(pl.col("lead_id") == pl.col("true_lead")).height
    linked = _correctly_linked(ledger, truth_claims)
    linked_leads = linked.select("lead_id").unique()
    matchable = d.join(linked_leads, left_on="true_lead", right_on="lead_id", how="semi")
    agree = _agrees(linked)
    wrong = linked.filter(~agree)
    return ClaimsReport(
        payments=d.height,
        with_true_lead=d.filter(pl.col("true_lead").is_not_null()).height,
        matched=matched.height,
        correct=correct,
        wrong=matched.height - correct,
        review=d.filter(pl.col("outcome") == "review").height,
        matchable=matchable.height,
        precision=_rate(correct, matched.height),
        recall=_rate(correct, d.filter(pl.col("true_lead").is_not_null()).height),
        recall_matchable=_rate(
            matchable.filter(
                (pl.col("outcome") == "matched") & (pl.col("lead_id") == pl.col("true_lead"))
            ).height,
            matchable.height,
        ),
        linked_lead_milestones=linked.height,
        agreeing=linked.height - wrong.height,
        agreement=_rate(linked.height - wrong.height, linked.height),
        disagreements_by_status=dict(
            wrong.group_by("true_status").len().sort("true_status").rows()
        ),
    )


def _correctly_linked(ledger: pl.DataFrame, truth_claims: pl.DataFrame) -> pl.DataFrame:
    t = truth_claims.select(
        "lead_id", "milestone", "true_driver_id", true_status="status",
        true_reached="reached", true_paid="paid", true_payment="payment_id",
    )  # fmt: skip
    return ledger.join(t, on=["lead_id", "milestone"]).filter(
        pl.col("driver_id").is_not_null() & (pl.col("driver_id") == pl.col("true_driver_id"))
    )


def _agrees(df: pl.DataFrame) -> pl.Expr:
    ours = pl.when(pl.col("status") == "expired").then(pl.lit("owed")).otherwise(pl.col("status"))
    return (
        (ours == pl.col("true_status"))
        & (pl.col("reached").str.to_lowercase() == pl.col("true_reached").str.to_lowercase())
        & (pl.col("paid").str.to_lowercase() == pl.col("true_paid").str.to_lowercase())
        & pl.col("payment_id").eq_missing(pl.col("true_payment"))
    )
