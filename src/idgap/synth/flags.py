"""Who drove when (daily trips of the variant parks' accounts) and Yango's activity flags on
each lead (`active_1` ... `active_100`, `last_active_date`, REF §1.1), with the ways they go
stale or wrong.

Truthful flags describe the person's target account (or, for a lead hired by another park,
that account: Yango sees every park): `active_N` = at least N trips from the lead date over the
model's window, counted up to the export day; `last_active_date` = the last day with a trip up
to the export day. The engine must not assume this: it measures it on the park's own links.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from idgap.synth.activity import _date_file
from idgap.synth.variants import NoiseModel

THRESHOLDS = (1, 5, 10, 15, 25, 50, 100)
FLAG_COLUMNS = (*(f"active_{t}" for t in THRESHOLDS), "last_active_date")
DAY_ON = 0.75  # share of days a driver in a driving spell is connected


def trip_days(rng: np.random.Generator, accounts: pl.DataFrame) -> pl.DataFrame:
    """driver_id, rel (day relative to the anchor, <= 0), count, in_summary: one row per day
    a driving spell (`act_start`, `act_days`, `act_rate`) was connected."""
    spells = accounts.filter((pl.col("act_rate") > 0) & (pl.col("act_days") > 0))
    days = spells["act_days"].to_numpy()
    idx = np.repeat(np.arange(spells.height), days)
    offset = np.arange(idx.size) - np.repeat(np.cumsum(days) - days, days)
    rel = spells["act_start"].to_numpy()[idx] + offset
    rate = spells["act_rate"].to_numpy()[idx]
    on = rng.random(idx.size) < DAY_ON
    count = rng.poisson(rate / DAY_ON)
    idle = rng.random(idx.size) < 0.1  # connected, no trip: a row with 0 orders
    keep = on & (rel <= 0) & ((count > 0) | idle)
    return pl.DataFrame(
        {
            "driver_id": spells["driver_id"].gather(idx[keep]),
            "rel": rel[keep].astype(np.int64),
            "count": np.where(count[keep] > 0, count[keep], 0).astype(np.int64),
            "in_summary": spells["in_summary"].gather(idx[keep]),
        }
    )


def summary_rows(
    rng: np.random.Generator, trips: pl.DataFrame, others: pl.Series, anchor: dt.date
) -> pl.DataFrame:
    """`summary_daily.csv` rows: the park's own trips plus unrelated drivers' last month."""
    k = min(3000, others.len())
    sample = others.gather(rng.choice(others.len(), k, replace=False))
    frame = pl.concat(
        [
            trips.filter("in_summary").select("driver_id", "rel", "count"),
            pl.DataFrame(
                {
                    "driver_id": sample.gather(np.repeat(np.arange(k), 5)),
                    "rel": -rng.integers(0, 30, k * 5),
                    "count": rng.poisson(6, k * 5),
                }
            ),
        ]
    ).unique(["driver_id", "rel"], keep="first", maintain_order=True)
    m = frame.height
    seconds = frame["count"].to_numpy() * rng.integers(900, 1800, m) + rng.integers(600, 7200, m)
    day = (pl.lit(anchor).cast(pl.Date) + pl.duration(days=pl.col("rel"))).cast(pl.Date)
    return frame.select(
        "driver_id",
        date_file=_date_file(day),
        count_orders_completed=pl.col("count"),
        sum_work_time_seconds=pl.Series(seconds, dtype=pl.Int64),
    )


def _window_stats(leads: pl.DataFrame, trips: pl.DataFrame, window: int, lag: int) -> pl.DataFrame:
    """Per lead `k`: trips in the window up to the export day (`count`), up to the stale
    snapshot (`count_stale`), the last active days, and the person's lifetime trips."""
    t = trips.select("driver_id", "rel", "count")
    j = leads.select("k", "flag_driver_id", "lead_rel", "stale_upto").join(
        t, left_on="flag_driver_id", right_on="driver_id", how="inner"
    )
    in_window = (pl.col("rel") >= pl.col("lead_rel")) & (
        pl.col("rel") < pl.col("lead_rel") + window
    )
    exported, drove = pl.col("rel") <= -lag, pl.col("count") > 0
    stale = pl.col("rel") <= pl.col("stale_upto")
    stats = j.group_by("k").agg(
        count=pl.col("count").filter(in_window & exported).sum(),
        last=pl.col("rel").filter(drove & exported).max(),
        count_stale=pl.col("count").filter(in_window & stale).sum(),
        last_stale=pl.col("rel").filter(drove & stale).max(),
    )
    everyone = leads.select("k", ids=pl.concat_list("flag_driver_id", "same_person")).explode("ids")
    life = (
        everyone.join(t.filter(pl.col("rel") <= -lag), left_on="ids", right_on="driver_id")
        .group_by("k")
        .agg(lifetime=pl.col("count").sum())
    )
    return leads.select("k").join(stats, on="k", how="left").join(life, on="k", how="left")


