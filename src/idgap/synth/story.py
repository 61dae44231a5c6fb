"""Generate a variant park (`hard`, `holdout`): each lead's person lives a story (synth.stories),
fills in the form with the model's mishaps (synth.leadform), drives or not (synth.flags), and
the truth records every case and mishap of the lead.

The lead-side work is plain Python per lead (about 10^5 leads at most); the filler drivers,
the spelling of the driver table and the trips are vectorised as in the default park.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import polars as pl

from idgap.synth import activity, codes, flags, leadform
from idgap.synth.cases import lead_ages, second_lead_ages
from idgap.synth.drivers import SPEC_COLUMNS, draw_models, driver_rows
from idgap.synth.leads import COLORS, LEAD_COLUMNS
from idgap.synth.names import draw_people
from idgap.synth.park import SyntheticPark, _filler, _namesakes, _spec
from idgap.synth.stories import NO_TARGET, PHONE_STORIES, STORIES, Ctx
from idgap.synth.variants import NoiseModel

SECOND_LEAD = "two_leads_same_driver"
SAME_PERSON_ROLES = ("recreated_old", "transfer_old")  # the person's other accounts
DONOR_STORIES = ("plate_in_window", "phone_match")
TRUTH_COLUMNS = ("lead_id", "true_driver_id", "case", "cases", "same_person_driver_ids")
VARIANT_LEAD_COLUMNS = (*LEAD_COLUMNS, *flags.FLAG_COLUMNS)
ACCOUNT_COLUMNS = ("role", *SPEC_COLUMNS, "act_start", "act_days", "act_rate", "in_summary")


def generate_variant_park(
    *,
    leads: int,
    drivers: int,
    seed: int,
    anchor_date: dt.date,
    model: NoiseModel,
    target_park_id: str,
    flag_error_share: float,
) -> SyntheticPark:
    """`leads` cabinet leads and about `drivers` accounts under the noise model `model`."""
    rng = np.random.default_rng([seed, model.salt])
    rnd = random.Random(int(rng.integers(0, 2**63)))
    pool = codes.CodePool(rng, 4 * leads + drivers + 16)
    others = codes.hex_ids(rng, int(rng.integers(5, 11))).to_list()
    ctx = _context(rng, rnd, pool, leads, target_park_id, others, model)
    persons = _persons(rng, leads, pool, model)
    lead_rows, accounts = _live_stories(persons, ctx, model, rng)
    related = pl.DataFrame(accounts, schema_overrides={"hire_rel": pl.Int64}).select(
        ACCOUNT_COLUMNS
    )
    specs = _all_accounts(
        rng, related, persons, pool, drivers, target_park_id, np.array(others), model
    )
    specs = specs.gather(rng.permutation(specs.height))
    drivers_df = driver_rows(rng, specs.select(SPEC_COLUMNS), anchor_date)
    trips = flags.trip_days(rng, specs.filter(pl.col("act_days") > 0))
    unrelated = specs.filter((pl.col("role") == "filler") & (pl.col("park_id") == target_park_id))
    cabinet = _cabinet(rng, lead_rows, trips, model, flag_error_share, anchor_date)
    scout = activity.scouts(rng)
    return SyntheticPark(
        cabinet_leads=cabinet.select(VARIANT_LEAD_COLUMNS),
        drivers=drivers_df,
        summary_daily=flags.summary_rows(rng, trips, unrelated["driver_id"], anchor_date),
        scouting_daily=activity.scouting_daily(rng, _scouted(rng, persons), scout, anchor_date),
        migrations=activity.migrations(
            rng, drivers_df.filter(pl.col("driver_id").is_in(unrelated["driver_id"].implode())),
            scout,
        ),
        truth=cabinet.select(TRUTH_COLUMNS),
    )  # fmt: skip


def _context(
    rng: np.random.Generator,
    rnd: random.Random,
    pool: codes.CodePool,
    n: int,
    target: str,
    others: list[str],
    model: NoiseModel,
) -> Ctx:
    spare = 2 * n + 8
    people = iter(draw_people(rng, spare).to_dicts())
    return Ctx(
        rnd=rnd,
        plates=iter(pool.plates(spare).to_list()),
        phones=iter(pool.phones(spare).to_list()),
        licenses=iter(pool.licenses(spare).to_list()),
        target=target,
        others=others,
        late_hire_days=model.late_hire_days,
        draw_person=lambda: next(people),
    )


def _persons(
    rng: np.random.Generator, n: int, pool: codes.CodePool, model: NoiseModel
) -> list[dict]:
    names = np.array(list(model.cases))
    weights = np.array(list(model.cases.values()))
    case = names[rng.choice(len(names), n, p=weights / weights.sum())]
    if not np.isin(case, DONOR_STORIES).any():  # tiny parks: a second lead needs a first one
        case = np.where(case == SECOND_LEAD, "plate_in_window", case)
    brand, car_model = draw_models(rng, n)
    frame = draw_people(rng, n).with_columns(
        k=pl.int_range(0, n, dtype=pl.Int64),
        case=pl.Series(case),
        age=pl.Series(lead_ages(rng, n)),
        brand=pl.Series(brand),
        model=pl.Series(car_model),
        plate=pool.plates(n),
        phone=pool.phones(n),
        license=pool.licenses(n),
        driver_id=codes.hex_ids(rng, n),
        u_phone=pl.Series(rng.random(n)),
    )
    return frame.to_dicts()


def _live_stories(
    persons: list[dict], ctx: Ctx, model: NoiseModel, rng: np.random.Generator
) -> tuple[list[dict], list[dict]]:
    """Lead rows (person + form + truth) and every account the stories create."""
    rows: list[dict] = []
    accounts: list[dict] = []
    firsts = [p for p in persons if p["case"] != SECOND_LEAD]
    for p in firsts:
        made = STORIES[p["case"]](p, ctx)
        accounts.extend(made)
        rows.append(_lead(p, made, ctx, model))
    donors = [r for r in rows if r["case"] in DONOR_STORIES]
    for p in (p for p in persons if p["case"] == SECOND_LEAD):
        rows.append(_second_lead(p, ctx.rnd.choice(donors), ctx, model, rng))
    return rows, accounts


def _lead(p: dict, made: list[dict], ctx: Ctx, model: NoiseModel) -> dict:
    """The form the person filled in, and the truth of this lead."""
    rnd = ctx.rnd
    tags: list[str] = []
    own = next((a for a in made if a["role"] == "own"), None)
    flag_source = next((a for a in made if a["role"] in ("own", "other_park")), None)
    plate = p["plate"]
    mishap = leadform.plate_mishap(model, rnd)
    if mishap == "no_plate":
        plate, tags = "", ["no_plate"]
    elif mishap:
        on_driver = (
            own is not None and own["plate"] == plate and rnd.random() < model.plate_on_driver_side
        )
        if on_driver and own is not None:
            own["plate"] = leadform.mangle_plate(plate, mishap, rnd)
        else:
            plate = leadform.mangle_plate(plate, mishap, rnd)
        tags.extend([mishap, "plate_error_driver_side"] if on_driver else [mishap])
    phone = _form_phone(p, own, model, ctx, tags)
    names = leadform.lead_names(p, model, rnd, tags)
    return {
        "k": p["k"],
        "case": p["case"],
        "age": p["age"],
        **names,
        "plate": plate,
        "phone_typed": phone,
        "model": p["model"] if rnd.random() < 0.6 else f"{p['brand']} {p['model']}",
        "tags": tags,
        "true_driver_id": None if p["case"] in NO_TARGET or own is None else own["driver_id"],
        "flag_driver_id": flag_source["driver_id"] if flag_source else None,
        "same_person": [a["driver_id"] for a in made if a["role"] in SAME_PERSON_ROLES],
        "person": p,
    }  # fmt: skip


def _form_phone(p: dict, own: dict | None, model: NoiseModel, ctx: Ctx, tags: list[str]) -> str:
    """The phone typed on the form ('' when none); the account may have a newer number."""
    story_phone = p["case"] in PHONE_STORIES
    if p["case"] == "other_park_only":
        present = p["u_phone"] < 0.35
    else:
        present = story_phone or p["u_phone"] < model.phone_share
    if not present:
        return ""
    digits = p.get("lead_phone") or p["phone"]
    changed = model.phone_tags.get("phone_changed", 0.0)
    keeps = own is not None and own["phone_kept"] and own["phone"] == digits
    if keeps and own is not None and ctx.rnd.random() < changed:
        own["phone"] = next(ctx.phones)
        tags.append("phone_changed")
    return leadform.lead_phone(digits, model, ctx.rnd, tags)


def _second_lead(
    p: dict, donor: dict, ctx: Ctx, model: NoiseModel, rng: np.random.Generator
) -> dict:
    """The same person registers again 15-60 days apart: same account, a new form."""
    first = donor["person"]
    person = {**first, "k": p["k"], "case": SECOND_LEAD, "u_phone": p["u_phone"]}
    person["age"] = int(second_lead_ages(rng, np.array([first["age"]]))[0])
    tags: list[str] = []
    phone = leadform.lead_phone(first["phone"], model, ctx.rnd, tags) if p["u_phone"] < 0.3 else ""
    names = leadform.lead_names(person, model, ctx.rnd, tags)
    return {
        **donor,
        **names,
        "k": p["k"],
        "case": SECOND_LEAD,
        "age": person["age"],
        "phone_typed": phone,
        "plate": "" if ctx.rnd.random() < 0.1 else first["plate"],
        "tags": tags,
        "person": person,
    }


def _all_accounts(
    rng: np.random.Generator,
    related: pl.DataFrame,
    persons: list[dict],
    pool: codes.CodePool,
    size: int,
    target: str,
    others: np.ndarray,
    model: NoiseModel,
) -> pl.DataFrame:
    """The stories' accounts, then same-named strangers, then unrelated filler up to `size`."""
    people = pl.DataFrame(persons).select("g1", "g2", "s1", "s2")
    pick = rng.random(people.height) < model.namesake_share
    namesakes = _idle(
        _spec(_namesakes(rng, people.filter(pl.Series(pick)), pool, target, others), "namesake")
    )
    room = max(size - related.height, 0)
    namesakes = namesakes.head(room)
    filler = _idle(_filler(rng, room - namesakes.height, pool, target, others))
    return pl.concat([related, namesakes, filler])


