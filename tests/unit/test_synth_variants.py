"""The hard and holdout parks: deterministic, every case and mishap really present, a truth
consistent with the tables, Yango flags that describe the true driver unless tagged wrong,
and the default park unchanged byte for byte."""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl
import pytest

from idgap.synth import generate_park, write_park
from idgap.synth.flags import THRESHOLDS
from idgap.synth.noise import LOOKALIKE
from idgap.synth.park import YEGO
from idgap.synth.stories import NO_TARGET
from idgap.synth.variants import HARD, HOLDOUT

DAY = dt.date(2026, 11, 25)


def plate_norm(col: str) -> pl.Expr:
    return pl.col(col).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")


def fold(col: str) -> pl.Expr:
    return pl.col(col).str.to_uppercase().str.replace_many(list("ÁÉÍÓÚÜÑ"), list("AEIOUUN"))


def make(variant: str, leads: int = 3000, drivers: int = 12000, seed: int = 7, **kw):
    return generate_park(
        leads=leads, drivers=drivers, seed=seed, anchor_date=DAY, variant=variant, **kw
    )


@pytest.fixture(scope="module")
def hard():
    return make("hard")


@pytest.fixture(scope="module")
def holdout():
    return make("holdout")


def joined(park) -> pl.DataFrame:
    """Leads + truth + the true driver's row (`_d`), with the tags as a list."""
    leads = park.cabinet_leads.with_columns(
        lead_id=pl.when(pl.col("external_id") != "")
        .then("external_id")
        .otherwise(pl.col("id").cast(pl.String)),
        lead_date=pl.col("lead_created_at").str.to_datetime("%Y-%m-%d %H:%M:%S").dt.date(),
    )
    drivers = park.drivers.rename({c: f"{c}_d" for c in park.drivers.columns})
    return (
        leads.join(park.truth, on="lead_id")
        .join(drivers, left_on="true_driver_id", right_on="driver_id_d", how="left")
        .with_columns(
            tags=pl.col("cases").str.split("|"),
            hire_days=(pl.col("hire_date_d").str.to_date() - pl.col("lead_date")).dt.total_days(),
        )
    )


def tagged(j: pl.DataFrame, tag: str) -> pl.DataFrame:
    return j.filter(pl.col("tags").list.contains(tag))


def digest(park, tmp_path) -> str:
    write_park(park, tmp_path)
    h = hashlib.sha256()  # the six files of the park (the payment report came later)
    for f in sorted(tmp_path / name for name in park.frames()):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def test_default_park_is_byte_for_byte_what_it_was(tmp_path):
    # sha256 of the six CSVs of this park as written before the variants existed (a894afc)
    park = generate_park(leads=300, drivers=5000, seed=3, anchor_date=DAY)
    assert digest(park, tmp_path) == (
        "80afd757c82e9120401d103d594410d8e12a9ff25b2becb28f1b33f0788d7c4c"
    )
    assert park.truth.columns == ["lead_id", "true_driver_id", "case"]
    assert "active_1" not in park.cabinet_leads.columns


@pytest.mark.parametrize("variant", ["hard", "holdout"])
def test_variants_are_deterministic_per_seed(variant):
    a, b = make(variant, 300, 4000, seed=5), make(variant, 300, 4000, seed=5)
    for name, frame in a.frames().items():
        assert b.frames()[name].equals(frame), name
    other = make(variant, 300, 4000, seed=6)
    assert not other.cabinet_leads.equals(a.cabinet_leads)


def test_hard_and_holdout_are_different_parks_for_one_seed():
    a, b = make("hard", 300, 4000, seed=5), make("holdout", 300, 4000, seed=5)
    assert not a.drivers["driver_id"].is_in(b.drivers["driver_id"].implode()).any()


@pytest.mark.parametrize("variant,model", [("hard", HARD), ("holdout", HOLDOUT)])
def test_every_case_and_mishap_appears(variant, model, request):
    park = request.getfixturevalue(variant)
    tags = set(park.truth["cases"].str.split("|").explode().to_list())
    assert set(model.cases) <= set(park.truth["case"].to_list())
    assert set(model.plate_tags) | set(model.name_tags) | set(model.flag_tags) <= tags
    assert set(model.phone_tags) <= tags
    assert "plate_error_driver_side" in tags


