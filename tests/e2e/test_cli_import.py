"""`idgap import` as a user types it: the report table, --json, --table, one-line refusals."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from idgap.cli.main import app
from tests.integration.import_support import DRIVERS, FILES, LEADS, write_dir

runner = CliRunner()


def run(db: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", db, *args])


def test_directory_import_prints_a_table_and_the_first_rejects(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    bad = LEADS + "9,ext-9,30-02-2026,,Eva,,Luna,,,,\n"
    folder = write_dir(tmp_path / "park", {**FILES, "module_ct_cabinet_leads.csv": bad,
                                           "readme.md": "x"})  # fmt: skip
    result = run(db, "import", str(folder))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for header in ("loaded", "updated", "unchanged", "rejected", "summary_daily", "drivers"):
        assert header in out
    assert (
        "rejected module_ct_cabinet_leads.csv:5: unparsable date in lead_created_at: "
        "'30-02-2026'" in out
    )
    assert "ignored: readme.md" in out


def test_json_report_and_reimport_unchanged(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    folder = write_dir(tmp_path / "park", FILES)
    first = json.loads(run(db, "import", str(folder), "--json").stdout)
    assert {t["table"]: t["loaded"] for t in first["tables"]} == {
        "module_ct_cabinet_leads": 3, "drivers": 3, "summary_daily": 3,
        "module_ct_scouting_daily": 1, "module_ct_migrations": 1, "module_ct_cabinet_payments": 1,
    }  # fmt: skip
    again = json.loads(run(db, "import", str(folder), "--json").stdout)
    assert again["run_id"] == first["run_id"] + 1
    assert all(t["loaded"] == t["updated"] == t["rejected"] == 0 for t in again["tables"])


def test_single_file_with_table(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    export = write_dir(tmp_path, {"export.csv": DRIVERS}) / "export.csv"
    result = run(db, "import", str(export), "--table", "drivers", "--json")
    assert json.loads(result.stdout)["tables"][0]["loaded"] == 3
    refused = run(db, "import", str(export))
    assert refused.exit_code == 1 and "pass --table" in refused.stderr


def test_a_refused_file_is_one_line_exit_1_and_nothing_loaded(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    folder = write_dir(tmp_path / "p", {"drivers.csv": DRIVERS,
                                        "module_ct_cabinet_leads.csv": b"id,lead_created_at\n"
                                        b"1,2026-11-01 \xff\n"})  # fmt: skip
    result = run(db, "import", str(folder))
    assert result.exit_code == 1
    assert "module_ct_cabinet_leads.csv: not UTF-8 text" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
    assert (
        json.loads(run(db, "import", str(folder / "drivers.csv"), "--json").stdout)["tables"][0][
            "loaded"
        ]
        == 3
    )  # nothing of the refused import had been written


def test_path_or_from_db_is_required(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(db, "import").exit_code == 1
    unreachable = run(db, "import", "--from-db", "postgresql://x@127.0.0.1:1/none")
    assert unreachable.exit_code == 1
    assert "cannot read the source database" in unreachable.stderr
