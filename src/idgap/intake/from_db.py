"""Read the park's own database: the five source tables and the reference's canon tables.

Tables are found by reflection (the source schema defaults to the connection's default
schema, `public` unless the URL's search_path says otherwise; the reference's identity tables
are looked up in `canon`). The session time zone is set to UTC, so a timestamptz reads as its
UTC time. Every column is selected cast to text and streamed in chunks, then
goes through the same validation as a CSV (`clean_frame`), so a table and its CSV export are
imported identically.
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from idgap.errors import InputError
from idgap.intake.contract import ALL, LOAD_ORDER, Source
from idgap.intake.csv_reader import clean_frame
from idgap.store.db import normalise_url

CHUNK = 50_000


def _stream_text(conn: sa.Connection, table: sa.Table) -> pl.DataFrame:
    columns = [sa.cast(c, sa.Text).label(c.name) for c in table.columns]
    schema = {c.name: pl.Utf8 for c in table.columns}
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(
        sa.select(*columns)
    )
    parts = [pl.DataFrame(rows, schema=schema, orient="row") for rows in result.partitions()]
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def read_database(
    url: str, *, source_schema: str | None = None, canon_schema: str = "canon"
) -> tuple[list[Source], list[str]]:
    """-> (validated sources in load order, notes on tables skipped because they are empty)."""
    try:
        engine = sa.create_engine(normalise_url(url))
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise InputError(f"invalid source database URL: {exc}") from None
    sources: list[Source] = []
    skipped: list[str] = []
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # timestamptz as UTC text, whatever the server
                conn.execute(sa.select(sa.func.set_config("TimeZone", "UTC", False)))
            insp = sa.inspect(conn)
            schemas = set(insp.get_schema_names())
            for name in LOAD_ORDER:
                spec = ALL[name]
                schema = canon_schema if spec.legacy else source_schema
                if schema is not None and schema not in schemas:
                    continue
                if not insp.has_table(name, schema=schema):
                    continue
                label = f"db:{schema or insp.default_schema_name}.{name}"
                table = sa.Table(name, sa.MetaData(), autoload_with=conn, schema=schema)
                frame = _stream_text(conn, table)
                if frame.height == 0:
                    skipped.append(f"{label} (empty)")
                    continue
                sources.append(Source(spec, label, clean_frame(frame, spec, name=label)))
    except sa.exc.DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise InputError(f"cannot read the source database: {first}") from None
    finally:
        engine.dispose()
    if not sources:
        raise InputError(
            "the source database has none of the tables "
            f"{', '.join(n for n in LOAD_ORDER)} (or they are empty)"
        )
    return sources, skipped
