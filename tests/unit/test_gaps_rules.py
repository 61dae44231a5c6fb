"""The pure gap rules: reason order, risk table, milestones, origin detail, the SQL twin of risk."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from idgap.config import Settings
from idgap.gaps.alerts import suggested_action
from idgap.gaps.rules import gap_reason, milestones, origin_detail, risk_level, risk_level_sql


def _reason(has_identity, has_driver, origin_tag, has_origin) -> str:
    df = pl.DataFrame(
        {
            "has_identity": [has_identity],
            "has_driver": [has_driver],
            "origin_tag": [origin_tag],
            "has_origin": [has_origin],
        },
        schema={
            "has_identity": pl.Boolean,
            "has_driver": pl.Boolean,
            "origin_tag": pl.Utf8,
            "has_origin": pl.Boolean,
        },
    )
    return df.select(gap_reason()).item()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((False, False, None, False), "no_identity"),
        ((True, False, "cabinet_lead", True), "no_driver"),  # first that applies wins
        ((True, True, None, False), "no_origin"),
        ((True, True, "cabinet_lead", False), "other_origin"),
        ((True, True, "migration", False), "other_origin"),
        ((True, True, "cabinet_lead", True), "resolved"),
    ],
)
def test_gap_reason_first_that_applies(flags, expected):
    assert _reason(*flags) == expected


RISK_TABLE = [
    ("no_identity", 0, "low"),
    ("no_identity", 1, "low"),
    ("no_identity", 2, "medium"),
    ("no_identity", 6, "medium"),
    ("no_identity", 7, "high"),
    ("no_identity", 30, "high"),
    ("no_driver", 1, "low"),
    ("no_driver", 2, "medium"),
    ("no_driver", 7, "high"),
    ("no_origin", 1, "low"),
    ("no_origin", 2, "medium"),
    ("no_origin", 90, "medium"),
    ("other_origin", 0, "high"),
    ("other_origin", 40, "high"),
    ("resolved", 0, "low"),
    ("resolved", 400, "low"),
    ("no_identity", -3, "low"),
]


@pytest.mark.parametrize(("reason", "age", "expected"), RISK_TABLE)
def test_risk_level_table(reason, age, expected):
    df = pl.DataFrame({"gap_reason": [reason], "gap_age_days": [age]})
    assert df.select(risk_level()).item() == expected


def test_sql_risk_rule_agrees_with_polars_rule():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        got = [
            conn.execute(sa.select(risk_level_sql(sa.literal(r), sa.literal(a)))).scalar_one()
            for r, a, _ in RISK_TABLE
        ]
    assert got == [expected for _, _, expected in RISK_TABLE]


@pytest.mark.parametrize(
    ("trips", "reached", "amount"),
    [
        (0, 0, 0.0),
        (1, 1, 25.0),
        (4, 1, 25.0),
        (5, 2, 60.0),
        (24, 2, 60.0),
        (25, 3, 160.0),
        (300, 3, 160.0),
    ],
)
def test_milestones_are_cumulative(trips, reached, amount):
    r, a = milestones(pl.col("t"), Settings(database_url="sqlite://"))
    out = pl.DataFrame({"t": [trips]}).select(r.alias("r"), a.alias("a"))
    assert (out["r"].item(), out["a"].item()) == (reached, amount)


def test_milestones_follow_settings():
    cfg = Settings(
        database_url="sqlite://", milestone_trips=(2, 10, 20), milestone_amounts=(10.0, 20.0, 30.0)
    )
    r, a = milestones(pl.col("t"), cfg)
    out = pl.DataFrame({"t": [10]}).select(r.alias("r"), a.alias("a"))
    assert (out["r"].item(), out["a"].item()) == (2, 30.0)


def test_origin_detail_names_the_source():
    df = pl.DataFrame(
        {
            "origin_tag": ["cabinet_lead", "scout_registration", "legacy_external"],
            "origin_source_id": ["CL-1", "S-9", "D-1"],
        }
    )
    assert df.select(origin_detail()).to_series().to_list() == [
        "cabinet_lead:CL-1",
        "scout_registration:S-9",
        "legacy_external",
    ]


def test_suggested_actions_are_specific_and_spanish():
    assert "backfill-origins" in suggested_action("over_7d_unresolved", "no_origin", None)
    detail = "cabinet_lead:CL-1"
    assert detail in suggested_action("other_origin", "other_origin", detail)
    assert "matching automático" in suggested_action("over_24h_no_identity", "no_identity", None)
