"""store/bulk.py: frames in and out of the store in bulk, atomic with the caller's transaction."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from idgap.store import bulk
from idgap.store.tables import drivers, persons

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SCHEMA = {"driver_id": pl.Utf8, "full_name": pl.Utf8, "hire_date": pl.Date}


def _drivers(n: int, *, start: int = 0, name: str = "Name") -> pl.DataFrame:
    ids = [f"D{i:06d}" for i in range(start, start + n)]
    return pl.DataFrame(
        {
            "driver_id": ids,
            # the first rows null: type inference must not stop at the first batch
            "full_name": [None if i < 3000 else f"{name} {i}" for i in range(start, start + n)],
            "hire_date": [dt.date(2026, 1, 1) + dt.timedelta(days=i % 300) for i in range(n)],
            "idgap_row_hash": ["h"] * n,
        }
    ).with_columns(
        bulk.now_column("idgap_loaded_at", NOW), bulk.now_column("idgap_changed_at", NOW)
    )


@pytest.fixture(autouse=True, params=["arrow", "executemany"])
def path(request, monkeypatch) -> str:
    """Every test on both SQLite write paths: ADBC stages (child process) and executemany."""
    if request.param == "arrow" and request.node.callspec.params.get("db_url") != "sqlite":
        pytest.skip("PostgreSQL has one write path (COPY)")
    monkeypatch.setattr(bulk, "ADBC_FROM_ROWS", 1 if request.param == "arrow" else 10**12)
    return request.param


def _stage_tables(engine: sa.Engine) -> list[str]:
    return [t for t in sa.inspect(engine).get_table_names() if t.startswith(bulk.STAGE_PREFIX)]


def _read(engine: sa.Engine) -> pl.DataFrame:
    stmt = sa.select(drivers.c.driver_id, drivers.c.full_name, drivers.c.hire_date)
    with engine.connect() as conn:
        return bulk.read_frame(conn, stmt.order_by(drivers.c.driver_id), SCHEMA)


def test_insert_then_read_back_every_value_and_type(engine):
    df = _drivers(5000)
    with engine.begin() as conn:
        assert bulk.insert_frame(conn, drivers, df) == 5000
    back = _read(engine)
    assert back.schema == pl.Schema(SCHEMA)
    assert back.equals(df.select(list(SCHEMA)))
    with engine.connect() as conn:  # the timestamps as SQLAlchemy reads them
        stamp = conn.execute(sa.select(drivers.c.idgap_changed_at).limit(1)).scalar_one()
    assert stamp == NOW
    assert _stage_tables(engine) == []


def test_read_frame_binds_parameters_and_sees_uncommitted_writes(engine):
    with engine.begin() as conn:
        bulk.insert_frame(conn, drivers, _drivers(10))
        stmt = sa.select(drivers.c.driver_id, drivers.c.full_name, drivers.c.hire_date).where(
            drivers.c.driver_id.in_(["D000001", "D000004", "x'; drop table drivers; --"]),
            drivers.c.hire_date >= dt.date(2026, 1, 2),
        )
        got = bulk.read_frame(conn, stmt.order_by(drivers.c.driver_id), SCHEMA)
    assert got["driver_id"].to_list() == ["D000001", "D000004"]


def test_timestamps_read_in_bulk_are_what_sqlalchemy_reads(engine):
    whole = NOW.replace(microsecond=0) + dt.timedelta(hours=3)  # no fraction in its text
    df = _drivers(3).with_columns(
        idgap_changed_at=pl.Series([NOW, whole, NOW + dt.timedelta(microseconds=7)])
        .dt.cast_time_unit("us")
        .dt.convert_time_zone("UTC")
    )
    stmt = sa.select(drivers.c.idgap_changed_at, drivers.c.idgap_loaded_at).order_by(
        drivers.c.driver_id
    )
    with engine.begin() as conn:
        bulk.insert_frame(conn, drivers, df)
        if conn.dialect.name == "postgresql":  # COPY writes the session's offset: not UTC
            conn.execute(sa.text("SET LOCAL TimeZone = 'America/Lima'"))
        ts = pl.Datetime("us", "UTC")
        got = bulk.read_frame(conn, stmt, {"changed": ts, "loaded": ts})
        expected = [r.idgap_changed_at for r in conn.execute(stmt)]
    assert got["changed"].to_list() == expected == df["idgap_changed_at"].to_list()
    assert got["loaded"].to_list() == [NOW] * 3


def test_an_empty_result_has_the_schema(engine):
    with engine.connect() as conn:
        got = bulk.read_frame(conn, sa.select(drivers.c.driver_id, drivers.c.full_name,
                                              drivers.c.hire_date), SCHEMA)  # fmt: skip
    assert got.height == 0 and got.schema == pl.Schema(SCHEMA)


def test_empty_text_and_null_stay_apart(engine):
    df = _drivers(2).with_columns(full_name=pl.Series(["", None]))
    with engine.begin() as conn:
        bulk.insert_frame(conn, drivers, df)
    assert _read(engine)["full_name"].to_list() == ["", None]


def test_staged_update_and_upsert_are_set_based_and_keep_what_they_are_told(engine):
    with engine.begin() as conn:
        bulk.insert_frame(conn, drivers, _drivers(4000))
    later = NOW + dt.timedelta(hours=1)
    changed = _drivers(2000, start=2000, name="New").with_columns(
        bulk.now_column("idgap_loaded_at", later), bulk.now_column("idgap_changed_at", later)
    )  # 2,000 known drivers and 0 new... then 1,000 new ones in an upsert
    more = _drivers(2000, start=3000, name="Up").with_columns(
        bulk.now_column("idgap_loaded_at", later), bulk.now_column("idgap_changed_at", later)
    )
    with engine.begin() as conn:
        frames = {"changed": (changed.drop("idgap_loaded_at"), drivers), "more": (more, drivers)}
        with bulk.stage_frames(conn, frames) as staged:
            assert staged.update(drivers, "changed", ["driver_id"]) == 2000
            assert staged.upsert(drivers, "more", ["driver_id"], keep=["idgap_loaded_at"]) == 2000
    back = _read(engine)
    assert back.height == 5000
    names = dict(zip(back["driver_id"], back["full_name"], strict=True))
    assert names["D000001"] is None and names["D002500"] is None  # first 3,000 were null
    assert names["D003500"] == "Up 3500" and names["D004999"] == "Up 4999"
    with engine.connect() as conn:
        loaded = dict(conn.execute(sa.select(drivers.c.driver_id, drivers.c.idgap_loaded_at)).all())
    assert loaded["D003500"] == NOW  # kept on conflict
    assert loaded["D004500"] == later  # a new row
    assert _stage_tables(engine) == []


def test_a_failed_transaction_writes_nothing_and_its_stage_goes_at_the_next(engine):
    with pytest.raises(RuntimeError), engine.begin() as conn:  # noqa: SIM117
        with bulk.stage_frames(conn, {"d": (_drivers(3000), drivers)}) as staged:
            staged.insert(drivers, "d")
            raise RuntimeError("killed here")
    assert _read(engine).height == 0
    with engine.begin() as conn:
        bulk.insert_frame(conn, drivers, _drivers(1))
    assert _stage_tables(engine) == []


def test_staging_inside_an_open_write_transaction_still_works(engine):
    person = {"person_key": "p1", "status": "active", "created_at": NOW, "updated_at": NOW,
              "created_by": "test"}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(persons.insert(), [person])  # the transaction now holds the write lock
        bulk.insert_frame(conn, drivers, _drivers(100, start=5000))
        again = _drivers(100, start=5000, name="Again").drop("idgap_loaded_at")
        bulk.update_frame(conn, drivers, again, ["driver_id"])
    assert _read(engine)["full_name"][-1] == "Again 5099"


def test_orphan_stage_tables_of_a_dead_process_are_dropped(engine, path):
    if engine.dialect.name != "sqlite" or path != "arrow":
        pytest.skip("only ADBC stages are real tables; TEMP ones go with their session")
    orphan = f"{bulk.STAGE_PREFIX}999999999_abcdef012345"
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE TABLE "{orphan}" (x TEXT)'))
    with engine.begin() as conn:
        bulk.insert_frame(conn, drivers, _drivers(1))
    assert orphan not in _stage_tables(engine)


def test_a_large_read_gives_the_same_frame_as_the_cursor(engine):
    with engine.begin() as conn:
        bulk.insert_frame(conn, drivers, _drivers(4000))
    stmt = sa.select(drivers.c.driver_id, drivers.c.full_name, drivers.c.hire_date).where(
        drivers.c.hire_date > dt.date(2026, 3, 1)
    )
    with engine.connect() as conn:
        large = bulk.read_frame(conn, stmt.order_by(drivers.c.driver_id), SCHEMA, large=True)
        plain = bulk.read_frame(conn, stmt.order_by(drivers.c.driver_id), SCHEMA)
    assert large.height > 0 and large.equals(plain)


def test_sqlite_stages_live_in_a_file_of_their_own_gone_after_the_transaction(engine, path):
    if engine.dialect.name != "sqlite" or path != "arrow":
        pytest.skip("stage files are the ADBC path of an SQLite file")
    person = {"person_key": "p1", "status": "active", "created_at": NOW, "updated_at": NOW,
              "created_by": "test"}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(persons.insert(), [person])  # inside a write transaction too
        bulk.insert_frame(conn, drivers, _drivers(3000))
        attached = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
        assert any(name.startswith(bulk.STAGE_PREFIX) for name in attached)
    with engine.connect() as conn:  # the pooled connection came back: detached
        attached = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
    assert not any(name.startswith(bulk.STAGE_PREFIX) for name in attached)
    assert _stage_tables(engine) == [] and _read(engine).height == 3000


def test_stage_folders_of_a_killed_process_are_removed_at_the_next_stage(engine, path):
    if engine.dialect.name != "sqlite" or path != "arrow":
        pytest.skip("stage files are the ADBC path of an SQLite file")
    scratch = Path(bulk._scratch(10**6) or tempfile.gettempdir())
    orphan = scratch / f"{bulk.STAGE_DIR}999999999-test"
    orphan.mkdir(exist_ok=True)
    (orphan / "stage.db").write_bytes(b"x" * 1000)
    with engine.begin() as conn:
        bulk.insert_frame(conn, drivers, _drivers(10))
    assert not orphan.exists()
    assert not list(scratch.glob(f"{bulk.STAGE_DIR}{os.getpid()}-*"))  # ours went at once


def test_past_its_share_of_stage_files_a_transaction_stages_by_executemany(
    engine, path, monkeypatch
):
    if engine.dialect.name != "sqlite" or path != "arrow":
        pytest.skip("stage files are the ADBC path of an SQLite file")
    monkeypatch.setattr(bulk, "STAGE_FILES_PER_CONNECTION", 1)
    with engine.begin() as conn:
        bulk.insert_frame(conn, drivers, _drivers(100))  # the one stage file
        bulk.insert_frame(conn, drivers, _drivers(100, start=100))  # TEMP table instead
        attached = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
        assert sum(name.startswith(bulk.STAGE_PREFIX) for name in attached) == 1
    assert _read(engine)["driver_id"].to_list() == [f"D{i:06d}" for i in range(200)]
