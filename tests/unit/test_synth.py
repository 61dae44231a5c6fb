"""The synthetic park: deterministic per seed, a truth consistent with the tables, and the
realistic mess each truth case promises (REF §1, §10.1)."""

from __future__ import annotations

import csv
import datetime as dt

import polars as pl
import pytest

from idgap.synth import generate_park, write_park
from idgap.synth.cases import CASES, NO_TARGET_DRIVER
from idgap.synth.park import YEGO

DAY = dt.date(2026, 11, 25)
CONFUSED = {"0": "O", "1": "I", "5": "S", "8": "B", "B": "8", "S": "5"}
SPEC_HEADERS = {
    "module_ct_cabinet_leads.csv": [
        "id", "external_id", "lead_created_at", "park_phone", "first_name", "middle_name",
        "last_name", "asset_plate_number", "asset_model", "created_at",
    ],
    "drivers.csv": [
        "driver_id", "park_id", "phone", "license_number", "license_normalized_number",
        "full_name", "first_name", "middle_name", "last_name", "car_number",
        "car_normalized_number", "car_brand", "car_model", "hire_date", "created_at",
    ],
    "summary_daily.csv": [
        "driver_id", "date_file", "count_orders_completed", "sum_work_time_seconds",
    ],
    "module_ct_scouting_daily.csv": [
        "id", "scout_id", "driver_phone", "driver_license", "driver_name", "registration_date",
        "acquisition_method", "created_at", "updated_at",
    ],
    "module_ct_migrations.csv": [
        "id", "driver_id", "driver_name", "scout_id", "scout_name", "hire_date", "created_at",
        "updated_at",
    ],
}  # fmt: skip


def plate_norm(col: str) -> pl.Expr:
    return pl.col(col).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")


def phone_norm(col: str) -> pl.Expr:
    return pl.col(col).str.replace_all(r"\D", "").str.slice(-9)


@pytest.fixture(scope="module")
def park():
    return generate_park(leads=300, drivers=5000, seed=3, anchor_date=DAY)


@pytest.fixture(scope="module")
def big():
    """Enough leads for the proportions and the rarer cases."""
    return generate_park(leads=3000, drivers=8000, seed=11, anchor_date=DAY)


@pytest.fixture(scope="module")
def joined(big):
    """Every lead with its truth and, when it has one, its true driver's row (`_d` columns)."""
    leads = big.cabinet_leads.with_columns(
        lead_id=pl.when(pl.col("external_id") != "")
        .then("external_id")
        .otherwise(pl.col("id").cast(pl.String)),
        lead_date=pl.col("lead_created_at").str.to_datetime("%Y-%m-%d %H:%M:%S").dt.date(),
    )
    drivers = big.drivers.rename({c: f"{c}_d" for c in big.drivers.columns})
    return (
        leads.join(big.truth, on="lead_id")
        .join(drivers, left_on="true_driver_id", right_on="driver_id_d", how="left")
        .with_columns(
            hire_days=(pl.col("hire_date_d").str.to_date() - pl.col("lead_date")).dt.total_days()
        )
    )


def fold(col: str) -> pl.Expr:
    """Upper case without accents, to compare names spelled differently."""
    return pl.col(col).str.to_uppercase().str.replace_many(list("ÁÉÍÓÚÜÑ"), list("AEIOUUN"))


def of_case(joined: pl.DataFrame, case: str) -> pl.DataFrame:
    return joined.filter(pl.col("case") == case)


def test_same_seed_same_park_other_seed_other_park(park):
    again = generate_park(leads=300, drivers=5000, seed=3, anchor_date=DAY)
    for name, frame in park.frames().items():
        assert again.frames()[name].equals(frame), name
    other = generate_park(leads=300, drivers=5000, seed=4, anchor_date=DAY)
    assert not other.cabinet_leads.equals(park.cabinet_leads)
    assert not other.drivers.equals(park.drivers)


