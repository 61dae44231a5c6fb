"""Generate a synthetic park shaped like REF §1 and §10.1, with the ground truth of every lead.

Vectorised (numpy Generator + Polars), deterministic per (seed, anchor_date): the same seed
gives the same park, shifted in time with the anchor date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from idgap.synth import activity, codes
from idgap.synth.cases import (
    CASES,
    NO_TARGET_DRIVER,
    assign_cases,
    hire_offsets,
    lead_ages,
    pick_donors,
    second_lead_ages,
)
from idgap.synth.drivers import SPEC_COLUMNS, draw_models, driver_rows, random_specs
from idgap.synth.leads import LEAD_COLUMNS, lead_rows
from idgap.synth.names import draw_people, other_given

YEGO = "08e20910d81d42658d4334d3f6d10ac0"
TARGET_SHARE = 0.65  # of unrelated drivers in the target park
MULTI_PARK_SHARE = 0.04  # unrelated people who also hold an account in a second park
NAMESAKE_SHARE = 0.08  # lead persons with a same-named stranger in the index
# never-converted leads whose car is driven in the target park by someone else (sold, rented):
# the plate hits, the name does not (REF §3.6 WEAK_MATCH_ONLY)
SOLD_CAR_SHARE = 0.25
__all__ = ["CASES", "NO_TARGET_DRIVER", "YEGO", "SyntheticPark", "generate_park", "write_park"]


@dataclass(frozen=True)
class SyntheticPark:
    cabinet_leads: pl.DataFrame
    drivers: pl.DataFrame
    summary_daily: pl.DataFrame
    scouting_daily: pl.DataFrame
    migrations: pl.DataFrame
    truth: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        """File name -> frame, as `write_park` writes them."""
        return {
            "module_ct_cabinet_leads.csv": self.cabinet_leads,
            "drivers.csv": self.drivers,
            "summary_daily.csv": self.summary_daily,
            "module_ct_scouting_daily.csv": self.scouting_daily,
            "module_ct_migrations.csv": self.migrations,
            "truth_leads.csv": self.truth,
        }


def generate_park(
    *,
    leads: int,
    drivers: int,
    seed: int,
    anchor_date: dt.date,
    target_park_id: str = YEGO,
    variant: str = "default",
    flag_error_share: float | None = None,
) -> SyntheticPark:
    """`leads` cabinet leads and about `drivers` driver accounts (exactly, unless the leads'
    own accounts alone need more), with activity, scouting, migrations and the truth.

    `variant` "hard" or "holdout" uses that noise model (synth.variants), whose leads also carry
    Yango's activity flags, `flag_error_share` of them stale or wrong (default 10 %); the
    default park stays exactly what it always was for a seed.
    """
    if variant != "default":
        return _variant_park(leads, drivers, seed, anchor_date, target_park_id, variant,
                             flag_error_share)  # fmt: skip
    if flag_error_share is not None:
        raise ValueError("flag errors need a variant with activity flags (hard or holdout)")
    rng = np.random.default_rng(seed)
    pool = codes.CodePool(rng, 2 * leads + drivers + 16)
    others = codes.hex_ids(rng, int(rng.integers(5, 11))).to_numpy()
    persons = _lead_persons(rng, leads, pool)
    extra_given = draw_people(rng, leads)["g1"].to_numpy()
    cabinet = lead_rows(rng, persons, extra_given, anchor_date)
    specs = _accounts(rng, persons, pool, drivers, target_park_id, others)
    specs = specs.gather(rng.permutation(specs.height))  # the truth is not the first rows
    drivers_df = driver_rows(rng, specs.select(SPEC_COLUMNS), anchor_date)
    roles = specs["role"]

    own = persons.filter(pl.col("has_account") & ~pl.col("second"))
    converted = own.select("driver_id", start_rel=pl.max_horizontal(-pl.col("age"), "hire_rel"))
    unrelated = drivers_df.filter((roles == "filler") & (pl.col("park_id") == target_park_id))
    summary = activity.summary_daily(rng, converted, unrelated["driver_id"], anchor_date)
    scout = activity.scouts(rng)
    u = pl.Series(rng.random(persons.height))
    scouted = persons.filter(
        ~pl.col("second")
        & (
            (pl.col("has_account") & (u < 0.05))
            | ((pl.col("case") == "never_converted") & (u < 0.02))
        )
    )
    truth = cabinet.select(
        "lead_id",
        true_driver_id=pl.when(pl.col("has_account")).then("driver_id"),
        case="case",
    )
    return SyntheticPark(
        cabinet_leads=cabinet.select(LEAD_COLUMNS),
        drivers=drivers_df,
        summary_daily=summary,
        scouting_daily=activity.scouting_daily(rng, scouted, scout, anchor_date),
        migrations=activity.migrations(rng, unrelated, scout),
        truth=truth,
    )


def _variant_park(
    leads: int,
    drivers: int,
    seed: int,
    anchor_date: dt.date,
    target_park_id: str,
    variant: str,
    flag_error_share: float | None,
) -> SyntheticPark:
    from idgap.synth.story import generate_variant_park
    from idgap.synth.variants import DEFAULT_FLAG_ERRORS, MODELS

    if variant not in MODELS:
        raise ValueError(f"unknown variant {variant!r}; choose default, {', '.join(MODELS)}")
    share = DEFAULT_FLAG_ERRORS if flag_error_share is None else flag_error_share
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"flag error share must be between 0 and 1, got {share}")
    return generate_variant_park(
        leads=leads,
        drivers=drivers,
        seed=seed,
        anchor_date=anchor_date,
        model=MODELS[variant],
        target_park_id=target_park_id,
        flag_error_share=share,
    )


def _lead_persons(rng: np.random.Generator, n: int, pool: codes.CodePool) -> pl.DataFrame:
    """One row per lead: its case, age (days before anchor) and the real person behind it."""
    case = assign_cases(rng, n)
    age = lead_ages(rng, n)
    brand, model = draw_models(rng, n)
    plate = pool.plates(n)
    real_plate, misread_plate = codes.confusable_pair(rng, plate)
    confusable = pl.Series(case == "plate_confusable")
    persons = draw_people(rng, n).with_columns(
        k=pl.int_range(0, n, dtype=pl.Int64),
        case=pl.Series(case),
        age=pl.Series(age),
        brand=pl.Series(brand),
        model=pl.Series(model),
        plate=pl.when(confusable).then(real_plate).otherwise(plate),
        misread_plate=misread_plate,
        new_car_plate=pool.plates(n),
        phone=pool.phones(n),
        license=pool.licenses(n),
        driver_id=codes.hex_ids(rng, n),
        hire_rel=pl.Series(hire_offsets(rng, case, age) - age),
    )
    # a second lead is the same person (and account) as an earlier lead, registered again
    donor = pick_donors(rng, case)
    second = donor >= 0
    source = np.where(second, donor, np.arange(n))
    shared = ["male", "g1", "g2", "s1", "s2", "brand", "model", "plate", "phone", "license"]
    persons = persons.with_columns(
        persons.select(*shared, "driver_id", "hire_rel")[source].get_columns()
    )
    ages = np.where(second, second_lead_ages(rng, age[np.maximum(donor, 0)]), age)
    new_car = (pl.col("case") == "car_changed") | (
        (pl.col("case") == "phone_match") & pl.Series(rng.random(n) < 0.25)
    )
    return persons.with_columns(
        age=pl.Series(ages),
        second=pl.Series(second),
        has_account=~pl.col("case").is_in(list(NO_TARGET_DRIVER)),
        lead_plate=pl.when(new_car)
        .then("new_car_plate")
        .when(pl.col("case") == "plate_confusable")
        .then("misread_plate")
        .otherwise("plate"),
    )


def _accounts(
    rng: np.random.Generator,
    persons: pl.DataFrame,
    pool: codes.CodePool,
    size: int,
    target: str,
    others: np.ndarray,
) -> pl.DataFrame:
    """Account specs (`role` + SPEC_COLUMNS): the leads' people, the traps, then the filler."""
    n = persons.filter(~pl.col("second")).height
    first = persons.filter(~pl.col("second")).with_columns(
        u=pl.Series(rng.random(n)),
        u_phone=pl.Series(rng.random(n)),
        u_car=pl.Series(rng.random(n)),
    )
    case, u = pl.col("case"), pl.col("u")

    def other_park(k: int) -> pl.Series:
        return pl.Series(others[rng.integers(0, len(others), k)])

    own = first.filter(pl.col("has_account")).with_columns(
        park_id=pl.lit(target), phone_kept=(case == "phone_match") | (pl.col("u_phone") < 0.9)
    )
    only_elsewhere = first.filter(case == "other_park_only")
    only_elsewhere = only_elsewhere.with_columns(
        park_id=other_park(only_elsewhere.height), phone_kept=pl.lit(True)
    )
    family = _family(rng, first.filter(case == "shared_family_car"), pool, target)
    twins = first.filter(
        ((case == "phone_match") & (u < 0.3)) | ((case == "plate_in_window") & (u < 0.08))
    )
    twins = twins.with_columns(
        driver_id=codes.hex_ids(rng, twins.height),
        park_id=other_park(twins.height),
        phone_kept=pl.lit(True),
        hire_rel=pl.col("hire_rel") - pl.Series(rng.integers(30, 700, twins.height)),
    )
    namesakes = _namesakes(rng, first.filter(u > 1 - NAMESAKE_SHARE), pool, target, others)
    sold = first.filter((case == "never_converted") & (pl.col("u_car") < SOLD_CAR_SHARE))
    strangers = _car_now_driven_by_a_stranger(rng, sold, pool, target)
    essential = [_spec(own, "own"), _spec(only_elsewhere, "other_park"), _spec(family, "family")]
    optional = pl.concat(
        [_spec(strangers, "stranger"), _spec(twins, "twin"), _spec(namesakes, "namesake")]
    )
    room = max(size - sum(f.height for f in essential), 0)
    optional = optional.head(room)
    filler = _filler(rng, room - optional.height, pool, target, others)
    return pl.concat([*essential, optional, filler])