@pytest.mark.parametrize("variant", ["hard", "holdout"])
def test_truth_is_consistent_with_the_tables(variant, request):
    park = request.getfixturevalue(variant)
    assert park.cabinet_leads.height == 3000 and park.drivers.height == 12000
    assert park.drivers["driver_id"].n_unique() == 12000
    t = park.truth
    assert t.columns == ["lead_id", "true_driver_id", "case", "cases", "same_person_driver_ids"]
    assert t["lead_id"].n_unique() == t.height
    target = park.drivers.filter(pl.col("park_id") == YEGO)["driver_id"].implode()
    linked = t.filter(pl.col("true_driver_id").is_not_null())
    assert linked["true_driver_id"].is_in(target).all()
    assert t.filter(pl.col("case").is_in(list(NO_TARGET)))["true_driver_id"].null_count() == (
        t.filter(pl.col("case").is_in(list(NO_TARGET))).height
    )
    assert (t["cases"].str.split("|").list.first() == t["case"]).all()
    others = t["same_person_driver_ids"].str.split(";").explode()
    others = others.filter(others != "")
    assert others.len() > 0 and others.is_in(park.drivers["driver_id"].implode()).all()


def test_plate_mishaps_are_what_they_say(hard):
    j = joined(hard).with_columns(
        lead=plate_norm("asset_plate_number"), drv=plate_norm("car_number_d")
    )
    assert (tagged(j, "no_plate")["asset_plate_number"] == "").all()
    lead_side = j.filter(
        ~pl.col("tags").list.contains("plate_error_driver_side")
        & ~pl.col("case").is_in(["car_changed", "phone_match"])  # the account has another car
        & pl.col("drv").is_not_null()
    )
    for lead, drv in tagged(lead_side, "plate_lookalike").select("lead", "drv").iter_rows():
        diff = [(a, b) for a, b in zip(drv, lead, strict=True) if a != b]
        assert len(diff) == 1 and diff[0][1] in LOOKALIKE[diff[0][0]], (lead, drv)
    for lead, drv in tagged(lead_side, "plate_transposed").select("lead", "drv").iter_rows():
        assert (
            sorted(lead) == sorted(drv) and sum(a != b for a, b in zip(lead, drv, strict=True)) == 2
        )
    dropped = tagged(lead_side, "plate_char_dropped")
    assert (dropped["lead"].str.len_chars() == dropped["drv"].str.len_chars() - 1).all()
    inserted = tagged(lead_side, "plate_char_inserted")
    assert (inserted["lead"].str.len_chars() == inserted["drv"].str.len_chars() + 1).all()
    driver_side = tagged(j, "plate_error_driver_side").filter(pl.col("lead") != "")
    assert driver_side.height > 0 and (driver_side["lead"] != driver_side["drv"]).all()


def test_hard_name_mishaps(hard):
    j = joined(hard)
    nick = tagged(j, "nickname")
    assert nick.select(fold("first_name") != fold("first_name_d")).to_series().all()
    assert nick.height > 50
    initials = tagged(j, "initials").select(pl.concat_str("first_name", "middle_name", "last_name"))
    assert initials.to_series().str.contains(r"\.").all()
    swapped = tagged(j, "swapped_order").filter(pl.col("first_name") != "")
    first_surname = fold("last_name_d").str.split(" ").list.first()
    assert swapped.select(fold("first_name").str.starts_with(first_surname)).to_series().all()
    accents = tagged(j, "accents_dropped")
    assert not accents["first_name"].str.contains("[áéíóúñÁÉÍÓÚÑ]").any()


