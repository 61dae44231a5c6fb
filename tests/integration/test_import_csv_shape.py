"""CSV rows of the wrong shape and NUL characters: rejects with their file line, on both
backends, while the good rows load (issue 12, item 2)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from idgap.store.tables import cabinet_leads, drivers, import_rejects
from tests.integration.import_support import count_rows, load, write_dir

HEADER = "driver_id,park_id,phone,full_name,car_number,hire_date\n"


def _stored_rejects(engine: sa.Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(import_rejects.c.line_number, import_rejects.c.reason,
                      import_rejects.c.raw_row).order_by(import_rejects.c.line_number)
        ).all()  # fmt: skip
    return [(r.line_number, r.reason, r.raw_row) for r in rows]


def test_short_long_and_truncated_rows_are_rejects_with_their_file_line(engine, tmp_path):
    data = (
        HEADER
        + 'D1,P1,,"Ana\nQuispe",ABC123,2026-11-01\n'  # lines 2-3
        + "D2,P1,999\n"  # line 4: 3 of 6 fields
        + "D3,P1,,Luis,XYZ,2026-11-02,4.9,extra\n"  # line 5: too many
        + "D4,P2,,Rosa,,2026-11-03\n"  # line 6
        + "D5,P2,,Ev"  # line 7: truncated mid-row
    )
    report = load(engine, write_dir(tmp_path, {"drivers.csv": data}))
    rep = report.table("drivers")
    assert (rep.loaded, rep.rejected, rep.rows) == (2, 3, 5)
    assert rep.rejects == [
        {"line": 4, "reason": "too few fields: 3 instead of 6"},
        {"line": 5, "reason": "too many fields: 8 instead of 6"},
        {"line": 7, "reason": "too few fields: 4 instead of 6"},
    ]
    stored = _stored_rejects(engine)
    assert [line for line, _, _ in stored] == [4, 5, 7]
    assert json.loads(stored[0][2]) == {"_raw_line": "D2,P1,999"}
    with engine.connect() as conn:
        names = dict(conn.execute(sa.select(drivers.c.driver_id, drivers.c.full_name)).all())
    assert names == {"D1": "Ana\nQuispe", "D4": "Rosa"}


def test_a_later_row_problem_names_the_file_line_after_a_quoted_newline(engine, tmp_path):
    data = HEADER + 'D1,P1,,"Ana\nMaria\nQuispe",,2026-11-01\nD2,P1,,Luis,,31-02-2026\n'
    rep = load(engine, write_dir(tmp_path, {"drivers.csv": data})).table("drivers")
    assert rep.rejects == [{"line": 5, "reason": "unparsable date in hire_date: '31-02-2026'"}]


def test_a_nul_character_is_a_reject_and_the_other_rows_load(engine, tmp_path):
    leads = (
        "id,external_id,lead_created_at,park_phone,first_name,last_name\n"
        "1,ext-1,2026-11-01,,Ana,Quispe\n"
        "2,ext-2,2026-11-02,,Lu\x00is,Rojas\n"
        "3,ext-3,2026-11-03,,Rosa,Mamani\n"
    )
    drivers_csv = HEADER + "D1,P1,,Ana,,2026-11-01\nD2\x00,P1,,Luis,,2026-11-02\n"
    folder = write_dir(tmp_path, {"module_ct_cabinet_leads.csv": leads, "drivers.csv": drivers_csv})
    report = load(engine, folder)
    assert report.table("module_ct_cabinet_leads").rejects == [
        {"line": 3, "reason": "NUL character in first_name"}
    ]
    assert report.table("drivers").rejects == [{"line": 3, "reason": "NUL character in driver_id"}]
    assert count_rows(engine, cabinet_leads) == 2 and count_rows(engine, drivers) == 1
    raw = json.loads(next(r for line, _, r in _stored_rejects(engine) if line == 3 and "Lu" in r))
    assert raw["first_name"] == "Lu\x00is"  # kept as it was, escaped in the JSON text


def test_upload_bytes_get_the_same_rejects(engine):
    from idgap.intake.service import import_bytes
    from tests.integration.import_support import NOW, SETTINGS

    data = (HEADER + "D1,P1,,Ana,,2026-11-01\nD2,P1\n").encode()
    report = import_bytes(engine, data, file_name="drivers.csv", table=None, now=NOW,
                          settings=SETTINGS)  # fmt: skip
    assert report.tables[0].rejects == [{"line": 3, "reason": "too few fields: 2 instead of 6"}]
