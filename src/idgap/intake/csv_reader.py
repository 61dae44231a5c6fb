"""Read a contract CSV as text columns, or refuse the whole file with a one-line reason.

A file is refused (InputError naming the file) when it is not UTF-8, is empty, has a header but
no data rows, cannot be parsed as CSV, repeats a header, or lacks a required header. Nothing
is inferred: every column stays text, values are trimmed and empty values become null, so the
same validation applies to a CSV and to a table read from a database (`clean_frame`).
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from idgap.errors import InputError
from idgap.intake.contract import TableSpec

BOM = b"\xef\xbb\xbf"


def read_csv_bytes(data: bytes, spec: TableSpec, *, name: str) -> pl.DataFrame:
    """Validate and read one file's bytes (a UTF-8 BOM is accepted)."""
    raw = data[len(BOM) :] if data.startswith(BOM) else data
    _check_utf8(raw, name)
    if not raw.strip():
        raise InputError(f"{name}: the file is empty")
    try:
        df = pl.read_csv(io.BytesIO(raw), infer_schema=False, has_header=True, raise_if_empty=True)
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise InputError(f"{name}: cannot be read as CSV ({first})") from None
    return clean_frame(df, spec, name=name)


def read_csv_file(path: Path, spec: TableSpec) -> pl.DataFrame:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name}: cannot be read ({exc.strerror})") from None
    return read_csv_bytes(data, spec, name=path.name)


def _check_utf8(raw: bytes, name: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{name}: not UTF-8 text (undecodable byte 0x{raw[exc.start]:02x} on line {line}); "
            "export the file as UTF-8 and retry"
        ) from None


def clean_frame(df: pl.DataFrame, spec: TableSpec, *, name: str) -> pl.DataFrame:
    """Headers checked, every value text, trimmed, empty -> null; refuses like a bad file."""
    headers = [c.strip().lower() for c in df.columns]
    repeated = sorted({h for h in headers if headers.count(h) > 1})
    if repeated:
        raise InputError(f"{name}: repeated column(s) {', '.join(repeated)}")
    missing = spec.missing_headers(headers)
    if missing:
        raise InputError(
            f"{name}: missing required column(s) {', '.join(missing)} for {spec.table}"
        )
    if df.height == 0:
        raise InputError(f"{name}: has a header but no data rows")
    df = df.rename(dict(zip(df.columns, headers, strict=True)))
    return df.with_columns(
        pl.col(c).cast(pl.Utf8).str.strip_chars().replace("", None) for c in df.columns
    )