def test_hard_structural_cases(hard):
    j = joined(hard)
    late = j.filter(pl.col("case") == "late_hire")["hire_days"]
    assert late.is_between(31, 60).all()
    target = hard.drivers.filter(pl.col("park_id") == YEGO)
    # re-created accounts: the old account shares the licence or the phone of the new one
    old = j.filter(pl.col("case") == "recreated_account").join(
        hard.drivers, left_on="same_person_driver_ids", right_on="driver_id"
    )
    assert old.height == j.filter(pl.col("case") == "recreated_account").height > 0
    same = (old["license_number"].str.to_uppercase().str.replace("-", "")
            == old["license_number_d"].str.to_uppercase().str.replace("-", ""))  # fmt: skip
    same_phone = old["phone"].str.replace_all(r"\D", "").str.slice(-9) == old[
        "phone_d"
    ].str.replace_all(r"\D", "").str.slice(-9)
    assert (same | same_phone.fill_null(False)).all()
    assert (old["hire_date"] < old["hire_date_d"]).all()
    # namesakes sharing the family car: same plate, given name and first surname, other person
    fam = j.filter(
        (pl.col("case") == "namesake_family_car")
        & ~pl.col("tags").list.contains("plate_error_driver_side")
    ).with_columns(p=plate_norm("car_number_d"))
    pairs = fam.join(target.with_columns(p=plate_norm("car_number")), on="p").filter(
        pl.col("driver_id") != pl.col("true_driver_id")
    )
    assert pairs["lead_id"].n_unique() == fam.height > 0
    assert pairs.select(fold("first_name_right") == fold("first_name_d")).to_series().all()


def _trips(park) -> pl.DataFrame:
    return park.summary_daily.select(
        "driver_id",
        "count_orders_completed",
        day=pl.coalesce(
            pl.col("date_file").str.to_date("%d-%m-%Y", strict=False),
            pl.col("date_file").str.to_date("%Y-%m-%d", strict=False),
        ),
    )


def _window_trips(park, j: pl.DataFrame, window: int, lag: int) -> pl.DataFrame:
    last_export = DAY - dt.timedelta(days=lag)
    w = j.join(_trips(park), left_on="true_driver_id", right_on="driver_id", how="left").filter(
        pl.col("day").is_null()
        | (
            (pl.col("day") >= pl.col("lead_date"))
            & (pl.col("day") < pl.col("lead_date") + dt.timedelta(days=window))
            & (pl.col("day") <= last_export)
        )
    )
    return w.group_by("lead_id").agg(trips=pl.col("count_orders_completed").sum())


@pytest.mark.parametrize("variant,model", [("hard", HARD), ("holdout", HOLDOUT)])
def test_yango_flags_describe_the_true_driver_unless_tagged(variant, model, request):
    park = request.getfixturevalue(variant)
    j = joined(park).filter(pl.col("true_driver_id").is_not_null())
    trips = _window_trips(park, j, model.flag_window_days, model.flag_export_lag_days)
    j = j.join(trips, on="lead_id").with_columns(
        wrong=pl.col("tags").list.eval(pl.element().str.starts_with("flags_")).list.any()
    )
    for t in THRESHOLDS:
        agree = j.select(pl.col(f"active_{t}") == (pl.col("trips") >= t)).to_series()
        assert agree.filter(~j["wrong"]).all(), t
    flagged_wrong = j.filter("wrong")
    assert flagged_wrong.height > 0
    flags = park.cabinet_leads.select(*(f"active_{t}" for t in THRESHOLDS))
    for lo, hi in zip(THRESHOLDS, THRESHOLDS[1:], strict=False):
        assert (flags[f"active_{lo}"] | ~flags[f"active_{hi}"]).all()  # cumulative thresholds
    no_driver = joined(park).filter(pl.col("true_driver_id").is_null() & ~pl.col("tags").list.eval(
        pl.element().str.starts_with("flags_")).list.any())  # fmt: skip
    never = no_driver.filter(pl.col("case") != "other_park_only")
    assert not never["active_1"].any() and (never["last_active_date"] == "").all()


def test_flag_error_share_is_configurable():
    none = make("hard", 600, 4000, flag_error_share=0.0)
    assert not none.truth["cases"].str.contains("flags_").any()
    many = make("hard", 600, 4000, flag_error_share=0.5)
    share = many.truth["cases"].str.contains("flags_").mean()
    assert share is not None and 0.2 < share < 0.5
    with pytest.raises(ValueError, match="flag error"):
        generate_park(leads=10, drivers=100, seed=1, anchor_date=DAY, flag_error_share=0.2)
    with pytest.raises(ValueError, match="unknown variant"):
        make("easy", 10, 100)