def lead_flags(
    rng: np.random.Generator,
    leads: pl.DataFrame,
    trips: pl.DataFrame,
    model: NoiseModel,
    error_share: float,
    anchor: dt.date,
) -> pl.DataFrame:
    """`leads` (k, flag_driver_id, lead_rel, same_person, in export order) -> k, the flag
    columns and `flag_tag` (the error that changed this lead's flags, else null)."""
    n = leads.height
    tags = list(model.flag_tags)
    weights = np.array([model.flag_tags[t] for t in tags])
    picked = np.array(tags)[rng.choice(len(tags), n, p=weights / weights.sum())]
    wrong = pl.Series(rng.random(n) < error_share)
    err = pl.select(pl.when(wrong).then(pl.Series(picked, dtype=pl.String))).to_series()
    lag = model.flag_export_lag_days
    leads = leads.with_columns(
        err=err, stale_upto=pl.col("lead_rel") + pl.Series(rng.integers(0, 6, n))
    ).with_columns(stale_upto=pl.min_horizontal("stale_upto", pl.lit(-lag)))
    s = _window_stats(leads, trips, model.flag_window_days, lag).with_columns(
        pl.col("count", "count_stale", "lifetime").fill_null(0)
    )
    s = s.with_columns(
        **_shuffled(s, rng.permutation(n), "swapped"),
        **_shuffled(s, np.maximum(np.arange(n) - 1, 0), "neighbour"),
    )
    out = _erroneous(s.join(leads.select("k", "err"), on="k"), lag)
    return out.select(
        "k",
        *_flags("out_count", "out_last", anchor),
        flag_tag=pl.when(_bucket("out_count", "out_last") != _bucket("count", "last")).then("err"),
    )


def _shuffled(s: pl.DataFrame, order: np.ndarray, name: str) -> dict[str, pl.Series]:
    return {f"{name}_count": s["count"].gather(order), f"{name}_last": s["last"].gather(order)}


def _erroneous(s: pl.DataFrame, lag: int) -> pl.DataFrame:
    """The (count, last) Yango exported, per error kind."""
    e, count, last = pl.col("err"), pl.col("count"), pl.col("last")
    shifted = pl.when(last.is_not_null()).then(pl.min_horizontal(last + 1, pl.lit(0)))
    kinds = {
        "flags_stale": (pl.col("count_stale"), pl.col("last_stale")),
        "flags_zeroed": (pl.lit(0, dtype=pl.Int64), pl.lit(None, dtype=pl.Int64)),
        "flags_swapped": (pl.col("swapped_count"), pl.col("swapped_last")),
        "flags_neighbour_row": (pl.col("neighbour_count"), pl.col("neighbour_last")),
        "flags_day_shifted": (count, shifted),
        "flags_lifetime": (pl.col("lifetime"), last),
        "flags_inflated": (pl.when(count > 0).then((count * 3 + 1) // 2 + 1).otherwise(0), last),
    }
    out_count = pl.coalesce([*(pl.when(e == k).then(c) for k, (c, _) in kinds.items()), count])
    # a null last day is a real value of some errors: pick it by kind, not by coalescing
    out_last = last
    for k, (_, d) in kinds.items():
        out_last = pl.when(e == k).then(d).otherwise(out_last)
    return s.with_columns(out_count=out_count, out_last=out_last)


def _bucket(count: str, last: str) -> pl.Expr:
    """What the export shows: the flags' highest threshold reached and the last active day."""
    reached = pl.sum_horizontal(*((pl.col(count) >= t).cast(pl.Int64) for t in THRESHOLDS))
    return pl.concat_str(reached.cast(pl.String), pl.col(last).cast(pl.String).fill_null("-"))


def _flags(count: str, last: str, anchor: dt.date) -> list[pl.Expr]:
    day = pl.lit(anchor).cast(pl.Date) + pl.duration(days=pl.col(last))
    return [
        *((pl.col(count) >= t).alias(f"active_{t}") for t in THRESHOLDS),
        day.cast(pl.Date).dt.strftime("%Y-%m-%d").fill_null("").alias("last_active_date"),
    ]
