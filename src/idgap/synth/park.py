"""Generate a synthetic park shaped like REF §1 and §10.1, with ground truth per lead.

Vectorised with numpy + Polars: 100,000 leads x 1,000,000 drivers in well under a minute.
Deterministic for a given (seed, anchor_date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from idgap.synth import noise
from idgap.synth.pools import GIVEN, MODELS, SURNAMES, zipf_weights

YEGO = "08e20910d81d42658d4334d3f6d10ac0"

# case -> share of leads (SPEC §4.2 / REF §10.1 shapes)
CASES: dict[str, float] = {
    "phone_match": 0.10,
    "plate_in_window": 0.40,
    "plate_outside_window": 0.10,
    "name_variant": 0.10,
    "plate_confusable": 0.04,
    "car_changed": 0.03,
    "two_leads_same_driver": 0.03,
    "shared_family_car": 0.03,
    "other_park_only": 0.03,
    "never_converted": 0.14,
}
NO_TARGET_DRIVER = {"other_park_only", "never_converted"}


@dataclass(frozen=True)
class SyntheticPark:
    cabinet_leads: pl.DataFrame
    drivers: pl.DataFrame
    summary_daily: pl.DataFrame
    scouting_daily: pl.DataFrame
    migrations: pl.DataFrame
    truth: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        return {
            "module_ct_cabinet_leads.csv": self.cabinet_leads,
            "drivers.csv": self.drivers,
            "summary_daily.csv": self.summary_daily,
            "module_ct_scouting_daily.csv": self.scouting_daily,
            "module_ct_migrations.csv": self.migrations,
            "truth_leads.csv": self.truth,
        }


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    given = np.array(GIVEN)
    surnames = np.array(SURNAMES)
    sw = zipf_weights(len(surnames), 1.0)
    gw = zipf_weights(len(given), 0.8)
    g1 = given[rng.choice(len(given), n, p=gw)]
    g2 = np.where(rng.random(n) < 0.45, given[rng.choice(len(given), n, p=gw)], "")
    s1 = surnames[rng.choice(len(surnames), n, p=sw)]
    s2 = surnames[rng.choice(len(surnames), n, p=sw)]
    return {"g1": g1, "g2": g2, "s1": s1, "s2": s2}


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 2**63, size=(n, 2), dtype=np.int64)
    return np.array([f"{a:016x}{b:016x}" for a, b in raw])


def _plates(rng: np.random.Generator, n: int) -> np.ndarray:
    letters = np.array(list("ABCDEFGHJKLMNPRTUVWXYZ"))
    alnum = np.array(list("ABCDEFGHJKLMNPRTUVWXYZ0123456789"))
    a = letters[rng.integers(0, len(letters), n)]
    b = alnum[rng.integers(0, len(alnum), n)]
    c = letters[rng.integers(0, len(letters), n)]
    num = rng.integers(100, 1000, n).astype(str)
    return np.char.add(np.char.add(np.char.add(np.char.add(a, b), c), "-"), num)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(900_000_000, 999_999_999, n).astype(str)


def _licenses(rng: np.random.Generator, n: int) -> np.ndarray:
    letters = np.array(list("ABCDEFGHKLMNPQRSTUVWXYZ"))
    return np.char.add(
        letters[rng.integers(0, len(letters), n)], rng.integers(10**7, 10**8, n).astype(str)
    )


def _dates(base: dt.date, offsets: np.ndarray) -> np.ndarray:
    return (np.datetime64(base) + offsets.astype("timedelta64[D]")).astype("datetime64[D]")


def generate_park(
    *, leads: int, drivers: int, seed: int, anchor_date: dt.date, target_park_id: str = YEGO
) -> SyntheticPark:
    rng = np.random.default_rng(seed)
    n = leads
    case = rng.choice(list(CASES), n, p=np.array(list(CASES.values())) / sum(CASES.values()))
    person = _people(rng, n)
    lead_age = np.floor(120 * rng.beta(1.2, 2.2, n)).astype(int)
    lead_date = _dates(anchor_date, -lead_age)

    # --- the lead's own driver account (target park unless the case says otherwise) --------
    plate = _plates(rng, n)
    phone = _phones(rng, n)
    license_ = _licenses(rng, n)
    model = np.array(MODELS)[rng.integers(0, len(MODELS), n)]
    hire_off = rng.integers(-10, 26, n)  # usually hired just after the lead
    outside = case == "plate_outside_window"
    far_before = rng.integers(-900, -120, n)
    far_after = rng.integers(40, 200, n)
    hire_off = np.where(outside, np.where(rng.random(n) < 0.7, far_before, far_after), hire_off)
    hire = _dates(anchor_date, np.minimum(-lead_age + hire_off, 0))
    lead_ids = np.where(rng.random(n) < 0.05, "", _hex_ids(rng, n))
    row_id = np.arange(1, n + 1)
    lead_key = np.where(lead_ids == "", row_id.astype(str), lead_ids)
    driver_ids = _hex_ids(rng, n)
    has_target = ~np.isin(case, list(NO_TARGET_DRIVER))

    # two leads, one driver: the second lead reuses an earlier converted lead's person
    dup = np.flatnonzero(case == "two_leads_same_driver")
    donors = np.flatnonzero(case == "plate_in_window")
    if len(dup) and len(donors):
        src = donors[rng.integers(0, len(donors), len(dup))]
        for k in ("g1", "g2", "s1", "s2"):
            person[k][dup] = person[k][src]
        plate[dup], phone[dup], model[dup] = plate[src], phone[src], model[src]
        driver_ids[dup] = driver_ids[src]
        lead_age[dup] = np.maximum(lead_age[src] - rng.integers(15, 60, len(dup)), 0)
        lead_date[dup] = _dates(anchor_date, -lead_age[dup])
        has_target[dup] = False  # account already emitted by the donor

    # --- lead rows, with the noise of each case ------------------------------------------
    lead_first, lead_middle, lead_last = noise.lead_names(rng, person, case)
    lead_plate = noise.lead_plates(rng, plate, case)
    lead_phone = noise.lead_phones(rng, phone, case)
    created = lead_date.astype("datetime64[s]") + rng.integers(6 * 3600, 22 * 3600, n).astype(
        "timedelta64[s]"
    )
    cabinet = pl.DataFrame(
        {
            "id": row_id,
            "external_id": lead_ids,
            "lead_created_at": created.astype(str),
            "park_phone": lead_phone,
            "first_name": lead_first,
            "middle_name": lead_middle,
            "last_name": lead_last,
            "asset_plate_number": lead_plate,
            "asset_model": noise.case_variants(rng, model),
            "asset_color": np.array(["Blanco", "Negro", "Plata", "Rojo", "Azul"])[
                rng.integers(0, 5, n)
            ],
            "park_name": "YEGO",
            "status": np.where(rng.random(n) < 0.8, "active", "new"),
        }
    ).with_columns(
        pl.col("lead_created_at").str.replace("T", " "),
        created_at=pl.col("lead_created_at").str.replace("T", " "),
    )

    truth = pl.DataFrame(
        {
            "lead_id": lead_key,
            "true_driver_id": np.where(np.isin(case, list(NO_TARGET_DRIVER)), "", driver_ids),
            "case": case,
        }
    )

    # --- driver accounts ------------------------------------------------------------------
    own = noise.driver_rows(
        rng, person, driver_ids, plate, phone, license_, model, hire, target_park_id, has_target
    )
    other_parks = _hex_ids(rng, 8)
    extras = noise.extra_accounts(
        rng, person, plate, phone, license_, model, hire, case, target_park_id, other_parks
    )
    n_fill = max(drivers - own.height - extras.height, 0)
    filler = _filler(rng, n_fill, anchor_date, target_park_id, other_parks)
    drivers_df = pl.concat([own, extras, filler], how="vertical").head(max(drivers, own.height))

    summary = noise.trips(
        rng,
        driver_ids[has_target | np.isin(case, ["two_leads_same_driver"])],
        lead_date[has_target | np.isin(case, ["two_leads_same_driver"])],
        filler["driver_id"].to_numpy(),
        anchor_date,
    )
    scouting = noise.scouting(rng, person, phone, license_, lead_date, has_target)
    migrations = noise.migrations(rng, filler.filter(pl.col("park_id") == target_park_id))
    return SyntheticPark(cabinet, drivers_df, summary, scouting, migrations, truth)


def _filler(
    rng: np.random.Generator, n: int, anchor: dt.date, park: str, other_parks: np.ndarray
) -> pl.DataFrame:
    people = _people(rng, n)
    in_target = rng.random(n) < 0.65
    parks = np.where(in_target, park, other_parks[rng.integers(0, len(other_parks), n)])
    hire = _dates(anchor, -rng.integers(0, 3 * 365, n))
    ids = _hex_ids(rng, n)
    return noise.driver_rows(
        rng,
        people,
        ids,
        _plates(rng, n),
        _phones(rng, n),
        _licenses(rng, n),
        np.array(MODELS)[rng.integers(0, len(MODELS), n)],
        hire,
        park,
        np.ones(n, bool),
        parks=parks,
    )


def write_park(park: SyntheticPark, out_dir: Path) -> dict[str, int]:
    """Write the five source CSVs plus truth_leads.csv; returns rows per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, frame in park.frames().items():
        frame.write_csv(out_dir / name)
        counts[name] = frame.height
    return counts
