"""The realistic mess: how leads differ from the driver accounts they became."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

CONFUSABLE = {"O": "0", "0": "O", "I": "1", "1": "I", "B": "8", "8": "B", "S": "5", "5": "S"}


def case_variants(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Mixed spelling: as is, UPPER or lower."""
    pick = rng.random(len(values))
    upper = np.char.upper(values.astype(str))
    lower = np.char.lower(values.astype(str))
    return np.where(pick < 0.5, values, np.where(pick < 0.85, upper, lower))


def _typo(rng: np.random.Generator, word: str) -> str:
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = rng.integers(0, 3)
    if kind == 0:  # drop a letter
        return word[:i] + word[i + 1 :]
    if kind == 1:  # swap two letters
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + "aeiou"[int(rng.integers(0, 5))] + word[i + 1 :]


def lead_names(
    rng: np.random.Generator, p: dict[str, np.ndarray], case: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    first = p["g1"].copy()
    middle = p["g2"].copy()
    last = np.char.add(np.char.add(p["s1"], " "), p["s2"])
    variant = np.flatnonzero(case == "name_variant")
    kinds = rng.integers(0, 4, len(variant))
    for i, k in zip(variant, kinds, strict=True):
        if k == 0:  # surnames first, given names last (form filled in the wrong order)
            first[i], last[i] = f"{p['s1'][i]} {p['s2'][i]}", f"{p['g1'][i]} {p['g2'][i]}".strip()
            middle[i] = ""
        elif k == 1:  # second surname missing
            last[i] = p["s1"][i]
        elif k == 2:  # a typo in one token
            last[i] = f"{_typo(rng, p['s1'][i])} {p['s2'][i]}"
        else:  # middle name dropped and given name typo
            middle[i] = ""
            first[i] = _typo(rng, p["g1"][i])
    # leads sometimes miss the second surname or the middle name anyway
    drop_s2 = (rng.random(len(first)) < 0.12) & (case != "name_variant")
    last = np.where(drop_s2, p["s1"], last)
    drop_mid = rng.random(len(first)) < 0.3
    middle = np.where(drop_mid, "", middle)
    return case_variants(rng, first), case_variants(rng, middle), case_variants(rng, last)


def lead_plates(rng: np.random.Generator, plate: np.ndarray, case: np.ndarray) -> np.ndarray:
    out = plate.astype(object).copy()
    for i in np.flatnonzero(case == "plate_confusable"):
        chars = list(out[i])
        spots = [j for j, c in enumerate(chars) if c in CONFUSABLE]
        if not spots:  # give the car a confusable character so the case means what it says
            chars[-1] = "5"
            plate[i] = "".join(chars)
            spots = [len(chars) - 1]
        j = spots[int(rng.integers(0, len(spots)))]
        chars[j] = CONFUSABLE[chars[j]]
        out[i] = "".join(chars)
    changed = np.flatnonzero(case == "car_changed")
    if len(changed):
        from idgap.synth.park import _plates

        out[changed] = _plates(rng, len(changed))
    spelling = rng.integers(0, 4, len(out))
    res = []
    for s, k in zip(out, spelling, strict=True):
        if k == 1:
            s = s.replace("-", "")
        elif k == 2:
            s = s.replace("-", " ").lower()
        elif k == 3:
            s = s.replace("-", " ")
        res.append(s)
    return np.array(res, dtype=object)


def phone_formats(rng: np.random.Generator, phone: np.ndarray) -> np.ndarray:
    k = rng.integers(0, 4, len(phone))
    p = phone.astype(str)
    spaced = np.array([f"+51 {x[:3]} {x[3:6]} {x[6:]}" for x in p])
    dashed = np.array([f"{x[:3]}-{x[3:6]}-{x[6:]}" for x in p])
    return np.where(
        k == 0, p, np.where(k == 1, spaced, np.where(k == 2, np.char.add("51", p), dashed))
    )


def lead_phones(rng: np.random.Generator, phone: np.ndarray, case: np.ndarray) -> np.ndarray:
    present = (case == "phone_match") | (rng.random(len(phone)) < 0.04)
    present &= ~np.isin(case, ["other_park_only", "never_converted"]) | (
        rng.random(len(phone)) < 0.3
    )
    return np.where(present, phone_formats(rng, phone), "")


def driver_rows(
    rng: np.random.Generator,
    p: dict[str, np.ndarray],
    ids: np.ndarray,
    plate: np.ndarray,
    phone: np.ndarray,
    license_: np.ndarray,
    model: np.ndarray,
    hire: np.ndarray,
    park: str,
    keep: np.ndarray,
    parks: np.ndarray | None = None,
) -> pl.DataFrame:
    n = len(ids)
    middle = p["g2"]
    brand_model = pl.Series(model.astype(str)).str.split_exact(" ", 1).struct.unnest()
    df = pl.DataFrame(
        {
            "driver_id": ids,
            "park_id": parks if parks is not None else np.full(n, park),
            "phone": np.where(rng.random(n) < 0.92, phone_formats(rng, phone), ""),
            "license_number": license_,
            "license_normalized_number": np.where(rng.random(n) < 0.5, license_, ""),
            "first_name": p["g1"],
            "middle_name": middle,
            "last_name": np.char.add(np.char.add(p["s1"], " "), p["s2"]),
            "car_number": plate,
            "car_normalized_number": np.where(
                rng.random(n) < 0.6, np.char.replace(plate.astype(str), "-", ""), ""
            ),
            "car_brand": brand_model["field_0"],
            "car_model": brand_model["field_1"],
            "hire_date": hire.astype(str),
            "created_at": np.char.add(hire.astype(str), " 09:00:00"),
            "rating": np.round(rng.uniform(4.2, 5.0, n), 2),
            "work_status": np.where(rng.random(n) < 0.8, "working", "fired"),
        }
    ).with_columns(
        full_name=pl.concat_str(
            [pl.col("first_name"), pl.col("middle_name"), pl.col("last_name")], separator=" "
        ).str.replace_all(r"\s+", " ")
    )
    return df.filter(pl.Series(keep)).select(
        "driver_id",
        "park_id",
        "phone",
        "license_number",
        "license_normalized_number",
        "full_name",
        "first_name",
        "middle_name",
        "last_name",
        "car_number",
        "car_normalized_number",
        "car_brand",
        "car_model",
        "hire_date",
        "created_at",
        "rating",
        "work_status",
    )


def extra_accounts(
    rng: np.random.Generator,
    p: dict[str, np.ndarray],
    plate: np.ndarray,
    phone: np.ndarray,
    license_: np.ndarray,
    model: np.ndarray,
    hire: np.ndarray,
    case: np.ndarray,
    park: str,
    other_parks: np.ndarray,
) -> pl.DataFrame:
    """Accounts that make matching hard: other-park twins, family cars, namesakes."""
    from idgap.synth.park import _hex_ids, _people, _phones, _plates

    n = len(case)
    frames = []
    # the person's only account is in another park
    m = case == "other_park_only"
    # phones shared across parks: some converted persons also hold an account elsewhere
    m2 = (case == "plate_in_window") & (rng.random(n) < 0.08)
    for mask in (m, m2):
        k = int(mask.sum())
        if k:
            sub = {key: v[mask] for key, v in p.items()}
            parks = other_parks[rng.integers(0, len(other_parks), k)]
            frames.append(
                driver_rows(
                    rng,
                    sub,
                    _hex_ids(rng, k),
                    plate[mask],
                    phone[mask],
                    license_[mask],
                    model[mask],
                    hire[mask],
                    park,
                    np.ones(k, bool),
                    parks=parks,
                )
            )
    # a family member drives the same car in the target park (same surnames, other given name)
    f = case == "shared_family_car"
    k = int(f.sum())
    if k:
        fam = _people(rng, k)
        fam["s1"], fam["s2"] = p["s1"][f], p["s2"][f]
        frames.append(
            driver_rows(
                rng,
                fam,
                _hex_ids(rng, k),
                plate[f],
                _phones(rng, k),
                license_[f][::-1],
                model[f],
                hire[f],
                park,
                np.ones(k, bool),
            )
        )
    # namesakes: same full name, different person, car and phone
    ns = rng.random(n) < 0.10
    k = int(ns.sum())
    if k:
        sub = {key: v[ns] for key, v in p.items()}
        frames.append(
            driver_rows(
                rng,
                sub,
                _hex_ids(rng, k),
                _plates(rng, k),
                _phones(rng, k),
                license_[ns][::-1],
                model[ns],
                hire[ns],
                park,
                np.ones(k, bool),
            )
        )
    return pl.concat(frames) if frames else pl.DataFrame()


def trips(
    rng: np.random.Generator,
    driver_ids: np.ndarray,
    lead_dates: np.ndarray,
    other_ids: np.ndarray,
    anchor: dt.date,
) -> pl.DataFrame:
    """Daily rows from the lead date on; 14-day totals spread over 0, 1-4, 5-24 and 25+."""
    n = len(driver_ids)
    intensity = rng.choice([0.0, 0.3, 1.2, 3.0], n, p=[0.25, 0.2, 0.3, 0.25])
    days = 15
    ids = np.repeat(driver_ids, days)
    start = np.repeat(lead_dates, days) + np.tile(np.arange(days), n).astype("timedelta64[D]")
    count = rng.poisson(np.repeat(intensity, days))
    sample = other_ids[rng.integers(0, max(len(other_ids), 1), min(3000, len(other_ids)))]
    o_ids = np.repeat(sample, 5)
    o_dates = np.datetime64(anchor) - rng.integers(0, 30, len(o_ids)).astype("timedelta64[D]")
    all_ids = np.concatenate([ids, o_ids])
    all_dates = np.concatenate([start, o_dates]).astype("datetime64[D]")
    all_counts = np.concatenate([count, rng.poisson(4, len(o_ids))])
    df = pl.DataFrame({"driver_id": all_ids, "d": all_dates, "count_orders_completed": all_counts})
    df = df.filter((pl.col("count_orders_completed") > 0) & (pl.col("d") <= anchor))
    df = df.unique(["driver_id", "d"], keep="first", maintain_order=True)
    iso = rng.random(df.height) < 0.15
    return df.with_columns(
        date_file=pl.when(pl.Series(iso))
        .then(pl.col("d").dt.strftime("%Y-%m-%d"))
        .otherwise(pl.col("d").dt.strftime("%d-%m-%Y")),
        sum_work_time_seconds=pl.col("count_orders_completed") * 1500
        + pl.Series(rng.integers(0, 3600, df.height)),
    ).select("driver_id", "date_file", "count_orders_completed", "sum_work_time_seconds")


def scouting(rng, p, phone, license_, lead_date, has_target) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    idx = np.flatnonzero(has_target & (rng.random(len(phone)) < 0.05))
    k = len(idx)
    reg = (lead_date[idx] + rng.integers(-3, 4, k).astype("timedelta64[D]")).astype(str)
    return pl.DataFrame(
        {
            "id": np.arange(1, k + 1),
            "scout_id": rng.integers(100, 140, k).astype(str),
            "driver_phone": phone_formats(rng, phone[idx]),
            "driver_license": license_[idx],
            "driver_name": np.char.add(
                np.char.add(np.char.add(p["g1"][idx], " "), p["s1"][idx]),
                np.char.add(" ", p["s2"][idx]),
            ),
            "registration_date": reg,
            "acquisition_method": rng.choice(["calle", "referido", "redes"], k),
            "created_at": np.char.add(reg, " 10:00:00"),
            "updated_at": np.char.add(reg, " 10:00:00"),
        }
    )


def migrations(rng: np.random.Generator, target_drivers: pl.DataFrame) -> pl.DataFrame:
    k = min(300, target_drivers.height // 50)
    pick = target_drivers.sample(n=k, seed=int(rng.integers(0, 2**31)))
    return pl.DataFrame(
        {
            "id": np.arange(1, k + 1),
            "driver_id": pick["driver_id"],
            "driver_name": pick["full_name"],
            "scout_id": rng.integers(100, 140, k).astype(str),
            "scout_name": rng.choice(["Luis Salas", "Ana Ccori", "Pedro Tello"], k),
            "hire_date": pick["hire_date"],
            "created_at": pick["created_at"],
            "updated_at": pick["created_at"],
        }
    )
