"""Read a contract CSV as text columns, or refuse the whole file with a one-line reason.

A file is refused (InputError naming the file) when it is not UTF-8, is empty, has a header but
no data rows, cannot be parsed as CSV, repeats a header, or lacks a required header. Nothing
is inferred: every column stays text, values are trimmed and empty values become null, so the
same validation applies to a CSV and to a table read from a database (`clean_frame`).

Each row carries its file line (`_line`, right after a quoted newline too); a record with
more or fewer fields than the header, or an unterminated quoted field at the end (a truncated
file), is cut out before parsing and returned as a reject with its line (`csv_records`).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import polars as pl

from idgap.errors import InputError
from idgap.intake import csv_records
from idgap.intake.contract import Source, TableSpec

LINE, REASON, RAW_TEXT = "_line", "_reason", "_raw_line"

BOM = b"\xef\xbb\xbf"


def read_csv_bytes(data: bytes, spec: TableSpec, *, name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate and read one file's bytes (a UTF-8 BOM is accepted).

    -> (rows as text with `_line`, records refused by their shape: `_line`, `_reason`, the
    record's text)."""
    source = csv_source(data, spec, name=name)
    assert source.shape_rejects is not None
    return source.frame, source.shape_rejects


def csv_source(data: bytes, spec: TableSpec, *, name: str) -> Source:
    """`read_csv_bytes` as the import's `Source` (with whether the file holds a NUL byte)."""
    raw = data[len(BOM) :] if data.startswith(BOM) else data
    _check_utf8(raw, name)
    if not raw or raw.isspace():  # as `not raw.strip()`, without copying the file
        raise InputError(f"{name}: the file is empty")
    rec = csv_records.scan(raw)
    bad, reasons = csv_records.problems(rec)
    good = _data_records(rec.n, bad)
    try:
        df = pl.read_csv(
            io.BytesIO(csv_records.without(raw, rec, bad)),
            infer_schema=False, has_header=True, raise_if_empty=True,
        )  # fmt: skip
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise InputError(f"{name}: cannot be read as CSV ({first})") from None
    if df.height != len(good):  # quoting Polars reads otherwise: number the records in order
        good = np.arange(2, df.height + 2)
        lines = pl.Series(LINE, good, dtype=pl.Int64)
    else:
        lines = pl.Series(LINE, rec.lines[good], dtype=pl.Int64)
    shaped = _shape_rejects(raw, rec, bad, reasons)
    text = clean_frame(df, spec, name=name, allow_empty=shaped.height > 0)
    # a memchr over the bytes spares a search of every value of every column
    return Source(spec, name, text.with_columns(lines), shaped, nul_free=b"\x00" not in raw)


def _data_records(n: int, bad: np.ndarray) -> np.ndarray:
    """Indices 1..n-1 (0 is the header) without `bad`, in order (a mask: setdiff1d sorts)."""
    keep = np.ones(n, dtype=bool)
    keep[0] = False
    keep[bad] = False
    return np.flatnonzero(keep)


def _shape_rejects(
    raw: bytes, rec: csv_records.Records, bad: np.ndarray, reasons: list[str]
) -> pl.DataFrame:
    texts = [
        raw[int(rec.starts[i]) : int(rec.ends[i])].decode("utf-8", "replace")[:500] for i in bad
    ]
    return pl.DataFrame(
        {LINE: rec.lines[bad].astype(np.int64), REASON: reasons, RAW_TEXT: texts},
        schema={LINE: pl.Int64, REASON: pl.Utf8, RAW_TEXT: pl.Utf8},
    )


def read_csv_file(path: Path, spec: TableSpec) -> Source:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name}: cannot be read ({exc.strerror})") from None
    return csv_source(data, spec, name=path.name)


def _check_utf8(raw: bytes, name: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{name}: not UTF-8 text (undecodable byte 0x{raw[exc.start]:02x} on line {line}); "
            "export the file as UTF-8 and retry"
        ) from None


def clean_frame(
    df: pl.DataFrame, spec: TableSpec, *, name: str, allow_empty: bool = False
) -> pl.DataFrame:
    """Headers checked, every value text, trimmed, empty -> null; refuses like a bad file
    (`allow_empty`: every data record was refused by its shape, they are the rejects)."""
    headers = [c.strip().lower() for c in df.columns]
    repeated = sorted({h for h in headers if headers.count(h) > 1})
    if repeated:
        raise InputError(f"{name}: repeated column(s) {', '.join(repeated)}")
    missing = spec.missing_headers(headers)
    if missing:
        raise InputError(
            f"{name}: missing required column(s) {', '.join(missing)} for {spec.table}"
        )
    if df.height == 0 and not allow_empty:
        raise InputError(f"{name}: has a header but no data rows")
    df = df.rename(dict(zip(df.columns, headers, strict=True)))
    return df.with_columns(
        pl.col(c).cast(pl.Utf8).str.strip_chars().replace("", None) for c in df.columns
    )
