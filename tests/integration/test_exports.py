"""Exports of the gap table and the review queue: CLI and web, CSV and XLSX, on both backends."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from typer.testing import CliRunner

from idgap.cli.main import app as cli
from idgap.exports import gap_frame, review_frame, to_bytes
from tests.integration.analyst_support import Http, matched_http

runner = CliRunner()


@pytest.fixture
def http(engine) -> Http:
    return matched_http(engine)


def xlsx_rows(data: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_gap_frame_honours_the_filters_and_order(http):
    with http.engine.connect() as conn:
        every = gap_frame(conn)
        assert every.height == 6
        # unresolved first, as in the table
        reasons = every["gap_reason"].to_list()
        assert reasons == sorted(reasons, key=lambda r: r == "resolved")
        found = gap_frame(conn, filters={"q": "jauregui"})
        assert found["lead_id"].to_list() == ["L6"]
        assert found["lead_name"].to_list() == ["José Jáuregui Peña"]
        assert gap_frame(conn, filters={"gap_reason": "resolved"})[
            "gap_reason"
        ].unique().to_list() == ["resolved"]  # noqa: E501
        by_id = gap_frame(conn, sort="-lead_id")["lead_id"].to_list()
        assert by_id == sorted(by_id, reverse=True)


def test_xlsx_holds_the_same_rows_as_csv(http):
    with http.engine.connect() as conn:
        df = gap_frame(conn, filters={"gap_reason": "unresolved"})
    rows = xlsx_rows(to_bytes(df, "xlsx"))
    assert rows[0] == tuple(df.columns)
    assert [r[0] for r in rows[1:]] == df["lead_id"].to_list()
    from_csv = csv_rows(to_bytes(df, "csv").decode())
    assert [r["lead_id"] for r in from_csv] == df["lead_id"].to_list()


def test_review_frame_is_money_first_with_its_best_candidate(http):
    with http.engine.connect() as conn:
        df = review_frame(conn)
        assert df["lead_id"].to_list()[-1] == "L4"  # other park only: last
        l4 = df.filter(df["lead_id"] == "L4").row(0, named=True)
        assert (l4["linkable"], l4["best_driver_id"], l4["candidates"]) == (False, "d9", 1)
        assert "L4" not in review_frame(conn, filters={"linkable_only": True})["lead_id"]


def test_cli_exports_gaps_and_review_with_filters(http, tmp_path):
    db = ["--db", str(http.engine.url.render_as_string(hide_password=False))]
    out = tmp_path / "gaps.xlsx"
    r = runner.invoke(cli, [*db, "export", "gaps", str(out), "--xlsx", "--gap-reason",
                            "unresolved"])  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = xlsx_rows(out.read_bytes())
    with http.engine.connect() as conn:
        expected = gap_frame(conn, filters={"gap_reason": "unresolved"})["lead_id"].to_list()
    assert [row[0] for row in rows[1:]] == expected and len(expected) >= 2
    out_csv = tmp_path / "review.csv"
    r = runner.invoke(cli, [*db, "export", "review", str(out_csv), "--q", "ramos"])
    assert r.exit_code == 0, r.output
    assert [row["lead_id"] for row in csv_rows(out_csv.read_text())] == ["L4"]
    bad = runner.invoke(cli, [*db, "export", "gaps", str(out), "--risk-level", "extreme"])
    assert bad.exit_code == 1 and "risk_level" in bad.output


def test_web_downloads_keep_the_active_filters(http):
    web = http.web("viewer")
    page = web.get("/", params={"q": "perez"}).text
    assert 'href="/exportar/brechas.xlsx?q=perez"' in page
    r = web.get("/exportar/brechas.xlsx", params={"q": "perez"})
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    assert "attachment" in r.headers["content-disposition"]
    assert sorted(row[0] for row in xlsx_rows(r.content)[1:]) == ["L1", "L5"]
    r = web.get("/exportar/revision.csv", params={"linkable_only": "1"})
    ids = [row["lead_id"] for row in csv_rows(r.text)]
    assert ids and "L4" not in ids
    queue_page = web.get("/revision", params={"sort": "-age"}).text
    assert "/exportar/revision.xlsx?sort=-age" in queue_page


def test_web_export_errors_are_clean(http):
    web = http.web("viewer")
    assert web.get("/exportar/brechas.pdf").status_code == 404
    assert web.get("/exportar/brechas.csv", params={"risk_level": "x"}).status_code == 422
    anonymous = http.web("viewer")
    anonymous.cookies.clear()
    r = anonymous.get("/exportar/brechas.csv", follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]
