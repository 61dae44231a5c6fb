"""The same decisions as before: a frozen park's stored outcome per lead, on both backends.

The golden file was written by the code before the identity change-set; any writer change
that moves a lead's outcome, driver, reason, person grouping or gap reason fails here.
"""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from idgap.matching.engine import RULESETS
from idgap.store.tables import identity_unmatched, match_decisions
from tests.integration.golden_support import golden, golden_ruleset_version, outcome, run_park


@pytest.fixture
def park_engine(engine, tmp_path):
    run_park(engine, tmp_path)
    return engine


def test_stored_outcome_per_lead_is_the_golden_one(park_engine):
    if RULESETS["idgap"] != golden_ruleset_version():
        pytest.skip(
            f"engine {RULESETS['idgap']} decides differently from golden "
            f"{golden_ruleset_version()}: regenerate with "
            "python -m tests.integration.golden_support"
        )
    assert_frame_equal(outcome(park_engine), golden(), check_dtypes=False)


def test_every_lead_stores_what_its_latest_decision_says(park_engine):
    """Independent of the engine version: links and queue rows follow the decision log."""
    md, u = match_decisions, identity_unmatched
    with park_engine.connect() as conn:
        latest = pl.DataFrame(
            conn.execute(
                sa.select(md.c.source_pk, md.c.outcome, md.c.driver_id, md.c.reason_code)
                .where(md.c.source_table == "module_ct_cabinet_leads")
                .order_by(md.c.id)
            ).all(),
            schema=["lead_id", "decided", "decided_driver", "decided_reason"],
            orient="row",
        ).unique("lead_id", keep="last")
        assert conn.execute(sa.select(sa.func.count()).select_from(u)).scalar_one() > 0
    got = outcome(park_engine).join(latest, on="lead_id", how="left")
    assert got.filter(pl.col("decided").is_null()).height == 0  # every lead was decided
    assert got.filter(pl.col("outcome") != pl.col("decided")).height == 0
    matched = got.filter(pl.col("outcome") == "matched")
    assert matched.filter(pl.col("driver_id") != pl.col("decided_driver")).height == 0
    queued = got.filter(pl.col("outcome") != "matched")
    assert queued.filter(pl.col("reason_code") != pl.col("decided_reason")).height == 0
    assert set(got["gap_reason"]) <= {"resolved", "other_origin", "no_identity"}
