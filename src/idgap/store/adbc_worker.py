"""ADBC bulk ingest into an SQLite file, run in its own process by `store.bulk`.

The ADBC SQLite driver carries its own copy of the SQLite library. Two copies in one process
do not see each other's POSIX locks on the same file (sqlite.org, "How To Corrupt An SQLite
Database File", 2.2.1): measured here, an ADBC connection opened beside a pysqlite one read an
empty table that the pysqlite connection had just committed. So the Arrow ingest runs in a
child process, where SQLite's ordinary cross-process locking applies.

Usage: python -m idgap.store.adbc_worker DB_PATH MANIFEST_JSON
MANIFEST_JSON either lists "tables": {"ipc": path of an Arrow IPC file, "table": new table
name}: DB_PATH is then a new stage file of its own (no journal, no sync: it is thrown away
after the parent's transaction, which ATTACHes it) and every table is created and filled; or
it names a "read": {"sql", "params", "ipc"}: the query's rows in the store at DB_PATH are
written to the IPC file as one Arrow table.
"""

from __future__ import annotations

import json
import sys

BUSY_MS = 30_000
INGEST_TABLE, INGEST_MODE = "adbc.ingest.target_table", "adbc.ingest.mode"
CREATE = "adbc.ingest.mode.create"


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
    if "read" in manifest:
        r = manifest["read"]
        read(db, r["sql"], r["params"], r["ipc"])
    else:
        ingest_stage_file(db, manifest["tables"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
