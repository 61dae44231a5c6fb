"""A frame as CSV or XLSX bytes or file (XLSX through Polars' `write_excel`, i.e. xlsxwriter)."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from idgap.errors import InputError

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, header excluded


def content_type(fmt: str) -> str:
    return CONTENT_TYPES[_check(fmt)]


def _check(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use {' or '.join(FORMATS)}")
    return fmt


def _xlsx(df: pl.DataFrame, target: io.BytesIO | Path, sheet: str) -> None:
    if df.height > XLSX_MAX_ROWS:
        raise InputError(f"{df.height:,} rows do not fit an Excel sheet; export CSV instead")
    # dates as dates and timestamps without zone (Excel has none); the header row frozen
    naive = df.with_columns(pl.col(pl.Datetime).dt.replace_time_zone(None))
    naive.write_excel(
        target, worksheet=sheet, autofit=True, freeze_panes=(1, 0), dtype_formats={
            pl.Date: "yyyy-mm-dd", pl.Datetime: "yyyy-mm-dd hh:mm:ss"},
        float_precision=2, include_header=True,
    )  # fmt: skip


def to_bytes(df: pl.DataFrame, fmt: str, *, sheet: str = "datos") -> bytes:
    """The whole file in memory (a web download)."""
    if _check(fmt) == "csv":
        return df.write_csv().encode("utf-8")  # UTF-8 without BOM, ISO dates
    buf = io.BytesIO()
    _xlsx(df, buf, sheet)
    return buf.getvalue()


def write_file(df: pl.DataFrame, out: Path, fmt: str, *, sheet: str = "datos") -> None:
    try:
        if _check(fmt) == "csv":
            df.write_csv(out)
        else:
            _xlsx(df, out, sheet)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None
