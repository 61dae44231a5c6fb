"""`idgap diagnose` on a small legacy state: Rich sections, warnings, and --json."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from idgap.cli.main import app
from idgap.clock import utc_now
from idgap.config import Settings
from idgap.intake.service import import_path
from idgap.store.db import make_engine
from tests.integration import seed_state


@pytest.fixture
def legacy_db(tmp_path):
    """The seed report's state, dated today so the CLI's own clock agrees."""
    url = f"sqlite:///{tmp_path / 'idgap.db'}"
    engine = make_engine(url)
    state = seed_state.build(utc_now())
    import_path(
        engine,
        seed_state.write(state, tmp_path / "seed"),
        now=utc_now(),
        settings=Settings(database_url=url),
    )
    engine.dispose()
    return url


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_diagnose_prints_the_sections_and_warnings(legacy_db):
    result = _run("--db", legacy_db, "diagnose")
    assert result.exit_code == 0, result.output
    out = result.output
    for title in (
        "1. Gap metrics",
        "2. Job freshness",
        "3. Top fail reasons",
        "4. Links and origins created",
        "5. Recommendations",
    ):
        assert title in out
    assert "726 (91.55 %)" in out and "NUNCA" in out
    assert "[WARNING] persons with lead links without origin: 531" in out
    assert "backfill-origins" in out  # (Rich wraps lines at the terminal width)


def test_diagnose_json_is_the_report(legacy_db):
    result = _run("--db", legacy_db, "diagnose", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["gap"]["totals"]["unresolved"] == 726
    assert data["integrity"]["lead_links_to_unknown_leads"] == 1
    assert data["job"]["state"] == "NUNCA" and data["status"] == "ERROR"
    assert {r["level"] for r in data["recommendations"]} >= {"error", "warning"}


def test_diagnose_after_backfill_and_recover(legacy_db):
    assert _run("--db", legacy_db, "backfill-origins").exit_code == 0
    assert _run("--db", legacy_db, "recover").exit_code == 0
    data = json.loads(_run("--db", legacy_db, "diagnose", "--json").output)
    totals = data["gap"]["totals"]
    assert totals["unresolved"] < 196 and totals["resolved"] > 597
    assert data["job"]["state"] == "OK"
    assert data["integrity"]["persons_with_lead_links_without_origin"] == 0