def test_sizes_ids_and_truth_are_consistent(park):
    assert park.cabinet_leads.height == 300 and park.drivers.height == 5000
    assert park.drivers["driver_id"].n_unique() == 5000
    assert park.cabinet_leads["id"].to_list() == list(range(1, 301))
    lead_ids = park.cabinet_leads.select(
        pl.when(pl.col("external_id") != "")
        .then("external_id")
        .otherwise(pl.col("id").cast(pl.String))
    ).to_series()
    assert park.truth["lead_id"].to_list() == lead_ids.to_list()
    assert park.truth.columns == ["lead_id", "true_driver_id", "case"]
    linked = park.truth.filter(pl.col("true_driver_id").is_not_null())
    target = park.drivers.filter(pl.col("park_id") == YEGO)["driver_id"]
    assert linked["true_driver_id"].is_in(target.implode()).all()
    no_driver = park.truth.filter(pl.col("case").is_in(list(NO_TARGET_DRIVER)))
    assert no_driver["true_driver_id"].null_count() == no_driver.height > 0


def test_lead_dates_spread_over_120_days_denser_recently(park):
    created = park.cabinet_leads["lead_created_at"].str.to_datetime("%Y-%m-%d %H:%M:%S")
    ages = (pl.lit(DAY) - created.dt.date()).dt.total_days()
    ages = park.cabinet_leads.select(ages).to_series()
    assert ages.min() >= 0 and ages.max() < 120
    recent, old = (ages < 14).sum(), (ages >= 106).sum()
    assert recent > 10 and recent > 2 * old
    assert (park.cabinet_leads["external_id"] == "").mean() == pytest.approx(0.05, abs=0.04)


def test_case_proportions_are_close_to_the_plan(big):
    shares = dict(big.truth["case"].value_counts(normalize=True).iter_rows())
    assert set(shares) == set(CASES)
    for case, share in CASES.items():
        assert shares[case] == pytest.approx(share, abs=0.03 + share * 0.25), case


def test_parks_target_share_and_several_other_parks(big):
    parks = big.drivers["park_id"].value_counts(normalize=True)
    target = parks.filter(pl.col("park_id") == YEGO)["proportion"].item()
    assert 0.6 < target < 0.75
    assert 5 <= parks.height - 1 <= 10
    assert big.drivers["park_id"].str.contains(r"^[0-9a-f]{32}$").all()


def test_hire_dates_relative_to_the_lead_per_case(joined):
    inside = of_case(joined, "plate_in_window")["hire_days"]
    assert inside.is_between(-90, 30).all()
    assert (inside < 0).any() and (inside > 0).any()  # hired before and after the lead
    outside = of_case(joined, "plate_outside_window")["hire_days"]
    assert (~outside.is_between(-90, 30)).all()
    assert (outside < -365).any() and (outside > 30).any()
    assert (joined["hire_date_d"].drop_nulls().str.to_date() <= DAY).all()


def test_phone_match_leads_carry_the_true_drivers_phone(joined):
    pm = of_case(joined, "phone_match").with_columns(
        a=phone_norm("park_phone"), b=phone_norm("phone_d")
    )
    assert (pm["a"] == pm["b"]).all()
    for shape in (r"^\d{9}$", r"^\+51 \d{3} \d{3} \d{3}$", r"^51\d{9}$", r"^\d{3}-\d{3}-\d{3}$"):
        assert pm["park_phone"].str.contains(shape).any(), shape


def test_leads_mostly_come_without_phone(big):
    assert (big.cabinet_leads["park_phone"] == "").mean() == pytest.approx(0.85, abs=0.05)
    assert (big.drivers["phone"] != "").mean() > 0.85


def test_confusable_plates_differ_by_one_lookalike(joined):
    rows = of_case(joined, "plate_confusable").select(
        lead=plate_norm("asset_plate_number"), drv=plate_norm("car_number_d")
    )
    assert rows.height > 50
    for lead, drv in rows.iter_rows():
        diff = [(a, b) for a, b in zip(drv, lead, strict=True) if a != b]
        assert len(diff) == 1 and CONFUSED[diff[0][0]] == diff[0][1], (lead, drv)


