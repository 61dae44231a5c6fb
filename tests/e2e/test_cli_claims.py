"""The collections analyst's CLI: generate, import, recover, claims, export, evaluate, diagnose."""

from __future__ import annotations

import csv
import json
import zipfile

from typer.testing import CliRunner

from idgap.cli.main import app

runner = CliRunner()


def run(db: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", db, *args])


def test_claims_end_to_end_from_the_command_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    park = tmp_path / "park"
    gen = ["generate", "--leads", "300", "--drivers", "3000", "--seed", "9", "--out", str(park),
           "--anchor-date", "2026-11-25"]  # fmt: skip
    assert run(db, *gen).exit_code == 0
    assert (park / "module_ct_cabinet_payments.csv").exists()
    assert run(db, "import", str(park)).exit_code == 0
    assert run(db, "recover").exit_code == 0

    totals = json.loads(run(db, "claims", "--json").stdout)
    by_status = totals["totals"]["by_status"]
    assert sum(s["count"] for s in by_status.values()) == 300 * 3
    assert totals["payments"]["matched"] > 0 and totals["payments"]["pending"] == 0
    assert "owed" in run(db, "claims").stdout

    out = tmp_path / "claims.csv"
    assert run(db, "claims", "export", str(out)).exit_code == 0
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "lead_id", "driver_id", "person_key", "lead_date", "milestone", "amount", "trips_14d",
        "reached", "paid", "payment_id", "status",
    ]  # fmt: skip
    assert {r["paid"] for r in rows} == {"true", "false"}
    xlsx = tmp_path / "claims.xlsx"
    assert run(db, "claims", "export", str(xlsx), "--xlsx").exit_code == 0
    with zipfile.ZipFile(xlsx) as zf:
        assert "xl/worksheets/sheet1.xml" in zf.namelist()

    scored = run(db, "evaluate", "--claims-truth", str(park / "truth_payments.csv"), "--json")
    claims = json.loads(scored.stdout)["claims"]
    assert claims["precision"] >= 0.99 and claims["agreement"] >= 0.99

    diag = json.loads(run(db, "diagnose", "--json").stdout)["claims"]
    assert diag["expected"] == totals["totals"]["expected"]
    assert "Claims (Cobranza)" in run(db, "diagnose").stdout


def test_export_to_a_missing_directory_is_one_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    result = run(db, "claims", "export", str(tmp_path / "no" / "such" / "x.csv"))
    assert result.exit_code == 1 and "cannot write" in result.stderr
    missing = run(db, "evaluate", "--claims-truth", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "no such file" in missing.stderr
