"""The accepted date formats (SPEC §2), as Polars expressions: whole columns, no Python loops.

Accepted: `YYYY-MM-DD[ HH:MM[:SS]]`, `DD-MM-YYYY`, `DD/MM/YYYY`, `YYYY/MM/DD`, `DD.MM.YYYY`.
Each format is recognised by its exact shape first and only then parsed, so a value is a date
only when it matches one shape completely and names a real day: "31-02-2026", "12/01/26",
"2026-01-12x" or "2026-01-12 25:00" stay null (and the import rejects the row).

Two tolerances, both for values exported by a database rather than typed by hand: the ISO date
may be separated from its time by `T`, and the time may carry fractional seconds and a UTC
offset (`2026-01-12 09:30:00.5+00`, PostgreSQL's text form of a timestamptz). The offset is
dropped: the time is kept as written, like the reference's `lead_created_at::date`.
Day and month may have one digit in the day-first and ISO-slash forms ("5/1/2026"), as
spreadsheets write them. Years outside 1900-2199 are typing errors, not dates, and stay null.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

# (shape, strptime format) of the date-only forms; years always have four digits
DATE_SHAPES: tuple[tuple[str, str], ...] = (
    (r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d"),
    (r"^\d{1,2}-\d{1,2}-\d{4}$", "%d-%m-%Y"),
    (r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"),
    (r"^\d{4}/\d{1,2}/\d{1,2}$", "%Y/%m/%d"),
    (r"^\d{1,2}\.\d{1,2}\.\d{4}$", "%d.%m.%Y"),
)
# ISO date and time; group 1 is what is parsed, the offset after it is dropped
_ISO_TIME = (
    r"^(\d{4}-\d{2}-\d{2}[ T](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?)"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S%.f")
_US = pl.Datetime("us")
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def _text(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.Utf8).str.strip_chars()


def _date_only(s: pl.Expr) -> pl.Expr:
    return pl.coalesce(
        [
            pl.when(s.str.contains(shape)).then(s.str.strptime(pl.Date, fmt, strict=False))
            for shape, fmt in DATE_SHAPES
        ]
    )


def _iso_timestamp(s: pl.Expr) -> pl.Expr:
    stamp = s.str.extract(_ISO_TIME, 1).str.replace("T", " ", literal=True)
    # the three time shapes differ by length: HH:MM (16), HH:MM:SS (19), with a fraction (>19)
    n = stamp.str.len_chars()
    by_len = (
        pl.when(n == 16).then(stamp.str.strptime(_US, _TIME_FORMATS[0], strict=False))
        .when(n == 19).then(stamp.str.strptime(_US, _TIME_FORMATS[1], strict=False))
        .otherwise(stamp.str.strptime(_US, _TIME_FORMATS[2], strict=False))
    )  # fmt: skip
    return by_len


def parse_datetime(e: pl.Expr) -> pl.Expr:
    """Timestamp (microseconds, no zone): the given time, or midnight for a bare date."""
    s = _text(e)
    stamp = pl.coalesce([_iso_timestamp(s), _date_only(s).cast(_US)])
    return pl.when(stamp.dt.date().is_between(FIRST_DAY, LAST_DAY)).then(stamp)


def parse_date(e: pl.Expr) -> pl.Expr:
    """The calendar date of any accepted form (a timestamp's date part)."""
    s = _text(e)
    day = pl.coalesce([_date_only(s), _iso_timestamp(s).dt.date()])
    return pl.when(day.is_between(FIRST_DAY, LAST_DAY)).then(day)


def parse_date_column(values: pl.Series) -> pl.Series:
    """`parse_date` of a whole column, faster: the ISO dates (nearly every value of an export)
    by one strptime, only the other values by every accepted form. The same values: the
    shapes exclude each other, so an ISO-shaped value is only ever parsed as ISO."""
    s = values.cast(pl.Utf8).str.strip_chars()
    shape, fmt = DATE_SHAPES[0]
    frame = pl.DataFrame({"s": s})
    iso = pl.col("s").str.contains(shape).fill_null(False)
    day = frame.select(
        pl.when(iso).then(pl.col("s").str.strptime(pl.Date, fmt, strict=False)).alias("d"),
        (~iso & pl.col("s").is_not_null()).alias("rest"),
    )
    day = day.with_columns(pl.when(pl.col("d").is_between(FIRST_DAY, LAST_DAY)).then("d"))
    rest = day["rest"].arg_true()
    out = day["d"]
    if rest.len():
        others = frame[rest].select(parse_date(pl.col("s"))).to_series()
        out = out.scatter(rest, others)
    return out.alias(values.name)
