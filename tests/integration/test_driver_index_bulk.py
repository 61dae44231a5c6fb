"""The driver index on both backends: an import builds it from the rows it loads (the direct
build of the file), a new process reads the Parquet cache without hashing it again, a store
without a cache builds it from its drivers, unchanged is free, a changed driver is patched."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from idgap.matching.index import INDEX_COLUMNS, build_driver_index
from idgap.recovery import index_store
from idgap.recovery.index_store import forget_cache, load_driver_index
from idgap.store import bulk
from tests.integration.import_support import load, write_dir

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
N = 3_000
CONTENT = [c for c in INDEX_COLUMNS if c != "row_hash"]


@pytest.fixture(autouse=True)
def arrow_everywhere(monkeypatch):
    monkeypatch.setattr(bulk, "ADBC_FROM_ROWS", 1)  # SQLite stages go through ADBC too
    forget_cache()
    yield
    forget_cache()


def _drivers_csv(changed: int | None = None) -> str:
    lines = [
        f"D{i:05d},P{i % 3},+51 9{i:08d},Nombre{i} Apellido{i % 97},AB{i % 1000:03d}C,"
        f"{'' if i % 7 == 0 else '2026-0' + str(1 + i % 9) + '-1' + str(i % 10)}"
        for i in range(N)
    ]
    if changed is not None:
        lines[changed] = lines[changed].replace("+51 9", "+51 8", 1)
    return "driver_id,park_id,phone,full_name,car_number,hire_date\n" + "\n".join(lines) + "\n"


def _index(engine):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return load_driver_index(conn, now=NOW)


def _new_process(engine, *, keep_files: bool) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        forget_cache(None if keep_files else conn)


def test_the_import_builds_the_index_as_the_direct_build_of_the_file(engine, tmp_path):
    text = _drivers_csv()
    load(engine, write_dir(tmp_path / "park", {"drivers.csv": text}))
    frame, info = _index(engine)
    assert (info.n_changed, info.cache, frame.height) == (0, "memory", N)
    direct = build_driver_index(pl.read_csv(text.encode(), infer_schema=False))
    assert frame.select(CONTENT).equals(direct.select(CONTENT).sort("driver_id"))
    with engine.connect() as conn:
        assert index_store.build_from_store(conn).equals(frame)


def test_a_new_process_reads_the_cache_without_hashing_it_again(engine, tmp_path, monkeypatch):
    load(engine, write_dir(tmp_path / "park", {"drivers.csv": _drivers_csv()}))
    first, info = _index(engine)
    _new_process(engine, keep_files=True)

    def no_rehash(_frame):  # type: ignore[no-untyped-def]
        raise AssertionError("an unchanged index must not be hashed again")

    monkeypatch.setattr(index_store, "index_version", no_rehash)
    again, info2 = _index(engine)
    assert (info2.version, info2.n_changed, info2.cache) == (info.version, 0, "parquet")
    assert again.equals(first)
    cached, info3 = _index(engine)  # unchanged, same process: the frame in memory
    assert info3.cache == "memory" and cached is again


def test_a_store_without_a_cache_builds_the_same_index_from_its_drivers(engine, tmp_path):
    load(engine, write_dir(tmp_path / "park", {"drivers.csv": _drivers_csv()}))
    first, info = _index(engine)
    _new_process(engine, keep_files=False)
    again, info2 = _index(engine)
    assert (info2.cache, info2.n_changed, info2.version) == ("none", N, info.version)
    assert again.equals(first)


def test_a_reimport_with_one_changed_driver_patches_the_index(engine, tmp_path):
    load(engine, write_dir(tmp_path / "park", {"drivers.csv": _drivers_csv()}))
    first, info = _index(engine)
    _new_process(engine, keep_files=True)  # the re-import runs in another process
    load(engine, write_dir(tmp_path / "again", {"drivers.csv": _drivers_csv(changed=5)}))
    patched, info2 = _index(engine)
    assert info2.cache == "memory" and info2.version != info.version
    assert patched.filter(pl.col("driver_id") == "D00005")["phone_norm"].item() == "800000005"
    with engine.connect() as conn:
        assert index_store.build_from_store(conn).equals(patched)
