"""Source-data import on both backends: counts, idempotency, updates, rejects, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from idgap.errors import InputError
from idgap.store.tables import (
    SOURCE_TABLES,
    cabinet_leads,
    drivers,
    import_rejects,
    lead_status,
    runs,
    summary_daily,
)
from tests.integration.import_support import (
    DRIVERS,
    FILES,
    LATER,
    LEADS,
    NOW,
    count_rows,
    counts,
    load,
    write_dir,
)


def test_directory_import_loads_every_contract_file_and_lists_unknown_ones(engine, tmp_path):
    folder = write_dir(tmp_path / "park", {**FILES, "notes.txt": "hi", "truth.csv": "a\n1\n"})
    report = load(engine, folder)
    assert counts(report) == {
        "module_ct_cabinet_leads": (3, 0, 0, 0),
        "drivers": (3, 0, 0, 0),
        "summary_daily": (3, 0, 0, 0),
        "module_ct_scouting_daily": (1, 0, 0, 0),
        "module_ct_migrations": (1, 0, 0, 0),
        "module_ct_cabinet_payments": (1, 0, 0, 0),
    }
    assert report.ignored_files == ["notes.txt", "truth.csv"]
    with engine.connect() as conn:
        run = conn.execute(sa.select(runs)).one()
        lead = conn.execute(
            sa.select(cabinet_leads).where(cabinet_leads.c.lead_id == "ext-1")
        ).one()
        driver = conn.execute(sa.select(drivers).where(drivers.c.driver_id == "D3")).one()
        days = conn.execute(
            sa.select(summary_daily.c.activity_date, summary_daily.c.sum_work_time_seconds)
            .where(summary_daily.c.driver_id == "D1")
            .order_by(summary_daily.c.activity_date)
        ).all()
        statuses = conn.execute(sa.select(lead_status.c.lead_id)).scalars().all()
    assert (run.kind, run.status, run.id) == ("import", "completed", report.run_id)
    assert run.stats["tables"][0]["loaded"] == 3 and run.finished_at >= NOW
    assert lead.lead_created_at == dt.datetime(2026, 11, 1, 9, 30)
    assert lead.lead_date == dt.date(2026, 11, 1)
    assert lead.idgap_extra == {"status": "active"}  # a column idgap ignores is kept
    assert lead.idgap_loaded_at == NOW and len(lead.idgap_row_hash) == 32
    assert driver.hire_date == dt.date(2026, 10, 1) and driver.idgap_extra == {"rating": None}
    assert days == [(dt.date(2026, 11, 6), 3600), (dt.date(2026, 11, 7), 0)]
    assert sorted(statuses) == ["2", "ext-1", "ext-3"]  # gap status refreshed in the import


def test_reimporting_the_same_files_changes_nothing(engine, tmp_path):
    folder = write_dir(tmp_path / "park", FILES)
    load(engine, folder)
    again = load(engine, folder, now=LATER)
    assert all(c[0] == c[1] == c[3] == 0 and c[2] > 0 for c in counts(again).values())
    with engine.connect() as conn:
        for table in SOURCE_TABLES.values():
            stamps = conn.execute(sa.select(table.c.idgap_changed_at).distinct()).scalars().all()
            assert stamps == [NOW], table.name
        assert conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar() == 2


def test_a_changed_row_is_updated_and_marked_for_re_evaluation(engine, tmp_path):
    load(engine, write_dir(tmp_path / "a", {"drivers.csv": DRIVERS}))
    changed = DRIVERS.replace("D2,P1,,Ana Quispe", "D2,P1,+51 911 222 333,Ana Quispe")
    # same row written in another column order and date format is not a change
    reordered = changed.replace("2026-11-06", "06-11-2026")
    report = load(engine, write_dir(tmp_path / "b", {"drivers.csv": reordered}), now=LATER)
    assert counts(report) == {"drivers": (0, 1, 2, 0)}
    with engine.connect() as conn:
        d2 = conn.execute(sa.select(drivers).where(drivers.c.driver_id == "D2")).one()
        d1 = conn.execute(sa.select(drivers).where(drivers.c.driver_id == "D1")).one()
    assert d2.phone == "+51 911 222 333"
    assert (d2.idgap_loaded_at, d2.idgap_changed_at) == (NOW, LATER)
    assert d1.idgap_changed_at == NOW


def test_bad_rows_are_rejected_with_their_line_and_the_rest_loads(engine, tmp_path):
    leads = (
        LEADS + "4,ext-4,31-02-2026,,Eva,,Luna,,,,\n5,ext-5,,,Ivo,,Paz,,,,\n,,2026-11-01,,,,,,,,\n"
    )
    summary = "driver_id,date_file,count_orders_completed\nD1,2026-11-06,2.5\nD1,yesterday,1\n"
    folder = write_dir(tmp_path / "p", {"module_ct_cabinet_leads.csv": leads,
                                         "summary_daily.csv": summary})  # fmt: skip
    report = load(engine, folder)
    lead_rep = report.table("module_ct_cabinet_leads")
    assert (lead_rep.loaded, lead_rep.rejected) == (3, 3)
    assert lead_rep.rejects == [
        {"line": 5, "reason": "unparsable date in lead_created_at: '31-02-2026'"},
        {"line": 6, "reason": "missing lead_created_at"},
        {"line": 7, "reason": "missing key: external_id and id are both empty"},
    ]
    assert [r["reason"] for r in report.table("summary_daily").rejects] == [
        "count_orders_completed is not a whole number: '2.5'",
        "unparsable date in date_file: 'yesterday'",
    ]
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(import_rejects).order_by(import_rejects.c.line_number)
        ).all()
    first = stored[0]
    assert (first.file_name, first.line_number, first.run_id) == (
        "summary_daily.csv",
        2,
        report.run_id,
    )
    assert '"Eva"' in next(r.raw_row for r in stored if r.line_number == 5)
    assert len(stored) == 5


def test_duplicate_keys_keep_the_first_row_and_reject_the_later_ones(engine, tmp_path):
    text = DRIVERS + "D1,P9,,Someone Else,,,\n"
    summary = "driver_id,date_file,count_orders_completed\nD1,06-11-2026,1\nD1,2026-11-06,2\n"
    report = load(engine, write_dir(tmp_path, {"drivers.csv": text, "summary_daily.csv": summary}))
    assert report.table("drivers").rejects == [
        {"line": 5, "reason": "duplicate key driver_id=D1 (first at line 2)"}
    ]
    assert report.table("summary_daily").rejects == [
        {"line": 3, "reason": "duplicate key driver_id=D1, date=2026-11-06 (first at line 2)"}
    ]
    with engine.connect() as conn:
        assert conn.execute(sa.select(drivers.c.park_id).where(drivers.c.driver_id == "D1")
                            ).scalar() == "P1"  # fmt: skip


def test_lead_id_is_external_id_else_id(engine, tmp_path):
    load(engine, write_dir(tmp_path, {"module_ct_cabinet_leads.csv": LEADS}))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(cabinet_leads.c.lead_id, cabinet_leads.c.id, cabinet_leads.c.external_id)
        ).all()
    assert sorted(rows) == [("2", "2", None), ("ext-1", "1", "ext-1"), ("ext-3", "3", "ext-3")]


def test_every_accepted_date_format_gives_the_same_lead_date(engine, tmp_path):
    forms = ["2026-11-05", "2026-11-05 07:15", "2026-11-05 07:15:59", "05-11-2026",
             "05/11/2026", "2026/11/05", "05.11.2026"]  # fmt: skip
    body = "".join(f"{i},,{f}\n" for i, f in enumerate(forms, start=1))
    report = load(
        engine,
        write_dir(
            tmp_path, {"module_ct_cabinet_leads.csv": "id,external_id,lead_created_at\n" + body}
        ),  # fmt: skip
    )
    assert counts(report) == {"module_ct_cabinet_leads": (7, 0, 0, 0)}
    with engine.connect() as conn:
        days = conn.execute(sa.select(cabinet_leads.c.lead_date).distinct()).scalars().all()
    assert days == [dt.date(2026, 11, 5)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,external_id,first_name\n1,a,Ana\n",
         "leads.csv: missing required column(s) lead_created_at for module_ct_cabinet_leads"),
        (b"id,external_id,lead_created_at\n" + "1,Peña,2026-11-01\n".encode("latin-1"),
         "leads.csv: not UTF-8 text (undecodable byte 0xf1 on line 2)"),
        ("", "leads.csv: the file is empty"),
        ("id,external_id,lead_created_at\n", "leads.csv: has a header but no data rows"),
        ("lead_created_at,first_name\n2026-11-01,Ana\n",
         "leads.csv: missing required column(s) external_id or id"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_whole_and_nothing_is_written(engine, tmp_path, content, message):
    # the good drivers.csv of the same directory is not loaded either
    folder = write_dir(tmp_path, {"drivers.csv": DRIVERS})
    (folder / "module_ct_cabinet_leads.csv").write_bytes(
        content if isinstance(content, bytes) else content.encode()
    )
    with pytest.raises(InputError) as err:
        load(engine, folder)
    assert message.replace("leads.csv", "module_ct_cabinet_leads.csv") in err.value.message
    assert "\n" not in err.value.message
    assert count_rows(engine, drivers) == 0 and count_rows(engine, runs) == 0


def test_a_utf8_bom_is_accepted(engine, tmp_path):
    data = b"\xef\xbb\xbf" + LEADS.replace("Ana", "Peña").encode()
    report = load(engine, write_dir(tmp_path, {"module_ct_cabinet_leads.csv": data}))
    assert counts(report) == {"module_ct_cabinet_leads": (3, 0, 0, 0)}
    with engine.connect() as conn:
        assert "Peña" in conn.execute(sa.select(cabinet_leads.c.first_name)).scalars().all()


def test_one_file_with_table_or_a_contract_name(engine, tmp_path):
    export = write_dir(tmp_path, {"export_2026_11.csv": DRIVERS})
    assert counts(load(engine, export / "export_2026_11.csv", table="drivers")) == {
        "drivers": (3, 0, 0, 0)
    }
    with pytest.raises(InputError, match="cannot tell which table"):
        load(engine, export / "export_2026_11.csv")
    with pytest.raises(InputError, match="unknown table 'driver'"):
        load(engine, export / "export_2026_11.csv", table="driver")
    named = write_dir(tmp_path / "n", {"module_ct_cabinet_leads.csv": LEADS})
    assert counts(load(engine, named / "module_ct_cabinet_leads.csv"))[
        "module_ct_cabinet_leads"
    ] == (3, 0, 0, 0)


def test_a_value_longer_than_its_column_is_a_reject_not_a_crash(engine, tmp_path):
    text = DRIVERS + f"{'X' * 70},P1,,Long Id,,,\n"
    report = load(engine, write_dir(tmp_path, {"drivers.csv": text}))
    assert report.table("drivers").rejects == [
        {"line": 5, "reason": "driver_id is longer than 64 characters"}
    ]
    assert count_rows(engine, drivers) == 3


def test_bulk_upsert_of_many_rows(engine, tmp_path):
    # more rows than one write chunk, then a re-import changing every tenth row
    n = 120_001
    lines = "".join(f"D{i},P{i % 7},,Name {i},,2026-01-01\n" for i in range(n))
    folder = write_dir(tmp_path / "a", {"drivers.csv": "driver_id,park_id,phone,full_name,"
                                        "car_number,hire_date\n" + lines})  # fmt: skip
    assert counts(load(engine, folder)) == {"drivers": (n, 0, 0, 0)}
    changed = "".join(
        f"D{i},P{i % 7},,Name {i}{'x' if i % 10 == 0 else ''},,2026-01-01\n" for i in range(n)
    )
    folder = write_dir(tmp_path / "b", {"drivers.csv": "driver_id,park_id,phone,full_name,"
                                        "car_number,hire_date\n" + changed})  # fmt: skip
    assert counts(load(engine, folder, now=LATER)) == {"drivers": (0, 12_001, 108_000, 0)}
    with engine.connect() as conn:
        assert conn.execute(
            sa.select(drivers.c.full_name, drivers.c.idgap_changed_at, drivers.c.hire_date).where(
                drivers.c.driver_id == "D120000"
            )
        ).one() == ("Name 120000x", LATER, dt.date(2026, 1, 1))
        assert count_rows(engine, drivers) == n


def test_a_failure_mid_file_rolls_the_whole_file_back_and_marks_the_run_failed(
    engine, tmp_path, monkeypatch
):
    from idgap.intake import service

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "record_rejects", boom)  # runs after the bulk insert
    with pytest.raises(RuntimeError):
        load(engine, write_dir(tmp_path, {"drivers.csv": DRIVERS}))
    assert count_rows(engine, drivers) == 0
    with engine.connect() as conn:
        run = conn.execute(sa.select(runs.c.status, runs.c.error)).one()
    assert run == ("failed", "RuntimeError: disk full")


def test_an_import_tells_its_progress_with_real_totals_and_times_its_stages(engine, tmp_path):
    folder = write_dir(tmp_path / "park", {"module_ct_cabinet_leads.csv": LEADS,
                                           "drivers.csv": DRIVERS})  # fmt: skip
    steps: list[tuple[str, int, int]] = []
    report = load(engine, folder, progress=lambda *step: steps.append(step))
    reading = [s for s in steps if s[0].startswith("reading")]
    assert [(d, t) for _, d, t in reading] == [(0, 2), (1, 2)]
    comparing = [s for s in steps if s[0].startswith("comparing")]
    assert {t for _, _, t in comparing} == {3 + 3}  # rows of both files
    writing = [s for s in steps if s[0].startswith("writing")]
    assert writing and all(t == 6 for _, _, t in writing)
    assert any(s[0].startswith("gap status") for s in steps)
    assert {"read", "plan", "write", "index", "gap_status"} <= set(report.timings)
    with engine.connect() as conn:
        stats = conn.execute(sa.select(runs.c.stats).where(runs.c.id == report.run_id)).scalar()
    assert set(stats["timings"]) == set(report.timings)