def _spec(frame: pl.DataFrame, role: str) -> pl.DataFrame:
    return frame.select(pl.lit(role).alias("role"), *SPEC_COLUMNS)


def _family(
    rng: np.random.Generator, persons: pl.DataFrame, pool: codes.CodePool, target: str
) -> pl.DataFrame:
    """A relative drives the same car in the target park: same plate and surnames, other name."""
    k = persons.height
    return other_given(rng, persons).with_columns(
        driver_id=codes.hex_ids(rng, k),
        park_id=pl.lit(target),
        phone=pool.phones(k),
        license=pool.licenses(k),
        hire_rel=(pl.col("hire_rel") - pl.Series(rng.integers(30, 700, k))).clip(upper_bound=0),
        phone_kept=pl.Series(rng.random(k) < 0.9),
    )


def _car_now_driven_by_a_stranger(
    rng: np.random.Generator, persons: pl.DataFrame, pool: codes.CodePool, target: str
) -> pl.DataFrame:
    k = persons.height
    stranger = draw_people(rng, k)
    return persons.with_columns(
        stranger.select("g1", "g2", "s1", "s2").get_columns(),
        driver_id=codes.hex_ids(rng, k),
        park_id=pl.lit(target),
        phone=pool.phones(k),
        license=pool.licenses(k),
        hire_rel=pl.Series(-rng.integers(0, 3 * 365, k)),
        phone_kept=pl.Series(rng.random(k) < 0.9),
    )


