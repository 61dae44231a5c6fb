"""Activity and the other lead sources: `summary_daily`, scouting rows and fleet migrations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from idgap.synth import codes
from idgap.synth.names import draw_people, join_words, mixed_case

# trips per day of a converted driver in its first two weeks: none / a few / steady / full time
_INTENSITY = np.array([0.0, 0.12, 0.8, 3.2])
_INTENSITY_P = np.array([0.2, 0.2, 0.3, 0.3])
DAYS = 15
ACQUISITION = np.array(["calle", "referido", "redes_sociales", "evento", "whatsapp"])


def _date_file(day: pl.Expr) -> pl.Expr:
    """'DD-MM-YYYY' normally; ~15 % of the daily files were named 'YYYY-MM-DD'."""
    iso = (day.cast(pl.Int64) * 7919 % 100) < 15
    return pl.when(iso).then(day.dt.strftime("%Y-%m-%d")).otherwise(day.dt.strftime("%d-%m-%Y"))


def summary_daily(
    rng: np.random.Generator,
    converted: pl.DataFrame,
    unrelated_ids: pl.Series,
    anchor: dt.date,
) -> pl.DataFrame:
    """Daily rows from each converted driver's start (`driver_id`, `start_rel` days), then a few
    thousand unrelated drivers active in the last month (the unlinked activity)."""
    n = converted.height
    rate = _INTENSITY[rng.choice(len(_INTENSITY), n, p=_INTENSITY_P)]
    ids = converted["driver_id"].gather(np.repeat(np.arange(n), DAYS))
    rel = np.repeat(converted["start_rel"].to_numpy(), DAYS) + np.tile(np.arange(DAYS), n)
    counts = rng.poisson(np.repeat(rate, DAYS))
    idle = rng.random(len(counts)) < 0.1  # connected, no trip: a row with 0 orders
    keep = ((counts > 0) | (idle & (np.repeat(rate, DAYS) > 0))) & (rel <= 0)
    k = min(3000, unrelated_ids.len())
    sample = unrelated_ids.gather(rng.choice(unrelated_ids.len(), k, replace=False))
    o_rel = -rng.integers(0, 30, (k, 5)).ravel()
    frame = pl.DataFrame(
        {
            "driver_id": pl.concat(
                [ids.filter(pl.Series(keep)), sample.gather(np.repeat(np.arange(k), 5))]
            ),
            "rel": np.concatenate([rel[keep], o_rel]),
            "count_orders_completed": np.concatenate([counts[keep], rng.poisson(6, k * 5)]),
        }
    ).unique(["driver_id", "rel"], keep="first", maintain_order=True)
    m = frame.height
    seconds = frame["count_orders_completed"].to_numpy() * rng.integers(900, 1800, m)
    day = pl.lit(anchor).cast(pl.Date) + pl.duration(days=pl.col("rel"))
    return frame.with_columns(
        sum_work_time_seconds=pl.Series(seconds + rng.integers(600, 7200, m), dtype=pl.Int64),
        date_file=_date_file(day.cast(pl.Date)),
        count_orders_completed=pl.col("count_orders_completed").cast(pl.Int64),
    ).select("driver_id", "date_file", "count_orders_completed", "sum_work_time_seconds")


def scouts(rng: np.random.Generator, n: int = 40) -> pl.DataFrame:
    people = draw_people(rng, n)
    return pl.DataFrame(
        {
            "scout_id": [str(101 + i) for i in range(n)],
            "scout_name": people.select(join_words(pl.col("g1"), pl.col("s1"))).to_series(),
        }
    )


def scouting_daily(
    rng: np.random.Generator, persons: pl.DataFrame, scout: pl.DataFrame, anchor: dt.date
) -> pl.DataFrame:
    """Rows for the persons given (g1 s1 s2, phone, license, age): the scout's registration."""
    k = persons.height
    u = pl.lit(pl.Series(rng.random(k)))
    reg = pl.Series(-persons["age"].to_numpy() + rng.integers(-2, 3, k)).clip(upper_bound=0)
    who = scout.gather(rng.integers(0, scout.height, k))
    return (
        persons.select(
            id=pl.int_range(1, k + 1, dtype=pl.Int64),
            scout_id=who["scout_id"],
            driver_phone=codes.spell_phone(pl.col("phone"), u, driver=False),
            driver_license=codes.spell_license(pl.col("license"), pl.lit(pl.Series(rng.random(k)))),
            driver_name=mixed_case(join_words(pl.col("g1"), pl.col("s1"), pl.col("s2")), u),
            registration_date=pl.lit(anchor).cast(pl.Date) + pl.duration(days=pl.lit(reg)),
            acquisition_method=pl.Series(ACQUISITION[rng.integers(0, len(ACQUISITION), k)]),
            secs=pl.Series(rng.integers(8 * 3600, 20 * 3600, k)),
        )
        .with_columns(
            created_at=(
                pl.col("registration_date").cast(pl.Datetime("us"))
                + pl.duration(seconds=pl.col("secs"))
            ).dt.strftime("%Y-%m-%d %H:%M:%S"),
            registration_date=pl.col("registration_date").dt.strftime("%Y-%m-%d"),
        )
        .with_columns(updated_at="created_at")
        .drop("secs")
    )


def migrations(
    rng: np.random.Generator, target_drivers: pl.DataFrame, scout: pl.DataFrame
) -> pl.DataFrame:
    """Fleet migrations (REF §1.2): drivers brought from another fleet, already known by id."""
    k = min(300, target_drivers.height // 300)
    pick = target_drivers.gather(np.sort(rng.choice(target_drivers.height, k, replace=False)))
    who = scout.gather(rng.integers(0, scout.height, k))
    return pl.DataFrame(
        {
            "id": np.arange(1, k + 1, dtype=np.int64),
            "driver_id": pick["driver_id"],
            "driver_name": pick["full_name"],
            "scout_id": who["scout_id"],
            "scout_name": who["scout_name"],
            "hire_date": pick["hire_date"],
            "created_at": pick["created_at"],
            "updated_at": pick["created_at"],
        }
    )
