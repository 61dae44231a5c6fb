"""Yango's payment report for a synthetic park (`module_ct_cabinet_payments.csv`) and its truth.

One row per paid milestone (REF §1.5), the payee as Yango writes the driver account's name:
reordered, without the second given name or surname, without accents, in any case. Noise the
collections analyst meets: reached milestones left unpaid, milestones paid that the trips do
not show, payments to people who have no lead in the park, and payments still to come (a
milestone is paid some days after its window closes, never after the anchor date).

Truth: `truth_payments.csv` (payment_id, lead_id, milestone; empty lead_id for a payee with no
lead) and `truth_claims.csv`, one row per lead x milestone with what a perfect ledger says.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import polars as pl

from idgap.synth.names import draw_people, join_words, mixed_case, strip_accents

MILESTONES = (1, 5, 25)
WINDOW_DAYS = 14
PAID_SHARE = 0.85  # reached milestones Yango pays
WRONGLY_PAID_SHARE = 0.03  # milestones not reached that Yango pays anyway (disputes)
NO_LEAD_SHARE = 0.04  # extra payments to people without a lead in the park
PAY_DELAY_DAYS = (1, 45)  # days after the window closes
PAYMENT_COLUMNS = (
    "id", "date", "time", "scout_id", "driver", "trip_1", "trip_5", "trip_25",
    "created_at", "updated_at",
)  # fmt: skip


def _seed(leads: pl.DataFrame) -> int:
    """Deterministic per park: derived from its lead ids (the writer gets no seed)."""
    digest = hashlib.md5(
        "|".join(leads["lead_id"].head(1000).to_list()).encode(), usedforsecurity=False
    )
    return int(digest.hexdigest()[:8], 16) + leads.height


def _lead_id(leads: pl.DataFrame) -> pl.Expr:
    ext = pl.col("external_id").cast(pl.Utf8)
    return pl.when(ext.is_not_null() & (ext != "")).then(ext).otherwise(pl.col("id").cast(pl.Utf8))


def trips_in_window(
    park_leads: pl.DataFrame, truth: pl.DataFrame, summary: pl.DataFrame
) -> pl.DataFrame:
    """lead_id, lead_date, true_driver_id, trips_14d of the true driver in the lead's window."""
    leads = park_leads.select(
        lead_id=_lead_id(park_leads),
        lead_date=pl.col("lead_created_at").str.slice(0, 10).str.to_date("%Y-%m-%d"),
    ).join(truth.select("lead_id", "true_driver_id"), on="lead_id", how="left")
    day = pl.coalesce(
        pl.col("date_file").str.to_date("%d-%m-%Y", strict=False),
        pl.col("date_file").str.to_date("%Y-%m-%d", strict=False),
    )
    activity = summary.select("driver_id", day=day, n=pl.col("count_orders_completed"))
    window = (pl.col("day") >= pl.col("lead_date")) & (
        pl.col("day") < pl.col("lead_date") + pl.duration(days=WINDOW_DAYS)
    )
    trips = (
        leads.join(activity, left_on="true_driver_id", right_on="driver_id")
        .filter(window)
        .group_by("lead_id")
        .agg(pl.col("n").sum().alias("trips_14d"))
    )
    return leads.join(trips, on="lead_id", how="left").with_columns(
        pl.col("trips_14d").fill_null(0).cast(pl.Int64)
    )


def _payee(rng: np.random.Generator, people: pl.DataFrame) -> pl.Expr:
    """The payee as the report writes it, from first_name / middle_name / last_name."""
    n = people.height
    u = {k: pl.lit(pl.Series(rng.random(n))) for k in ("order", "mid", "s2", "acc", "case")}
    given = (
        pl.when(u["mid"] < 0.4)
        .then(pl.col("first_name"))
        .otherwise(join_words(pl.col("first_name"), pl.col("middle_name").fill_null("")))
    )
    words = pl.col("last_name").fill_null("").str.split(" ")
    short_last = pl.when((u["s2"] < 0.15) & (words.list.len() > 1)).then(words.list.first())
    last = short_last.otherwise(pl.col("last_name").fill_null(""))
    full = (
        pl.when(u["order"] < 0.5).then(join_words(last, given)).otherwise(join_words(given, last))
    )
    plain = pl.when(u["acc"] < 0.5).then(strip_accents(full)).otherwise(full)
    return mixed_case(plain, u["case"])


