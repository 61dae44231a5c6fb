"""Driver accounts (REF §1.3): one builder turns "who, where, which car" rows into the contract
columns, with the spelling mess of a real `drivers` table.

An *account spec* frame has: driver_id, park_id, g1, g2, s1, s2, plate (canonical), phone
(digits), license (canonical), brand, model, hire_rel (days relative to the anchor, <= 0) and
phone_kept (bool).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from idgap.synth import codes
from idgap.synth.names import MODELS, draw_people, join_words, strip_accents

DRIVER_COLUMNS = (
    "driver_id", "park_id", "phone", "license_number", "license_normalized_number", "full_name",
    "first_name", "middle_name", "last_name", "car_number", "car_normalized_number", "car_brand",
    "car_model", "car_color", "hire_date", "created_at", "rating", "work_status",
)  # fmt: skip
SPEC_COLUMNS = (
    "driver_id", "park_id", "g1", "g2", "s1", "s2", "plate", "phone", "license", "brand",
    "model", "hire_rel", "phone_kept",
)  # fmt: skip
_COLORS = np.array(["Blanco", "Negro", "Plata", "Gris", "Rojo", "Azul", "Plomo"])


def draw_models(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    weights = np.array([w for _, _, w in MODELS], dtype=float)
    pick = rng.choice(len(MODELS), n, p=weights / weights.sum())
    return np.array([b for b, _, _ in MODELS])[pick], np.array([m for _, m, _ in MODELS])[pick]


def random_specs(
    rng: np.random.Generator,
    n: int,
    *,
    parks: np.ndarray,
    pool: codes.CodePool,
    max_age_days: int = 3 * 365,
) -> pl.DataFrame:
    """n unrelated people with their own car, phone and licence, hired in the last 3 years."""
    brand, model = draw_models(rng, n)
    return draw_people(rng, n).select(
        driver_id=codes.hex_ids(rng, n),
        park_id=pl.Series(parks, dtype=pl.String),
        g1="g1",
        g2="g2",
        s1="s1",
        s2="s2",
        plate=pool.plates(n),
        phone=pool.phones(n),
        license=pool.licenses(n),
        brand=pl.Series(brand),
        model=pl.Series(model),
        hire_rel=pl.Series(-rng.integers(0, max_age_days, n)),
        phone_kept=pl.Series(rng.random(n) < 0.9),
    )


def driver_rows(rng: np.random.Generator, specs: pl.DataFrame, anchor: dt.date) -> pl.DataFrame:
    """Account specs -> `drivers.csv` rows (names in Yango or form order, mixed case)."""
    n = specs.height
    u = {
        k: pl.lit(pl.Series(rng.random(n)))
        for k in ("case", "order", "s2", "plate", "norm", "lic", "ph")
    }
    u["licn"] = pl.lit(pl.Series(rng.random(n)))
    secs = pl.lit(pl.Series(rng.integers(8 * 3600, 20 * 3600, n)))

    def cased(e: pl.Expr) -> pl.Expr:
        return (
            pl.when(u["case"] < 0.75)
            .then(e)
            .when(u["case"] < 0.95)
            .then(e.str.to_uppercase())
            .otherwise(strip_accents(e).str.to_uppercase())
        )

    last = (
        pl.when(u["s2"] < 0.05).then(pl.col("s1")).otherwise(join_words(pl.col("s1"), pl.col("s2")))
    )
    given = join_words(pl.col("g1"), pl.col("g2"))
    full = (
        pl.when(u["order"] < 0.5).then(join_words(last, given)).otherwise(join_words(given, last))
    )
    hired = pl.lit(anchor).cast(pl.Datetime("us")) + pl.duration(days=pl.col("hire_rel"))
    return specs.select(
        "driver_id",
        "park_id",
        phone=pl.when(pl.col("phone_kept"))
        .then(codes.spell_phone(pl.col("phone"), u["ph"], driver=True))
        .otherwise(pl.lit("")),
        license_number=codes.spell_license(pl.col("license"), u["lic"]),
        license_normalized_number=pl.when(u["licn"] < 0.5).then("license").otherwise(pl.lit("")),
        full_name=cased(full),
        first_name=cased(pl.col("g1")),
        middle_name=cased(pl.col("g2")),
        last_name=cased(last),
        car_number=codes.spell_plate(pl.col("plate"), u["plate"]),
        car_normalized_number=pl.when(u["norm"] < 0.6).then("plate").otherwise(pl.lit("")),
        car_brand="brand",
        car_model="model",
        car_color=pl.Series(_COLORS[rng.integers(0, len(_COLORS), n)]),
        hire_date=hired.dt.strftime("%Y-%m-%d"),
        created_at=(hired + pl.duration(seconds=secs)).dt.strftime("%Y-%m-%d %H:%M:%S"),
        rating=pl.Series(np.round(rng.uniform(4.3, 5.0, n), 2)),
        work_status=pl.Series(
            np.array(["working", "not_working", "fired"])[rng.choice(3, n, p=[0.7, 0.2, 0.1])]
        ),
    )
