"""Yango's activity flags on a lead against a candidate account's daily trips.

A lead carries `active_1`, `active_5`, ... `active_100` and `last_active_date` (REF §1.1): what
the real driver did. Read as "at least N trips", the true flags give a count *band* (band 0: no
trip; band i: at least THRESHOLDS[i-1] trips, fewer than THRESHOLDS[i]). The account's trips in
the lead's window give the account's band. Which window the flags describe is not assumed: the
engine measures each of `MatchSettings.activity_windows` on the park's unambiguous links and
uses the one that agrees most; the comparison's m/u are then measured as well, so flags that
are often stale or wrong weigh little.
"""

from __future__ import annotations

import polars as pl

THRESHOLDS = (1, 5, 10, 15, 25, 50, 100)
FLAG_COLUMNS = tuple(f"active_{n}" for n in THRESHOLDS)
TRIPS_SCHEMA = {"driver_id": pl.Utf8, "activity_date": pl.Date, "trips": pl.Int64}


def _flag(col: str) -> pl.Expr:
    text = pl.col(col).cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    return (
        pl.when(text.is_in(["true", "t", "1", "yes", "si", "sí"])).then(True)
        .when(text.is_in(["false", "f", "0", "no"])).then(False)
    )  # fmt: skip


def flag_band(df: pl.DataFrame) -> pl.Expr:
    """The band the lead's flags claim; null when the lead has none of them."""
    present = [c for c in FLAG_COLUMNS if c in df.columns]
    if not present:
        return pl.lit(None, dtype=pl.Int8)
    flags = [_flag(c) for c in present]
    any_known = pl.any_horizontal([f.is_not_null() for f in flags])
    band = pl.sum_horizontal([f.fill_null(False).cast(pl.Int8) for f in flags])
    return pl.when(any_known).then(band.cast(pl.Int8))


def trips_band(trips: pl.Expr) -> pl.Expr:
    """The band of a trip count (how many thresholds it reaches)."""
    return pl.sum_horizontal([(trips >= n).cast(pl.Int8) for n in THRESHOLDS]).cast(pl.Int8)


def empty_trips() -> pl.DataFrame:
    return pl.DataFrame(schema=TRIPS_SCHEMA)


def window_trips(
    pairs: pl.DataFrame, trips: pl.DataFrame | None, windows: tuple[int, ...]
) -> pl.DataFrame:
    """`pairs` (ci, di, lead_date, ...) plus `trips_<w>` per window: the account's trips in
    [lead_date, lead_date + w). Null for every window when no activity data was given."""
    cols = [f"trips_{w}" for w in windows]
    if trips is None:
        return pairs.with_columns([pl.lit(None, dtype=pl.Int64).alias(c) for c in cols])
    keyed = pairs.select("ci", "di", "lead_date")
    joined = keyed.join(trips, on="di").with_columns(
        age=(pl.col("activity_date") - pl.col("lead_date")).dt.total_days()
    )
    sums = joined.group_by("ci", "di").agg(
        [pl.col("trips").filter(pl.col("age").is_between(0, w - 1)).sum().alias(f"trips_{w}")
         for w in windows]
    )  # fmt: skip
    out = pairs.join(sums, on=["ci", "di"], how="left")
    return out.with_columns([pl.col(c).fill_null(0) for c in cols])


def choose_window(anchor_pairs: pl.DataFrame, windows: tuple[int, ...]) -> tuple[int, dict]:
    """The window whose trip bands agree most with the flags on unambiguous links, and the
    measured agreement of every window ({window: share}, on anchors that carry flags)."""
    flagged = anchor_pairs.filter(pl.col("flag_band").is_not_null())
    shares: dict[int, float | None] = {}
    for w in windows:
        col = pl.col(f"trips_{w}")
        if flagged.height == 0 or flagged[f"trips_{w}"].null_count() == flagged.height:
            shares[w] = None
            continue
        agree = flagged.select((trips_band(col) == pl.col("flag_band")).mean()).item()
        shares[w] = round(float(agree), 4)
    measured = {w: v for w, v in shares.items() if v is not None}
    best = max(measured, key=lambda w: (measured[w], -w)) if measured else windows[0]
    return best, {str(w): s for w, s in shares.items()}