def test_plates_are_peruvian_and_spelled_many_ways(big):
    plates = big.drivers["car_number"]
    assert plates.str.contains(r"^[A-Za-z][A-Za-z0-9][A-Za-z][- ]?\d{3}$").all()
    shapes = set(plates.str.replace_all(r"[A-Z]", "A").str.replace_all(r"\d", "9").to_list())
    assert {"AAA-999", "A9A-999", "AAA999", "AAA 999"} <= shapes
    assert plates.str.contains(r"^[a-z]").any()


def test_name_noise_accents_and_namesakes(joined, big):
    drivers = " ".join(big.drivers["full_name"].to_list())
    assert "ñ" in drivers.lower() and any(c in drivers for c in "áéíóúÁÉÍÓÚ")
    assert {"Núñez", "Peña", "José", "María", "Ibáñez"} <= set(drivers.split())
    assert big.drivers["full_name"].str.contains(r"^[A-ZÁÉÍÓÚÑ ]+$").any()  # upper-case rows
    assert big.cabinet_leads["first_name"].str.contains(r"^[a-záéíóúñ]+$").any()  # lower-case
    variants = of_case(joined, "name_variant").with_columns(
        lead=pl.concat_str(
            ["first_name", "middle_name", "last_name"], separator=" "
        ).str.to_uppercase(),
    )
    # some variants start with the driver's last name (surnames typed first)
    first_surname = pl.col("last_name_d").str.to_uppercase().str.split(" ").list.first()
    assert (
        variants.filter(
            pl.col("first_name").str.to_uppercase().str.starts_with(first_surname)
        ).height
        > 0
    )
    namesakes = big.drivers.group_by(pl.col("full_name").str.to_uppercase()).agg(
        pl.col("car_number").n_unique().alias("cars")
    )
    assert (namesakes["cars"] > 1).sum() > 20


def test_shared_family_car_has_a_relative_with_same_plate_and_surnames(joined, big):
    family = of_case(joined, "shared_family_car")
    drivers = big.drivers.filter(pl.col("park_id") == YEGO).with_columns(
        plate=plate_norm("car_number")
    )
    pairs = family.with_columns(plate=plate_norm("car_number_d")).join(drivers, on="plate")
    relatives = pairs.filter(pl.col("driver_id") != pl.col("true_driver_id"))
    assert relatives["lead_id"].n_unique() == family.height > 0
    same_family = relatives.filter(
        (fold("last_name_right") == fold("last_name_d"))
        & (fold("first_name_right") != fold("first_name_d"))
    )
    assert same_family.height > 0.8 * family.height


def test_accounts_in_other_parks_share_the_phone(joined, big):
    phones = big.drivers.filter(pl.col("phone") != "").with_columns(p=phone_norm("phone"))
    by_phone = phones.group_by("p").agg(
        (pl.col("park_id") == YEGO).any().alias("in_target"),
        pl.col("park_id").n_unique().alias("parks"),
    )
    truth_phones = joined.filter(pl.col("case") == "phone_match").with_columns(
        p=phone_norm("phone_d")
    )
    shared = truth_phones.join(by_phone, on="p").filter(pl.col("parks") > 1)
    assert shared.height > 0 and shared["in_target"].all()
    elsewhere = of_case(joined, "other_park_only").filter(pl.col("park_phone") != "")
    hits = elsewhere.with_columns(p=phone_norm("park_phone")).join(by_phone, on="p")
    assert hits.height == elsewhere.height > 0 and not hits["in_target"].any()


def test_car_changed_and_two_leads_same_driver(joined, big):
    plates = big.drivers.select(plate_norm("car_number")).to_series().implode()
    changed = of_case(joined, "car_changed").with_columns(p=plate_norm("asset_plate_number"))
    assert changed.height > 0 and not changed["p"].is_in(plates).any()
    model_ok = changed.select(
        pl.col("asset_model")
        .str.to_uppercase()
        .str.contains(pl.col("car_model_d").str.to_uppercase())
    ).to_series()
    assert model_ok.all()
    twice = of_case(joined, "two_leads_same_driver")["true_driver_id"]
    counts = big.truth.group_by("true_driver_id").len().filter(pl.col("len") > 1)
    assert twice.is_in(counts["true_driver_id"].implode()).all()