def _namesakes(
    rng: np.random.Generator,
    persons: pl.DataFrame,
    pool: codes.CodePool,
    target: str,
    others: np.ndarray,
) -> pl.DataFrame:
    """Strangers with exactly the same name: another car, phone, licence, often another park."""
    k = persons.height
    brand, model = draw_models(rng, k)
    in_target = rng.random(k) < TARGET_SHARE
    return persons.with_columns(
        driver_id=codes.hex_ids(rng, k),
        park_id=pl.Series(np.where(in_target, target, others[rng.integers(0, len(others), k)])),
        plate=pool.plates(k),
        phone=pool.phones(k),
        license=pool.licenses(k),
        brand=pl.Series(brand),
        model=pl.Series(model),
        hire_rel=pl.Series(-rng.integers(0, 3 * 365, k)),
        phone_kept=pl.Series(rng.random(k) < 0.9),
    )


def _filler(
    rng: np.random.Generator, n: int, pool: codes.CodePool, target: str, others: np.ndarray
) -> pl.DataFrame:
    """Unrelated drivers; a few hold a second account in another park (same phone and car)."""
    copies = int(n * MULTI_PARK_SHARE)
    base = n - copies
    parks = np.concatenate([[target], others])
    weights = np.concatenate([[TARGET_SHARE], (1 - TARGET_SHARE) * _zipf(len(others))])
    park_ix = rng.choice(len(parks), base, p=weights)
    people = random_specs(rng, base, parks=parks[park_ix], pool=pool)
    pick = rng.choice(base, copies, replace=False) if copies else np.zeros(0, dtype=np.int64)
    moved = (park_ix[pick] + rng.integers(1, len(parks), copies)) % len(parks)
    second = people[pick].with_columns(
        driver_id=codes.hex_ids(rng, copies),
        park_id=pl.Series(parks[moved], dtype=pl.String),
        hire_rel=pl.Series(-rng.integers(0, 3 * 365, copies)),
    )
    return pl.concat([_spec(people, "filler"), _spec(second, "filler")])


def _zipf(n: int) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1)
    return w / w.sum()


def write_park(park: SyntheticPark, out_dir: Path) -> dict[str, int]:
    """Write the source CSVs (and Yango's payment report) plus their truth; rows per file."""
    from idgap.synth.payments import payment_report
    from idgap.synth.writer import write_frames

    report = payment_report(park.cabinet_leads, park.drivers, park.summary_daily, park.truth)
    return write_frames({**park.frames(), **report}, out_dir)
