"""The persisted driver index through the bulk paths (ADBC on SQLite, COPY on PostgreSQL):
same frame as a direct build, a new process reads it without re-hashing, unchanged is free."""

from __future__ import annotations

import datetime as dt
import os

import polars as pl
import pytest

from idgap.matching.index import INDEX_COLUMNS, build_driver_index
from idgap.recovery import index_store
from idgap.recovery.index_store import forget_cache, load_driver_index
from idgap.store import bulk
from tests.integration.import_support import load, write_dir

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
N = 3_000


@pytest.fixture(autouse=True)
def arrow_everywhere(monkeypatch):
    monkeypatch.setattr(bulk, "ADBC_FROM_ROWS", 1)  # SQLite stages go through ADBC too
    forget_cache()
    yield
    forget_cache()


def _drivers_csv() -> str:
    lines = [
        f"D{i:05d},P{i % 3},+51 9{i:08d},Nombre{i} Apellido{i % 97},AB{i % 1000:03d}C,"
        f"{'' if i % 7 == 0 else '2026-0' + str(1 + i % 9) + '-1' + str(i % 10)}"
        for i in range(N)
    ]
    return "driver_id,park_id,phone,full_name,car_number,hire_date\n" + "\n".join(lines) + "\n"


def _index(engine):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return load_driver_index(conn, now=NOW)


def _without_disk_cache(engine) -> None:  # type: ignore[no-untyped-def]
    db = engine.url.database
    if engine.dialect.name == "sqlite" and db:
        for name in os.listdir(os.path.dirname(db)):
            if ".driver-index." in name:
                os.unlink(os.path.join(os.path.dirname(db), name))


def test_the_first_build_is_the_direct_build_of_the_drivers(engine, tmp_path):
    text = _drivers_csv()
    load(engine, write_dir(tmp_path / "park", {"drivers.csv": text}))
    frame, info = _index(engine)
    assert (info.n_changed, info.cache) == (N, "none")
    direct = build_driver_index(pl.read_csv(text.encode(), infer_schema=False))
    cols = [c for c in INDEX_COLUMNS if c != "row_hash"]
    assert frame.select(cols).equals(direct.select(cols).sort("driver_id"))
    forget_cache()
    _without_disk_cache(engine)
    with engine.begin() as conn:
        from_table = index_store._read_table(conn)
    assert from_table.equals(frame)


def test_a_new_process_reads_the_table_without_hashing_it_again(engine, tmp_path, monkeypatch):
    load(engine, write_dir(tmp_path / "park", {"drivers.csv": _drivers_csv()}))
    first, info = _index(engine)
    forget_cache()
    _without_disk_cache(engine)

    def no_rehash(_frame):  # type: ignore[no-untyped-def]
        raise AssertionError("an unchanged index must not be hashed again")

    monkeypatch.setattr(index_store, "index_version", no_rehash)
    again, info2 = _index(engine)
    assert (info2.version, info2.n_changed, info2.n_removed) == (info.version, 0, 0)
    assert again.equals(first)
    cached, info3 = _index(engine)  # unchanged, same process: the frame in memory
    assert info3.cache == "memory" and cached is again
