"""Validate and shape one source table's text frame into stored rows + rejects, set-based.

Per row: derived columns (lead id rule, lead date, parsed dates and counts), the first problem
that makes it unloadable (missing key, unparsable date, bad number), duplicates inside the
file (the first occurrence wins), the ignored source columns as `idgap_extra` JSON and a
stable `idgap_row_hash` of everything stored, which decides updated vs unchanged later.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pyarrow as pa
import sqlalchemy as sa

from idgap.intake.contract import LEADS, PAYMENTS, TableSpec
from idgap.intake.dates import parse_date, parse_date_column, parse_datetime
from idgap.store.tables import SOURCE_TABLES

LINE = "_line"
REASON = "_reason"
PARSED = "_date:"  # + a source date column: its parsed value, computed once per import
SHOWN_VALUE = 40  # characters of a bad value quoted in a reject reason
# source date column -> the stored column that holds its parsed value
PARSED_AS = {"lead_created_at": "lead_created_at", "date_file": "activity_date"}
WHOLE_NUMBERS = {"summary_daily": ("count_orders_completed", "sum_work_time_seconds")}
FLAGS = {PAYMENTS: ("trip_1", "trip_5", "trip_25")}  # yes/no columns, as text or as 0/1
_TRUE = ["1", "1.0", "true", "t", "yes", "y", "si", "sí", "x"]
_FALSE = ["0", "0.0", "false", "f", "no", "n"]


def with_lines(raw: pl.DataFrame) -> pl.DataFrame:
    """Number the rows as the user sees them in the file: the header is line 1. A CSV's rows
    already carry their file line (`csv_reader`); a database table's are numbered in order."""
    if LINE in raw.columns:
        return raw
    return raw.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def split_nul(raw: pl.DataFrame, *, nul_free: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows with a NUL character in any value (PostgreSQL text cannot hold one, and no real
    value has one) -> (the other rows, those rows with `_reason` naming the first column).
    `nul_free`: the source is known to hold none (its bytes were searched)."""
    columns = [c for c in raw.columns if c != LINE and raw.schema[c] == pl.Utf8]
    if not columns or nul_free:
        return raw, raw.head(0).with_columns(pl.lit(None, pl.Utf8).alias(REASON))
    reason: pl.Expr = pl.lit(None, dtype=pl.Utf8)
    for c in reversed(columns):
        has = pl.col(c).str.contains("\x00", literal=True).fill_null(False)
        reason = pl.when(has).then(pl.lit(f"NUL character in {c}")).otherwise(reason)
    checked = raw.with_columns(reason.alias(REASON))
    bad = checked.filter(pl.col(REASON).is_not_null())
    return checked.filter(pl.col(REASON).is_null()).drop(REASON), bad


def _col(df: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in df.columns else pl.lit(None, dtype=pl.Utf8)


def _parsed_date(df: pl.DataFrame, c: str) -> pl.Expr:
    """Source date column `c` parsed: its `with_parsed_dates` column when the frame has one."""
    return pl.col(PARSED + c) if PARSED + c in df.columns else parse_date(pl.col(c))


def with_parsed_dates(raw: pl.DataFrame, spec: TableSpec) -> pl.DataFrame:
    """The table's source date columns parsed once (checked and stored from the same values)."""
    return raw.with_columns(
        parse_date_column(raw[c]).alias(PARSED + c) for c in spec.dates if c in raw.columns
    )


def _whole_number(e: pl.Expr) -> pl.Expr:
    """'12' and '12.0' are 12; '12.5' and 'x' are null."""
    f = e.cast(pl.Float64, strict=False)
    return pl.when(f == f.round(0)).then(f.cast(pl.Int64, strict=False))


def _flag(e: pl.Expr) -> pl.Expr:
    """'1'/'true'/'sí'... -> True, '0'/'false'/'no' or empty -> False, anything else null."""
    text = e.str.strip_chars().str.to_lowercase()
    return (
        pl.when(e.is_null() | text.is_in(_FALSE))
        .then(False)
        .when(text.is_in(_TRUE))
        .then(True)
        .otherwise(None)
    )


def _derive(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Stored columns computed from source columns (SPEC §2)."""
    if table == LEADS:
        df = df.with_columns(
            lead_id=pl.coalesce(_col(df, "external_id"), _col(df, "id")),
            lead_created_at=parse_datetime(pl.col("lead_created_at")),
        )
        return df.with_columns(lead_date=pl.col("lead_created_at").dt.date())
    if table == "summary_daily":
        return df.with_columns(
            activity_date=_parsed_date(df, "date_file"),
            count_orders_completed=_whole_number(pl.col("count_orders_completed")),
            sum_work_time_seconds=_whole_number(_col(df, "sum_work_time_seconds")).fill_null(0),
        )
    if table == "module_ct_scouting_daily":
        return df.with_columns(registration_date=_parsed_date(df, "registration_date"))
    if table == PAYMENTS:
        flags = {c: _flag(pl.col(c)) for c in FLAGS[PAYMENTS]}
        return df.with_columns(date=_parsed_date(df, "date"), **flags)
    if "hire_date" in df.columns:
        return df.with_columns(hire_date=_parsed_date(df, "hire_date"))
    return df


def _quoted(name: str) -> pl.Expr:
    return pl.format("'{}'", pl.col(name).str.slice(0, SHOWN_VALUE))


def too_long(
    raw: pl.DataFrame, table: sa.Table, source_of: dict[str, str] | None = None
) -> list[tuple[pl.Expr, pl.Expr]]:
    """Values longer than their stored column (PostgreSQL would refuse the whole batch)."""
    out: list[tuple[pl.Expr, pl.Expr]] = []
    for col in table.columns:
        source = (source_of or {}).get(col.name, col.name)
        length = getattr(col.type, "length", None)
        if source in raw.columns and isinstance(col.type, sa.String) and length:
            bad = pl.col(source).str.len_chars() > length
            out.append((bad, pl.lit(f"{source} is longer than {length} characters")))
    return out


def row_problems(raw: pl.DataFrame, spec: TableSpec) -> list[tuple[pl.Expr, pl.Expr]]:
    """(condition on the raw text columns, reason), in the order a user would fix them."""
    out: list[tuple[pl.Expr, pl.Expr]] = []
    if spec.table == LEADS:
        empty = _col(raw, "external_id").is_null() & _col(raw, "id").is_null()
        out.append((empty, pl.lit("missing key: external_id and id are both empty")))
    for k in spec.key if spec.table != LEADS else ():
        source = "date_file" if k == "activity_date" else k
        if source in raw.columns:
            out.append((pl.col(source).is_null(), pl.lit(f"missing key {source}")))
    for c in spec.required_values:
        if c in raw.columns and c not in spec.key:
            out.append((pl.col(c).is_null(), pl.lit(f"missing {c}")))
    for c in spec.dates:
        if c in raw.columns:
            bad = pl.col(c).is_not_null() & _parsed_date(raw, c).is_null()
            out.append((bad, pl.format(f"unparsable date in {c}: {{}}", _quoted(c))))
    for c in WHOLE_NUMBERS.get(spec.table, ()):
        if c in raw.columns:
            bad = pl.col(c).is_not_null() & _whole_number(pl.col(c)).is_null()
            out.append((bad, pl.format(f"{c} is not a whole number: {{}}", _quoted(c))))
    for c in FLAGS.get(spec.table, ()):
        if c in raw.columns:
            bad = _flag(pl.col(c)).is_null()
            out.append((bad, pl.format(f"{c} is not a yes/no flag: {{}}", _quoted(c))))
    if spec.table in SOURCE_TABLES:
        out += too_long(raw, SOURCE_TABLES[spec.table])
    return out


def first_problem(
    raw: pl.DataFrame, spec: TableSpec, more: list[tuple[pl.Expr, pl.Expr]] | None = None
) -> pl.Expr:
    expr: pl.Expr = pl.lit(None, dtype=pl.Utf8)
    for cond, reason in reversed(row_problems(raw, spec) + (more or [])):
        expr = pl.when(cond).then(reason).otherwise(expr)
    return expr


def split_duplicates(
    good: pl.DataFrame, key: tuple[str, ...], shown: tuple[str, ...] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """-> (first occurrence of each key, later occurrences with a reject reason); order kept."""
    good = good.with_columns(pl.col(LINE).min().over(list(key)).alias("_first"))
    names = shown or key
    described = pl.concat_str(
        [pl.format(f"{n}={{}}", pl.col(k).cast(pl.Utf8)) for n, k in zip(names, key, strict=True)],
        separator=", ",
    )
    dups = good.filter(pl.col(LINE) != pl.col("_first")).with_columns(
        pl.format("duplicate key {} (first at line {})", described, pl.col("_first")).alias(REASON)
    )
    return good.filter(pl.col(LINE) == pl.col("_first")).drop("_first"), dups.drop("_first")


def stable_hash(df: pl.DataFrame, columns: list[str]) -> pl.Series:
    """md5 of the row's values: stable across processes and Polars versions (unlike .hash).

    The joined rows are hashed straight from their Arrow bytes (no Python string per row) and
    the digests hex-encoded at once: 2-3x faster than md5 over `to_list()`, same values."""
    joined = df.select(
        pl.concat_str(
            [pl.col(c).cast(pl.Utf8).fill_null("\x00") for c in columns], separator="\x1f"
        )
    ).to_series()
    return pl.Series("idgap_row_hash", _md5_hex(joined), dtype=pl.Utf8)


def _md5_hex(texts: pl.Series) -> pa.Array:
    arr = texts.to_arrow()
    arr = (arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr).cast(pa.large_utf8())
    n = len(arr)
    if n == 0:
        return pa.array([], type=pa.large_utf8())
    ends = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data, md5 = memoryview(arr.buffers()[2] or b""), hashlib.md5
    bounds = ends.tolist()
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    digests = b"".join([md5(data[a:b], usedforsecurity=False).digest() for a, b in pairs])
    offsets = pa.py_buffer(np.arange(0, 32 * n + 1, 32, dtype=np.int64))
    return pa.LargeStringArray.from_buffers(n, offsets, pa.py_buffer(digests.hex().encode()))


def extra_json(df: pl.DataFrame, extra: list[str]) -> pl.Expr:
    if not extra:
        return pl.lit(None, dtype=pl.Utf8).alias("idgap_extra")
    return pl.struct(sorted(extra)).struct.json_encode().alias("idgap_extra")


def prepare(raw: pl.DataFrame, spec: TableSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Text frame -> (stored rows with idgap_extra, idgap_row_hash and _line; rejects).

    Rejects carry `_line`, `_reason` and the raw source columns.
    """
    table = SOURCE_TABLES[spec.table]
    raw = with_lines(raw)
    parsed = with_parsed_dates(raw, spec)
    checked = parsed.with_columns(first_problem(parsed, spec).alias(REASON))
    bad = checked.filter(pl.col(REASON).is_not_null())
    good = _derive(checked.filter(pl.col(REASON).is_null()), spec.table)
    shown = ("driver_id", "date") if spec.table == "summary_daily" else None
    good, dups = split_duplicates(good, spec.key, shown)
    rejects = (
        pl.concat([bad.select(LINE, REASON), dups.select(LINE, REASON)])
        .join(raw, on=LINE)
        .sort(LINE)
    )
    stored = [c.name for c in table.columns if not c.name.startswith("idgap_")]
    extra = [c for c in raw.columns if c != LINE and c not in stored]
    good = good.with_columns(
        [pl.lit(None, dtype=pl.Utf8).alias(c) for c in stored if c not in good.columns]
    ).with_columns(extra_json(good, extra))
    good = good.select(*stored, "idgap_extra", LINE)
    hashed = sorted(stored) + ["idgap_extra"]
    return good.with_columns(stable_hash(good, hashed)), rejects
