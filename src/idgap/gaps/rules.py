"""The gap semantics of SPEC §5 as Polars expressions (one definition, used everywhere)."""

from __future__ import annotations

import polars as pl

from idgap.config import Settings

LEADS = "module_ct_cabinet_leads"
UNRESOLVED = ("no_identity", "no_driver", "no_origin", "other_origin")


def gap_reason() -> pl.Expr:
    """First that applies: no_identity -> no_driver -> no_origin -> other_origin -> resolved."""
    return (
        pl.when(~pl.col("has_identity")).then(pl.lit("no_identity"))
        .when(~pl.col("has_driver")).then(pl.lit("no_driver"))
        .when(pl.col("origin_tag").is_null()).then(pl.lit("no_origin"))
        .when(~pl.col("has_origin")).then(pl.lit("other_origin"))
        .otherwise(pl.lit("resolved"))
    )  # fmt: skip


def risk_level() -> pl.Expr:
    """REF §5.1 with other_origin for inconsistent_origin; no_driver ranks with no_origin."""
    age, reason = pl.col("gap_age_days"), pl.col("gap_reason")
    return (
        pl.when(((reason == "no_identity") & (age >= 7)) | (reason == "other_origin")).then(pl.lit("high"))
        .when(reason.is_in(["no_identity", "no_driver", "no_origin"]) & (age >= 2)).then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )  # fmt: skip


def milestones(trips: pl.Expr, settings: Settings) -> tuple[pl.Expr, pl.Expr]:
    """(milestones reached, cumulative amount) for a trip count in the claim window."""
    reached = pl.sum_horizontal([(trips >= m).cast(pl.Int32) for m in settings.milestone_trips])
    amount = pl.sum_horizontal(
        [pl.when(trips >= m).then(a).otherwise(0.0) for m, a in
         zip(settings.milestone_trips, settings.milestone_amounts, strict=True)]
    )
    return reached, amount
