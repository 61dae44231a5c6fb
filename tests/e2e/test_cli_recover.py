"""`idgap recover` and `idgap backfill-origins` as cron would call them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from idgap.cli.main import app
from idgap.recovery.lock import recovery_lock
from idgap.store.db import make_engine
from idgap.store.tables import identity_links, persons, runs
from tests.integration.recovery_support import NOW, seed

LOADED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

runner = CliRunner()


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    seed(engine, now=LOADED)  # before the real clock the CLI uses
    yield url, engine
    engine.dispose()


def run(url, *args):
    return runner.invoke(app, ["--db", url, *args])


def n_links(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one()


def test_dry_run_then_limit_then_the_rest(store):
    url, engine = store
    dry = json.loads(run(url, "recover", "--dry-run", "--json").stdout)
    assert dry["dry_run"] is True and dry["matched"] == 3 and n_links(engine) == 0
    limited = json.loads(run(url, "recover", "--limit", "2", "--json").stdout)
    assert limited["processed"] == 2 and limited["run_id"] == 1
    rest = run(url, "recover")
    assert rest.exit_code == 0 and "run #2" in rest.stdout and "decided" in rest.stdout
    assert n_links(engine) == 5  # L1, L2, L5 + drivers d1, d2
    with engine.connect() as conn:
        assert conn.execute(sa.select(runs.c.status)).scalars().all() == ["completed"] * 2


def test_a_second_run_exits_2_and_names_the_running_one(store):
    url, engine = store
    with engine.begin() as conn:
        conn.execute(runs.insert().values(kind="recover", status="running", started_at=NOW))
    with recovery_lock(engine):
        result = run(url, "recover")
    assert result.exit_code == 2
    assert "another recovery run is in progress (run #1 since" in result.stderr
    assert "Traceback" not in result.output
    assert run(url, "recover").exit_code == 0  # the lock is free again; run #1 was dead


def test_negative_limit_is_a_one_line_error(store):
    url, _ = store
    result = run(url, "recover", "--limit", "-1")
    assert result.exit_code == 1 and "--limit" in result.stderr


def test_backfill_origins_reports_counts(store):
    url, engine = store
    with engine.begin() as conn:
        conn.execute(
            persons.insert().values(
                person_key="p1", status="active", created_at=NOW, updated_at=NOW,
                created_by="legacy",
            )
        )  # fmt: skip
        conn.execute(
            identity_links.insert().values(
                person_key="p1", source_table="module_ct_cabinet_leads", source_pk="GONE",
                match_rule="LEGACY", linked_at=NOW, linked_by="legacy",
            )
        )  # fmt: skip
    dry = json.loads(run(url, "backfill-origins", "--dry-run", "--json").stdout)
    assert (dry["origins_created"], dry["links_to_unknown_leads"]) == (1, 1)
    text = run(url, "backfill-origins")
    assert text.exit_code == 0 and "created 1 origins" in text.stdout and "GONE" in text.stdout
    again = json.loads(run(url, "backfill-origins", "--json").stdout)
    assert again["origins_created"] == 0 and again["unknown_lead_links"] == ["GONE"]
