"""The accepted date formats (SPEC §2), as one Polars expression."""

from __future__ import annotations

import polars as pl

DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def parse_date(e: pl.Expr) -> pl.Expr:
    """`YYYY-MM-DD[ HH:MM[:SS]]`, `DD-MM-YYYY`, `DD/MM/YYYY`, `YYYY/MM/DD`, `DD.MM.YYYY` -> Date."""
    s = e.cast(pl.Utf8).str.strip_chars()
    head = s.str.slice(0, 10)
    # the time part is only allowed after an ISO date, and must itself be valid
    time_ok = (s.str.len_chars() <= 10) | s.str.contains(
        r"^\d{4}-\d{2}-\d{2}[ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"
    )
    # four-digit years only: "12/01/26" must not become the year 26
    shaped = head.str.contains(r"^(\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})$")
    parsed = pl.coalesce([head.str.strptime(pl.Date, f, strict=False) for f in DATE_FORMATS])
    exact = pl.coalesce(
        [s.str.strptime(pl.Date, f, strict=False) for f in DATE_FORMATS]
    )  # whole string is a bare date
    return (
        pl.when(~shaped).then(None)
        .when(s.str.len_chars() <= 10).then(exact)
        .when(time_ok).then(parsed)
        .otherwise(None)
    )  # fmt: skip


def parse_datetime(e: pl.Expr) -> pl.Expr:
    """Full timestamp when given, else the date at midnight."""
    s = e.cast(pl.Utf8).str.strip_chars()
    full = pl.coalesce(
        [
            s.str.slice(0, 19).str.strptime(pl.Datetime("us"), f, strict=False)
            for f in DATETIME_FORMATS
        ]
    )
    return pl.coalesce([full, parse_date(e).cast(pl.Datetime("us"))])
