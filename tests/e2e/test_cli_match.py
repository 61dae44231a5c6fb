"""`idgap match`, `idgap export matches`, `idgap evaluate` on a hand-made SQLite store."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from idgap.cli.main import app
from idgap.store.db import make_engine
from tests.integration.recovery_support import seed

LOADED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    seed(engine, now=LOADED)  # before the real clock the CLI uses
    engine.dispose()
    return url


def run(db, *args):
    return runner.invoke(app, ["--db", db, *args])


def test_match_prints_a_summary_and_a_rerun_decides_nothing(db):
    first = run(db, "match")
    assert first.exit_code == 0, first.output
    assert "matched (linked)" in first.stdout and "NO_CANDIDATES" in first.stdout
    assert "matched by rule" in first.stdout
    again = json.loads(run(db, "match", "--json").stdout)
    assert (again["processed"], again["matched"], again["skipped_unchanged"]) == (0, 0, 2)


def test_match_json_and_the_reference_ruleset(db):
    out = json.loads(run(db, "match", "--ruleset", "ct4", "--json").stdout)
    assert out["kind"] == "match" and out["processed"] == 5
    assert out["matched"] + out["review"] + out["unmatched"] == 5
    bad = run(db, "match", "--ruleset", "magic")
    assert bad.exit_code == 1 and "unknown ruleset" in bad.stderr


def test_export_has_one_row_per_lead_and_evaluate_scores_it(db, tmp_path):
    run(db, "match")
    out = tmp_path / "m.csv"
    assert run(db, "export", "matches", str(out)).exit_code == 0
    rows = {r["lead_id"]: r for r in csv.DictReader(out.open())}
    assert list(next(iter(rows.values()))) == [
        "lead_id", "driver_id", "person_key", "outcome", "rule", "score", "confidence", "reason",
    ]  # fmt: skip
    assert set(rows) == {"L1", "L2", "L3", "L4", "L5"}
    assert rows["L1"]["driver_id"] == "d1" and rows["L1"]["outcome"] == "matched"
    assert rows["L1"]["person_key"] == rows["L5"]["person_key"]
    assert (rows["L3"]["driver_id"], rows["L3"]["outcome"], rows["L3"]["reason"]) == (
        "", "unmatched", "NO_CANDIDATES",
    )  # fmt: skip
    assert rows["L4"]["outcome"] == "review" and rows["L4"]["person_key"] == ""
    truth = tmp_path / "truth.csv"
    truth.write_text(
        "lead_id,true_driver_id,case\nL1,d1,phone\nL2,d2,plate\nL3,,none\nL4,d9,other\nL5,d4,trap\n"
    )
    rep = json.loads(run(db, "evaluate", "--truth", str(truth), "--json").stdout)
    assert (rep["auto_links"], rep["correct_links"], rep["wrong_links"]) == (3, 2, 1)
    assert {c["case"] for c in rep["per_case"]} == {"phone", "plate", "none", "other", "trap"}
    text = run(db, "evaluate", "--truth", str(truth))
    assert text.exit_code == 0 and "precision" in text.stdout and "per case" in text.stdout


def test_evaluate_refuses_bad_truth_files_in_one_line(db, tmp_path):
    missing = run(db, "evaluate", "--truth", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "no such file" in missing.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("lead,driver\n1,2\n")
    result = run(db, "evaluate", "--truth", str(bad))
    assert result.exit_code == 1 and "needs columns lead_id,true_driver_id" in result.stderr
    assert "Traceback" not in result.output
