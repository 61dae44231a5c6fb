"""The CLI as a user types it: generate, import, match, export, evaluate, recover, tokens."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from idgap.cli.main import app

runner = CliRunner()


def run(db: str, *args: str):
    result = runner.invoke(app, ["--db", db, *args])
    return result


def test_generate_import_match_export_evaluate(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    park = tmp_path / "park"
    assert (
        run(
            db,
            "generate",
            "--leads",
            "150",
            "--drivers",
            "2000",
            "--seed",
            "4",
            "--out",
            str(park),
            "--anchor-date",
            "2026-11-25",
        ).exit_code
        == 0
    )
    imported = json.loads(run(db, "import", str(park), "--json").stdout)
    assert {t["table"]: t["loaded"] for t in imported["tables"]}["module_ct_cabinet_leads"] == 150
    matched = json.loads(run(db, "match", "--json").stdout)
    assert matched["writes"]["matched"] > 50
    out = tmp_path / "matches.csv"
    assert run(db, "export", "matches", str(out)).exit_code == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 150
    assert list(rows[0]) == [
        "lead_id",
        "driver_id",
        "person_key",
        "outcome",
        "rule",
        "score",
        "confidence",
        "reason",
    ]
    assert all((r["driver_id"] == "") == (r["outcome"] != "matched") for r in rows)
    report = json.loads(
        run(db, "evaluate", "--truth", str(park / "truth_leads.csv"), "--json").stdout
    )
    assert report["precision"] >= 0.995 and report["wrong_links"] == 0 and report["per_case"]
    dry = json.loads(run(db, "recover", "--dry-run", "--json").stdout)
    assert dry["dry_run"] is True and dry["processed"] == 0  # nothing changed since the match
    again = json.loads(run(db, "import", str(park), "--json").stdout)
    assert all(t["loaded"] == t["updated"] == 0 for t in again["tables"])


def test_refused_file_is_one_line_and_non_zero(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    bad = tmp_path / "module_ct_cabinet_leads.csv"
    bad.write_text("id,external_id,first_name\n1,a,Ana\n")
    result = run(db, "import", str(bad))
    assert result.exit_code == 1
    assert "missing required column(s) lead_created_at" in result.stderr
    assert "Traceback" not in result.output


def test_backfill_origins_and_tokens(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert (
        json.loads(run(db, "backfill-origins", "--dry-run", "--json").stdout)["origins_created"]
        == 0
    )
    created = run(db, "token", "create", "--role", "operator", "--name", "ops")
    token = created.stdout.strip().splitlines()[-1]
    assert created.exit_code == 0 and token.startswith("idg_")
    listed = json.loads(run(db, "token", "list", "--json").stdout)
    assert listed[0]["role"] == "operator" and token not in json.dumps(listed)
    assert run(db, "token", "revoke", str(listed[0]["id"])).exit_code == 0
    assert run(db, "token", "revoke", str(listed[0]["id"])).exit_code == 1
    assert run(db, "token", "create", "--role", "boss").exit_code == 1