def payment_report(
    cabinet_leads: pl.DataFrame,
    drivers: pl.DataFrame,
    summary_daily: pl.DataFrame,
    truth: pl.DataFrame,
) -> dict[str, pl.DataFrame]:
    """-> the report and its two truth files, by file name."""
    rng = np.random.default_rng(_seed(cabinet_leads.select(lead_id=_lead_id(cabinet_leads))))
    leads = trips_in_window(cabinet_leads, truth, summary_daily)
    anchor = leads["lead_date"].max()
    claims = _true_claims(rng, leads, anchor)  # type: ignore[arg-type]
    paid = claims.filter(pl.col("paid"))
    named = paid.join(
        drivers.select("driver_id", "first_name", "middle_name", "last_name"),
        left_on="true_driver_id", right_on="driver_id",
    )  # fmt: skip
    named = named.with_columns(driver=_payee(rng, named)).select(
        "lead_id", "milestone", "date", "driver"
    )
    strangers = _strangers(rng, max(int(named.height * NO_LEAD_SHARE), 1), anchor)  # type: ignore[arg-type]
    report = _numbered(rng, pl.concat([named, strangers], how="diagonal"))
    truth_payments = report.select(payment_id="id", lead_id="lead_id", milestone="milestone")
    ids = truth_payments.filter(pl.col("lead_id").is_not_null())
    claims = (
        claims.join(
            ids.rename({"payment_id": "payment_id_"}), on=["lead_id", "milestone"], how="left"
        )
        .with_columns(payment_id=pl.col("payment_id_"))
        .drop("payment_id_", "date")
    )
    return {
        "module_ct_cabinet_payments.csv": _as_report(rng, report),
        "truth_payments.csv": truth_payments,
        "truth_claims.csv": claims.select(
            "lead_id", "milestone", "true_driver_id", "trips_14d", "reached", "paid",
            "payment_id", "status",
        ),
    }  # fmt: skip


def _true_claims(rng: np.random.Generator, leads: pl.DataFrame, anchor: dt.date) -> pl.DataFrame:
    """Every lead x milestone: reached (true driver's trips), paid (and when), status."""
    ms = pl.DataFrame({"milestone": list(MILESTONES)}, schema={"milestone": pl.Int64})
    df = leads.join(ms, how="cross").sort("lead_id", "milestone")
    n = df.height
    delay = rng.integers(PAY_DELAY_DAYS[0], PAY_DELAY_DAYS[1] + 1, n)
    u = pl.Series(rng.random(n))
    has_driver = pl.col("true_driver_id").is_not_null()
    reached = has_driver & (pl.col("trips_14d") >= pl.col("milestone"))
    days = pl.lit(pl.Series(delay + WINDOW_DAYS))
    date = pl.col("lead_date") + pl.duration(days=days)
    chance = (
        pl.when(reached).then(PAID_SHARE).when(has_driver).then(WRONGLY_PAID_SHARE).otherwise(0.0)
    )
    df = df.with_columns(reached=reached, date=date).with_columns(
        paid=(pl.lit(u) < chance) & (pl.col("date") <= pl.lit(anchor))
    )
    status = (
        pl.when(pl.col("paid") & pl.col("reached")).then(pl.lit("paid"))
        .when(pl.col("paid")).then(pl.lit("paid_not_reached"))
        .when(pl.col("reached")).then(pl.lit("owed"))
        .otherwise(pl.lit("not_reached"))
    )  # fmt: skip
    return df.with_columns(status=status, payment_id=pl.lit(None, dtype=pl.Utf8))


def _strangers(rng: np.random.Generator, k: int, anchor: dt.date) -> pl.DataFrame:
    people = draw_people(rng, k).select(
        first_name="g1", middle_name="g2", last_name=join_words(pl.col("s1"), pl.col("s2"))
    )
    back = rng.integers(1, 120, k)
    return pl.DataFrame(
        {
            "lead_id": pl.Series([None] * k, dtype=pl.Utf8),
            "milestone": pl.Series(np.array(MILESTONES)[rng.integers(0, 3, k)], dtype=pl.Int64),
            "date": pl.Series([anchor - dt.timedelta(days=int(b)) for b in back], dtype=pl.Date),
        }
    ).with_columns(driver=people.select(_payee(rng, people).alias("driver"))["driver"])


def _numbered(rng: np.random.Generator, rows: pl.DataFrame) -> pl.DataFrame:
    """Report order is payment order; ids are sequential from 100001."""
    shuffled = (
        rows.with_columns(_u=pl.Series(rng.random(rows.height))).sort("date", "_u").drop("_u")
    )
    return shuffled.with_columns(id=pl.int_range(100_001, 100_001 + shuffled.height).cast(pl.Utf8))


def _as_report(rng: np.random.Generator, report: pl.DataFrame) -> pl.DataFrame:
    n = report.height
    secs = rng.integers(8 * 3600, 20 * 3600, n)
    at = pl.col("date").cast(pl.Datetime("us")) + pl.duration(seconds=pl.lit(pl.Series(secs)))
    flag = {f"trip_{m}": (pl.col("milestone") == m).cast(pl.Int8) for m in MILESTONES}
    return report.select(
        "id",
        date=pl.col("date").dt.strftime("%Y-%m-%d"),
        time=at.dt.strftime("%H:%M:%S"),
        scout_id=pl.lit("yango"),
        driver="driver",
        **flag,
        created_at=at.dt.strftime("%Y-%m-%d %H:%M:%S"),
        updated_at=at.dt.strftime("%Y-%m-%d %H:%M:%S"),
    ).select(PAYMENT_COLUMNS)
