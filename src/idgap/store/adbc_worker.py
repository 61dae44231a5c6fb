"""ADBC bulk ingest into an SQLite file, run in its own process by `store.bulk`.

The ADBC SQLite driver carries its own copy of the SQLite library. Two copies in one process
do not see each other's POSIX locks on the same file (sqlite.org, "How To Corrupt An SQLite
Database File", 2.2.1): measured here, an ADBC connection opened beside a pysqlite one read an
empty table that the pysqlite connection had just committed. So the Arrow ingest runs in a
child process, where SQLite's ordinary cross-process locking applies.

Usage: python -m idgap.store.adbc_worker DB_PATH MANIFEST_JSON
MANIFEST_JSON either lists "tables": {"ipc": path of an Arrow IPC file, "table": new table
name} (every table is created and filled, then one commit), or names a "read": {"sql", "params",
"ipc"} (the query's rows are written to the IPC file as one Arrow table). With "stage_file":
true, DB_PATH is a new stage file of its own (no journal, no sync: it is thrown away after
the parent's transaction) that receives the "tables". Before staging,
stage tables of processes that are gone are dropped (a kill between staging and merging leaves
them behind), and so are the parent's own stages whose transaction is over (`drop`: their
DROP may have been rolled back).
"""

from __future__ import annotations

import json
import os
import re
import sys

STAGE_NAME = re.compile(r"^idgap_stage_(\d+)_[0-9a-f]+$")
BUSY_MS = 30_000
INGEST_TABLE, INGEST_MODE = "adbc.ingest.target_table", "adbc.ingest.mode"
CREATE = "adbc.ingest.mode.create"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_orphans(cur, keep_pid: int) -> None:  # type: ignore[no-untyped-def]
    cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'idgap_stage_%'")
    for (name,) in cur.fetchall():
        m = STAGE_NAME.match(name)
        if m and int(m.group(1)) != keep_pid and not _alive(int(m.group(1))):
            # the name matched ^idgap_stage_<digits>_<hex>$: nothing else can be in it
            cur.execute(f'DROP TABLE IF EXISTS "{name}"')


def ingest(db: str, manifest: list[dict[str, str]], parent: int, drop: list[str]) -> None:
    import adbc_driver_sqlite.dbapi as adbc_sqlite
    import pyarrow.ipc as ipc

    conn = adbc_sqlite.connect(db)
    try:
        with conn.cursor() as cur:
            cur.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            cur.fetchall()
            drop_orphans(cur, parent)
            for name in drop:  # the parent's stages whose transaction is over
                if STAGE_NAME.match(name):
                    cur.execute(f'DROP TABLE IF EXISTS "{name}"')
            for item in manifest:
                if not STAGE_NAME.match(item["table"]):
                    raise SystemExit(f"not a stage table name: {item['table']!r}")
                with ipc.open_file(item["ipc"]) as reader:
                    cur.adbc_ingest(item["table"], reader.read_all(), mode="create")
        conn.commit()
    finally:
        conn.close()


def ingest_stage_file(db: str, manifest: list[dict[str, str]]) -> None:
    """ADBC's low-level API (autocommit): its DB-API module would import Polars and pandas
    when present, a third of this process's start-up."""
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa
    import pyarrow.ipc as ipc

    database = adbc_driver_sqlite.connect(db)
    conn = adbc.AdbcConnection(database)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF"):
            with adbc.AdbcStatement(conn) as stmt:
                stmt.set_sql_query(f"PRAGMA {pragma}")
                stmt.execute_update()
        for item in manifest:
            with pa.memory_map(item["ipc"]) as source, adbc.AdbcStatement(conn) as stmt:
                stmt.set_options(**{INGEST_TABLE: item["table"], INGEST_MODE: CREATE})
                stmt.bind_stream(ipc.open_file(source).read_all().to_reader())
                stmt.execute_update()
    finally:
        conn.close()
        database.close()


def read(db: str, sql: str, params: list, out: str) -> None:  # type: ignore[type-arg]
    import adbc_driver_sqlite.dbapi as adbc_sqlite
    import pyarrow.ipc as ipc

    conn = adbc_sqlite.connect(db)
    try:
        with conn.cursor() as cur:
            cur.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            cur.fetchall()
            # one batch: column types are inferred from every row, not the first 1,024
            cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "1000000000"})
            cur.execute(sql, params or None)
            table = cur.fetch_arrow_table()
        with ipc.new_file(out, table.schema) as writer:
            writer.write_table(table)
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    db, manifest_path = argv
    with open(manifest_path) as fh:
        manifest = json.load(fh)
    if manifest.get("stage_file"):
        ingest_stage_file(db, manifest["tables"])
    elif "read" in manifest:
        r = manifest["read"]
        read(db, r["sql"], r["params"], r["ipc"])
    else:
        ingest(db, manifest["tables"], int(manifest["parent"]), manifest.get("drop", []))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
