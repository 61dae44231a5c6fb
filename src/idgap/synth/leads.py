"""Cabinet lead rows: the person as the lead form recorded them, with the noise of each case."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from idgap.synth import codes
from idgap.synth.names import join_words, mixed_case, strip_accents, typo

LEAD_COLUMNS = (
    "id", "external_id", "lead_created_at", "park_phone", "first_name", "middle_name",
    "last_name", "asset_plate_number", "asset_model", "asset_color", "activation_city",
    "park_name", "status", "created_at",
)  # fmt: skip
COLORS = ("Blanco", "Negro", "Plata", "Gris", "Rojo", "Azul", "Plomo")


def _uniform(rng: np.random.Generator, n: int, names: str) -> dict[str, np.ndarray]:
    return {name: rng.random(n) for name in names.split()}


def _names(case: pl.Expr) -> list[pl.Expr]:
    """first/middle/last as typed on the lead form (`u*` columns are per-lead draws)."""
    g1, g2, s1, s2 = pl.col("g1"), pl.col("g2"), pl.col("s1"), pl.col("s2")
    variant = case == "name_variant"
    kind = (pl.col("u_kind") * 5).floor()
    typo_kind = (pl.col("u_typo") * 3).floor()
    reordered = variant & (kind == 0)
    no_s2 = (variant & (kind == 1)) | (~variant & (pl.col("u_s2") < 0.08))
    typo_s1 = variant & (kind == 2) & (pl.col("u_pos") < 0.6)
    typo_g1 = variant & (kind == 2) & (pl.col("u_pos") >= 0.6)
    # the middle name is only dropped when the person has one; else the second surname goes
    drop_mid = variant & (kind == 3) & (g2 != "")
    no_s2 = no_s2 | (variant & (kind == 3) & (g2 == ""))
    extra_mid = variant & (kind == 4)

    first = pl.when(typo_g1).then(typo(g1, pl.col("u_pos2"), typo_kind)).otherwise(g1)
    sur1 = pl.when(typo_s1).then(typo(s1, pl.col("u_pos2"), typo_kind)).otherwise(s1)
    last = pl.when(no_s2).then(sur1).otherwise(join_words(sur1, s2))
    casual_mid = pl.when(~variant & (pl.col("u_mid") < 0.45)).then(pl.lit("")).otherwise(g2)
    middle = (
        pl.when(drop_mid)
        .then(pl.lit(""))
        .when(extra_mid)
        .then(join_words(g2, pl.col("extra_given")))
        .otherwise(casual_mid)
    )
    # surnames typed into the first-name box and given names into the last-name box
    out_first = pl.when(reordered).then(last).otherwise(first)
    out_middle = pl.when(reordered).then(pl.lit("")).otherwise(middle)
    out_last = pl.when(reordered).then(join_words(first, middle)).otherwise(last)

    def typed(e: pl.Expr) -> pl.Expr:
        e = pl.when(pl.col("u_accent") < 0.35).then(strip_accents(e)).otherwise(e)
        return mixed_case(e, pl.col("u_case"))

    return [
        typed(out_first).alias("first_name"),
        typed(out_middle).alias("middle_name"),
        typed(out_last).alias("last_name"),
    ]


def lead_rows(
    rng: np.random.Generator, persons: pl.DataFrame, extra_given: np.ndarray, anchor: dt.date
) -> pl.DataFrame:
    """One lead per person row (`k`), with columns of REF §1.1, sorted so `id` follows time.

    `persons` carries the lead's case, age, person (g1 g2 s1 s2), its phone and the plate the
    lead recorded (`lead_plate`).
    """
    n = persons.height
    draws = _uniform(
        rng,
        n,
        "u_kind u_typo u_s2 u_pos u_pos2 u_mid u_accent u_case u_phone u_fmt u_plate u_model",
    )
    secs = rng.integers(7 * 3600, 23 * 3600, n)
    upload_delay = rng.integers(60, 36 * 3600, n)
    case = pl.col("case")
    phone_present = (
        (case == "phone_match")
        | ((case == "other_park_only") & (pl.col("u_phone") < 0.35))
        | (pl.col("u_phone") < 0.04)
    )
    model = (
        pl.when(pl.col("u_model") < 0.6)
        .then(pl.col("model"))
        .otherwise(join_words(pl.col("brand"), pl.col("model")))
    )
    anchor_end = dt.datetime.combine(anchor, dt.time(23, 59, 59))
    created = (
        pl.lit(anchor).cast(pl.Datetime("us"))
        - pl.duration(days=pl.col("age"))
        + pl.duration(seconds=pl.lit(pl.Series(secs)))
    )
    external = codes.hex_ids(rng, n)
    frame = persons.with_columns(
        **{k: pl.Series(v) for k, v in draws.items()},
        extra_given=pl.Series(extra_given),
        external_id=pl.when(pl.Series(rng.random(n)) < 0.05).then(pl.lit("")).otherwise(external),
        asset_color=pl.Series(np.array(COLORS)[rng.integers(0, len(COLORS), n)]),
        status=pl.Series(np.where(rng.random(n) < 0.8, "active", "new")),
        ts=created,
    )
    return (
        frame.with_columns(
            *_names(case),
            park_phone=pl.when(phone_present)
            .then(codes.spell_phone(pl.col("phone"), pl.col("u_fmt"), driver=False))
            .otherwise(pl.lit("")),
            asset_plate_number=codes.spell_plate(pl.col("lead_plate"), pl.col("u_plate")),
            asset_model=mixed_case(model, pl.col("u_case")),
            activation_city=pl.lit("Lima"),
            park_name=pl.lit("YEGO"),
            created_ts=pl.min_horizontal(
                pl.col("ts") + pl.duration(seconds=pl.lit(pl.Series(upload_delay))),
                pl.lit(anchor_end),
            ),
        )
        .sort("ts", "k")
        .with_columns(
            id=pl.int_range(1, n + 1, dtype=pl.Int64),
            lead_created_at=pl.col("ts").dt.strftime("%Y-%m-%d %H:%M:%S"),
            created_at=pl.col("created_ts").dt.strftime("%Y-%m-%d %H:%M:%S"),
        )
        .with_columns(
            lead_id=pl.when(pl.col("external_id") != "")
            .then(pl.col("external_id"))
            .otherwise(pl.col("id").cast(pl.String))
        )
    )
