"""The gap semantics of SPEC §5 as Polars expressions (one definition, used everywhere).

Decisions taken where the reference is silent or wrong (documented in docs/runbook.md):
- `no_driver` ranks with `no_identity` for risk: a person without a driver account earns no
  trips and no bonus, exactly like a lead without identity (high from 7 days, medium from 2).
- `other_origin` is always high risk (REF §5.1 `inconsistent_origin`): the bonus is being
  claimed, if at all, through another lead or channel; a human must confirm which.
- Ages are not clamped: a lead dated in the future has a negative age and low risk.
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from idgap.config import Settings

LEADS = "module_ct_cabinet_leads"
DRIVERS = "drivers"
GAP_REASONS = ("no_identity", "no_driver", "no_origin", "other_origin", "resolved")
UNRESOLVED = GAP_REASONS[:-1]
RISK_LEVELS = ("high", "medium", "low")
HIGH_AGE_DAYS = 7
MEDIUM_AGE_DAYS = 2
# who lacks a driver (and so any trips) goes high with age; who lacks only bookkeeping does not
_HIGH_WITH_AGE = ("no_identity", "no_driver")
_MEDIUM_WITH_AGE = ("no_identity", "no_driver", "no_origin")

# where a person's origin comes from when the row does not name the source table
ORIGIN_TAG_TABLE = {
    "cabinet_lead": LEADS,
    "scout_registration": "module_ct_scouting_daily",
    "migration": "module_ct_migrations",
    "legacy_external": DRIVERS,
}


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
    """REF §5.1 with other_origin for inconsistent_origin (see module docstring for no_driver)."""
    age, reason = pl.col("gap_age_days"), pl.col("gap_reason")
    high = (reason.is_in(_HIGH_WITH_AGE) & (age >= HIGH_AGE_DAYS)) | (reason == "other_origin")
    medium = reason.is_in(_MEDIUM_WITH_AGE) & (age >= MEDIUM_AGE_DAYS)
    return (
        pl.when(high)
        .then(pl.lit("high"))
        .when(medium)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )


def risk_level_sql(reason: sa.ColumnElement, age: sa.ColumnElement) -> sa.ColumnElement:
    """The same rule as `risk_level`, for set-based UPDATEs of stale ages."""
    aged = sa.and_(reason.in_(_HIGH_WITH_AGE), age >= HIGH_AGE_DAYS)
    high = sa.or_(aged, reason == "other_origin")
    medium = sa.and_(reason.in_(_MEDIUM_WITH_AGE), age >= MEDIUM_AGE_DAYS)
    return sa.case((high, "high"), (medium, "medium"), else_="low")


def milestones(trips: pl.Expr, settings: Settings) -> tuple[pl.Expr, pl.Expr]:
    """(milestones reached, cumulative amount) for a trip count in the claim window."""
    pairs = zip(settings.milestone_trips, settings.milestone_amounts, strict=True)
    reached = pl.sum_horizontal([(trips >= m).cast(pl.Int32) for m in settings.milestone_trips])
    amount = pl.sum_horizontal([pl.when(trips >= m).then(a).otherwise(0.0) for m, a in pairs])
    return reached, amount


def origin_detail() -> pl.Expr:
    """Which source holds the person's origin: 'cabinet_lead:<lead>', 'migration:<id>', ..."""
    tag, source = pl.col("origin_tag"), pl.col("origin_source_id")
    return (
        pl.when(tag == "legacy_external").then(pl.lit("legacy_external"))
        .otherwise(pl.concat_str([tag, source.fill_null("")], separator=":"))
        .str.slice(0, 200)
    )  # fmt: skip