def test_some_never_converted_cars_are_driven_by_a_stranger(joined, big):
    target = big.drivers.filter(pl.col("park_id") == YEGO).with_columns(p=plate_norm("car_number"))
    never = of_case(joined, "never_converted").with_columns(p=plate_norm("asset_plate_number"))
    hits = never.join(target, on="p")
    assert 0.1 < hits["lead_id"].n_unique() / never.height < 0.4
    other = hits.select((fold("last_name") != fold("last_name_right")).mean()).item()
    assert other > 0.9  # another person


def test_trips_reach_each_milestone_within_14_days(joined, big):
    days = big.summary_daily.with_columns(
        day=pl.coalesce(
            pl.col("date_file").str.to_date("%d-%m-%Y", strict=False),
            pl.col("date_file").str.to_date("%Y-%m-%d", strict=False),
        )
    )
    assert days["day"].null_count() == 0
    assert (
        days["date_file"].str.contains(r"^\d{4}-").any()
        and days["date_file"].str.contains(r"^\d\d-").any()
    )
    converted = joined.filter(pl.col("true_driver_id").is_not_null()).select(
        "true_driver_id", "lead_date"
    )
    window = (
        converted.join(days, left_on="true_driver_id", right_on="driver_id", how="left")
        .filter(
            pl.col("day").is_null()
            | (
                (pl.col("day") >= pl.col("lead_date"))
                & (pl.col("day") < pl.col("lead_date") + dt.timedelta(days=14))
            )
        )
        .group_by("true_driver_id", "lead_date")
        .agg(pl.col("count_orders_completed").sum())["count_orders_completed"]
    )
    assert (window == 0).any() and window.is_between(1, 4).any()
    assert window.is_between(5, 24).any() and (window >= 25).any()
    unlinked = ~big.summary_daily["driver_id"].is_in(converted["true_driver_id"].implode())
    assert unlinked.sum() > 1000


def test_scouting_and_migrations_point_at_real_people(big):
    scouting, migrations = big.scouting_daily, big.migrations
    assert 0 < scouting.height < 0.1 * big.cabinet_leads.height
    assert scouting["driver_license"].str.contains(r"(?i)^[a-z]-?\d{8}$").all()
    assert migrations.height >= 10
    target = big.drivers.filter(pl.col("park_id") == YEGO)["driver_id"].implode()
    assert migrations["driver_id"].is_in(target).all()
    lic = big.drivers["license_number"].str.to_uppercase().str.replace("-", "")
    assert lic.str.contains(r"^[A-Z]\d{8}$").all() and (lic.str.starts_with("Q").mean() > 0.6)


def test_files_have_the_contract_headers(park, tmp_path):
    counts = write_park(park, tmp_path)
    for name, required in SPEC_HEADERS.items():
        with (tmp_path / name).open(encoding="utf-8") as f:
            header = next(csv.reader(f))
        assert header[: len(required)] == required or set(required) <= set(header), name
        assert counts[name] == getattr(park, _attr(name)).height
    with (tmp_path / "truth_leads.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["lead_id", "true_driver_id", "case"]
    assert any(r[1] == "" for r in rows[1:]) and any(len(r[1]) == 32 for r in rows[1:])
    text = (tmp_path / "module_ct_cabinet_leads.csv").read_text(encoding="utf-8")
    assert "null" not in text.lower()


def _attr(file_name: str) -> str:
    return {
        "module_ct_cabinet_leads.csv": "cabinet_leads",
        "drivers.csv": "drivers",
        "summary_daily.csv": "summary_daily",
        "module_ct_scouting_daily.csv": "scouting_daily",
        "module_ct_migrations.csv": "migrations",
    }[file_name]