def _idle(spec: pl.DataFrame) -> pl.DataFrame:
    """Accounts with no driving spell of their own (the unrelated trips are sampled later)."""
    return spec.with_columns(
        act_start=pl.lit(0, dtype=pl.Int64),
        act_days=pl.lit(0, dtype=pl.Int64),
        act_rate=pl.lit(0.0),
        in_summary=pl.lit(True),
    ).select(ACCOUNT_COLUMNS)


def _scouted(rng: np.random.Generator, persons: list[dict]) -> pl.DataFrame:
    """A few of the leads' people were also registered by a scout."""
    frame = pl.DataFrame(persons).select("g1", "s1", "s2", "phone", "license", "age", "case")
    return frame.filter(
        pl.Series(rng.random(frame.height) < 0.05) & ~pl.col("case").is_in(list(NO_TARGET))
    )


def _cabinet(
    rng: np.random.Generator,
    rows: list[dict],
    trips: pl.DataFrame,
    model: NoiseModel,
    flag_error_share: float,
    anchor: dt.date,
) -> pl.DataFrame:
    """Lead rows in export order with ids, timestamps, flags and the truth columns."""
    n = len(rows)
    keep = ("k", "case", "age", "first_name", "middle_name", "last_name", "plate", "phone_typed",
            "model", "tags", "true_driver_id", "flag_driver_id", "same_person")  # fmt: skip
    frame = pl.DataFrame(
        [{c: r[c] for c in keep} for r in rows],
        schema_overrides={"true_driver_id": pl.String, "flag_driver_id": pl.String,
                          "same_person": pl.List(pl.String), "tags": pl.List(pl.String)},
    ).sort("k")  # fmt: skip
    created = (
        pl.lit(anchor).cast(pl.Datetime("us"))
        - pl.duration(days=pl.col("age"))
        + pl.duration(seconds=pl.lit(pl.Series(rng.integers(7 * 3600, 23 * 3600, n))))
    )
    anchor_end = dt.datetime.combine(anchor, dt.time(23, 59, 59))
    frame = (
        frame.with_columns(
            ts=created,
            lead_rel=-pl.col("age"),
            external_id=pl.when(pl.Series(rng.random(n)) < 0.05)
            .then(pl.lit(""))
            .otherwise(codes.hex_ids(rng, n)),
            u_plate=pl.Series(rng.random(n)),
            u_case=pl.Series(rng.random(n)),
            delay=pl.Series(rng.integers(60, 36 * 3600, n)),
            asset_color=pl.Series(np.array(COLORS)[rng.integers(0, len(COLORS), n)]),
            status=pl.Series(np.where(rng.random(n) < 0.8, "active", "new")),
        )
        .sort("ts", "k")
        .with_columns(id=pl.int_range(1, n + 1, dtype=pl.Int64))
    )
    flagged = flags.lead_flags(rng, frame, trips, model, flag_error_share, anchor)
    return _spelled(frame.join(flagged, on="k", maintain_order="left"), anchor_end)