def test_holdout_mishaps(holdout):
    j = joined(holdout)
    landline = tagged(j, "phone_landline")
    assert landline["park_phone"].str.starts_with("(01) ").all()
    changed = tagged(j, "phone_changed").with_columns(
        a=pl.col("park_phone").str.replace_all(r"\D", "").str.slice(-9),
        b=pl.col("phone_d").str.replace_all(r"\D", "").str.slice(-9),
    )
    assert changed.height > 0 and (changed["a"] != changed["b"]).all()
    fam = j.filter(pl.col("case") == "family_phone").with_columns(
        p=pl.col("park_phone").str.replace_all(r"\D", "").str.slice(-9)
    )
    phones = holdout.drivers.filter(pl.col("phone") != "").with_columns(
        p=pl.col("phone").str.replace_all(r"\D", "").str.slice(-9)
    )
    hits = fam.filter(~pl.col("tags").list.contains("phone_digit_typo")).join(phones, on="p")
    assert hits.height > 0 and (hits["driver_id"] != hits["true_driver_id"]).all()
    married = tagged(j, "married_name").filter(
        ~pl.col("tags").list.contains("swapped_order")
        & ~pl.col("tags").list.contains("single_field")
    )
    assert married["last_name"].str.to_lowercase().str.contains(" de ").all()
    single = tagged(j, "single_field")
    assert (single["last_name"] == "").all() and (
        single["first_name"].str.count_matches(" ") >= 1
    ).all()
    moved = j.filter(pl.col("case") == "fleet_transfer").join(
        holdout.drivers, left_on="same_person_driver_ids", right_on="driver_id"
    )
    assert moved.height > 0 and (moved["park_id"] != YEGO).all()


def test_decoys_look_like_the_lead_and_drive_in_its_window(hard):
    j = joined(hard).filter(pl.col("case") == "decoy_drives")
    target = hard.drivers.filter(pl.col("park_id") == YEGO).with_columns(
        p=plate_norm("car_number"), s1=fold("last_name").str.split(" ").list.first()
    )
    leads = j.with_columns(
        p=plate_norm("asset_plate_number"),
        s1=pl.when(pl.col("tags").list.contains("swapped_order"))
        .then(fold("first_name"))
        .otherwise(fold("last_name"))
        .str.split(" ")
        .list.first(),
    )
    by_plate = leads.join(target, on="p").filter(pl.col("s1") == pl.col("s1_right"))
    by_name = leads.join(target, on="s1").filter(pl.col("p") != pl.col("p_right"))
    decoys = pl.concat(
        [by_plate.select("lead_id", "driver_id"), by_name.select("lead_id", "driver_id")]
    )
    days = (
        _trips(hard)
        .join(decoys, on="driver_id")
        .join(j.select("lead_id", "lead_date"), on="lead_id")
    )
    in_window = days.filter(
        (pl.col("day") >= pl.col("lead_date"))
        & (pl.col("day") < pl.col("lead_date") + dt.timedelta(days=14))
    )
    assert in_window["lead_id"].n_unique() > 0.6 * j.height


def test_cli_generates_a_hard_park_and_refuses_bad_options(tmp_path):
    from typer.testing import CliRunner

    from idgap.cli.main import app

    runner = CliRunner()
    args = ["generate", "--leads", "60", "--drivers", "800", "--anchor-date", "2026-11-25"]
    ok = runner.invoke(
        app, [*args, "--variant", "hard", "--flag-errors", "0.2", "--out", str(tmp_path)]
    )
    assert ok.exit_code == 0, ok.output
    assert "every case and mishap" in ok.output
    header = (tmp_path / "module_ct_cabinet_leads.csv").read_text().splitlines()[0]
    assert header.endswith("active_50,active_100,last_active_date")
    bad = runner.invoke(app, [*args, "--variant", "easy", "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "--variant" in bad.output
    no_flags = runner.invoke(app, [*args, "--flag-errors", "0.2", "--out", str(tmp_path / "y")])
    assert no_flags.exit_code != 0 and "--flag-errors" in no_flags.output
