"""Frames staged in a temporary table, then written set-based: INSERT ... SELECT ... ON CONFLICT.

A staged table has the target table's column types for the frame's columns, is filled by
`store.bulk.insert_frame` (COPY on PostgreSQL, one compiled executemany on SQLite) and lives
only inside the caller's transaction block.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from idgap.store.bulk import insert_frame


@contextlib.contextmanager
def staged(conn: sa.Connection, like: sa.Table, df: pl.DataFrame) -> Iterator[sa.Table]:
    """A temporary table holding `df` (column types taken from `like`), dropped afterwards."""
    stage = sa.Table(
        f"idgap_stage_{uuid.uuid4().hex[:10]}",
        sa.MetaData(),
        *[sa.Column(c, like.c[c].type) for c in df.columns],
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    try:
        insert_frame(conn, stage, df)
        yield stage
    finally:
        stage.drop(conn)


def upsert_frame(
    conn: sa.Connection,
    table: sa.Table,
    df: pl.DataFrame,
    *,
    key: Sequence[str],
    keep_on_update: Sequence[str] = (),
) -> int:
    """Insert the rows of `df`; a row whose `key` exists updates every other column instead,
    except `keep_on_update` (e.g. created_at). One statement whatever the number of rows."""
    if df.height == 0:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    with staged(conn, table, df) as stage:
        cols = list(df.columns)
        # WHERE true: SQLite needs it to tell the upsert's ON CONFLICT from a join constraint
        select = sa.select(*[stage.c[c] for c in cols]).where(sa.true())
        stmt = dialect.insert(table).from_select(cols, select)
        updated = [c for c in cols if c not in key and c not in keep_on_update]
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c[k] for k in key],
            set_={c: stmt.excluded[c] for c in updated},
        )
        conn.execute(stmt)
    return df.height
