"""Read a CSV as text columns, refusing a whole file for header, encoding or emptiness."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from idgap.errors import InputError
from idgap.intake.contract import TableSpec


def read_csv_text(path: Path | str, spec: TableSpec, data: bytes | None = None) -> pl.DataFrame:
    name = Path(path).name
    raw = data if data is not None else Path(path).read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: not UTF-8 text (byte {exc.start}); export the file as UTF-8 and retry"
        ) from None
    if not raw.strip():
        raise InputError(f"{name}: the file is empty")
    try:
        df = pl.read_csv(io.BytesIO(raw), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"{name}: cannot be read as CSV ({first})") from None
    df = df.rename({c: c.strip() for c in df.columns})
    missing = [c for c in spec.required if c not in df.columns]
    if missing:
        raise InputError(
            f"{name}: missing required column(s) {', '.join(missing)} for {spec.table}"
        )
    if df.height == 0:
        raise InputError(f"{name}: has a header but no data rows")
    return df.with_columns(pl.col(c).str.strip_chars().replace("", None) for c in df.columns)