def _spelled(frame: pl.DataFrame, anchor_end: dt.datetime) -> pl.DataFrame:
    from idgap.synth.names import mixed_case

    tags = pl.concat_list(pl.col("case"), "tags", pl.col("flag_tag").fill_null(pl.lit(None)))
    return frame.with_columns(
        lead_id=pl.when(pl.col("external_id") != "")
        .then("external_id")
        .otherwise(pl.col("id").cast(pl.String)),
        lead_created_at=pl.col("ts").dt.strftime("%Y-%m-%d %H:%M:%S"),
        created_at=pl.min_horizontal(
            pl.col("ts") + pl.duration(seconds=pl.col("delay")), pl.lit(anchor_end)
        ).dt.strftime("%Y-%m-%d %H:%M:%S"),
        park_phone="phone_typed",
        asset_plate_number=pl.when(pl.col("plate") == "")
        .then(pl.lit(""))
        .otherwise(codes.spell_plate(pl.col("plate"), pl.col("u_plate"))),
        asset_model=mixed_case(pl.col("model"), pl.col("u_case")),
        activation_city=pl.lit("Lima"),
        park_name=pl.lit("YEGO"),
        cases=tags.list.drop_nulls().list.join("|"),
        same_person_driver_ids=pl.col("same_person").list.join(";"),
    )
