"""`idgap demo` end to end on SQLite: generate, import, match, diagnose; twice (idempotent)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from typer.testing import CliRunner

from idgap.cli.main import app
from idgap.store.tables import identity_links, lead_status, runs


def _demo(db_url: str, park_dir) -> str:
    result = CliRunner().invoke(
        app,
        [
            "--db",
            db_url,
            "demo",
            "--leads",
            "150",
            "--drivers",
            "2000",
            "--seed",
            "3",
            "--dir",
            str(park_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_runs_end_to_end_and_again_changes_nothing(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'idgap.db'}"
    park = tmp_path / "demo-park"
    first = _demo(db_url, park)
    assert (park / "module_ct_cabinet_leads.csv").exists() and (park / "truth_leads.csv").exists()
    assert "1. Gap metrics" in first and "5. Recommendations" in first
    assert "idgap serve" in first and "http://127.0.0.1:8000/" in first
    assert re.search(r"match run #\d+: 1\d\d decided - \d+ matched", first)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        leads = conn.execute(sa.select(sa.func.count()).select_from(lead_status)).scalar_one()
        links = conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one()
    assert leads == 150 and links > 0
    # the diagnosis reads claims after the payment report was tied to the matched leads
    paid = re.search(r"Paid by Yango\s+S/ ([\d,.]+)", first)
    assert paid and float(paid.group(1).replace(",", "")) > 0, first
    second = _demo(db_url, park)
    assert "import: 0 loaded, 0 updated" in second
    assert re.search(r"match run #\d+: 0 decided - 0 matched", second)
    with engine.connect() as conn:
        again = conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one()
        kinds = conn.execute(sa.select(runs.c.kind, runs.c.status)).all()
    assert again == links
    assert ("match", "completed") in kinds and all(status == "completed" for _, status in kinds)
    engine.dispose()


def test_demo_refuses_nonsense_sizes(tmp_path):
    result = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "demo", "--leads", "0"]
    )
    assert result.exit_code == 1
    assert "must be positive" in result.output
