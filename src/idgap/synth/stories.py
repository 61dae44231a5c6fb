"""What happened to the person behind each lead of a variant park: the driver accounts their
story leaves in the `drivers` table (their own and the look-alikes), and who drove when.

A story function gets the lead's person (a dict: g1 g2 s1 s2 male, phone, license, plate,
brand, model, driver_id, age = days before the anchor) and returns the accounts it creates.
Account dicts carry the SPEC_COLUMNS of `synth.drivers`, a `role`, and the driving they do:
`act_start` (days relative to the anchor), `act_days`, `act_rate` (trips a day; 0 = never
drove) and `in_summary` (False: the trips happen in another park, Yango sees them, the park's
`summary_daily` does not).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from idgap.synth.names import MODELS

# trips a day of a driver who started: none / a few / steady / full time (as synth.activity)
RATES = (0.0, 0.12, 0.8, 3.2)
RATE_P = (0.2, 0.2, 0.3, 0.3)
LEAD_DAYS = 120


@dataclass
class Ctx:
    """Per-park state a story needs: its random stream, fresh codes and the parks."""

    rnd: random.Random
    plates: Iterator[str]
    phones: Iterator[str]
    licenses: Iterator[str]
    target: str
    others: list[str]
    late_hire_days: tuple[int, int]
    draw_person: Callable[[], dict]

    def driver_id(self) -> str:
        return f"{self.rnd.getrandbits(128):032x}"

    def car(self) -> tuple[str, str]:
        brand, model, _ = self.rnd.choices(MODELS, weights=[w for _, _, w in MODELS])[0]
        return brand, model

    def rate(self, *, drives: bool = False) -> float:
        if drives:
            return self.rnd.choice(RATES[2:])
        return self.rnd.choices(RATES, weights=RATE_P)[0]

    def other_park(self) -> str:
        return self.rnd.choice(self.others)


def account(p: dict, ctx: Ctx, role: str, hire_rel: int, **changes: object) -> dict:
    """The person's account (or a changed copy), hired `hire_rel` days from the anchor."""
    hire_rel = min(hire_rel, 0)
    acc = {
        "role": role,
        "driver_id": p["driver_id"],
        "park_id": ctx.target,
        **{k: p[k] for k in ("g1", "g2", "s1", "s2", "plate", "phone", "license")},
        "brand": p["brand"],
        "model": p["model"],
        "hire_rel": hire_rel,
        "phone_kept": ctx.rnd.random() < 0.9,
        "act_start": max(hire_rel, -p["age"]),
        "act_days": ctx.rnd.randint(10, 60),
        "act_rate": ctx.rate(),
        "in_summary": True,
    }
    acc.update(changes)
    return acc


def near_offset(rnd: random.Random) -> int:
    """Hire date minus lead date of a converted lead: mostly days after, some before."""
    if rnd.random() < 0.2:
        return -rnd.randint(1, 60)
    return min(int(rnd.expovariate(1 / 5.0)), 25)


def _hired_near(p: dict, ctx: Ctx, role: str = "own", **changes: object) -> dict:
    return account(p, ctx, role, -p["age"] + near_offset(ctx.rnd), **changes)


def plate_in_window(p: dict, ctx: Ctx) -> list[dict]:
    return [_hired_near(p, ctx)]


def phone_match(p: dict, ctx: Ctx) -> list[dict]:
    """The lead carries the account's phone; a quarter drive another car than the lead's."""
    own = _hired_near(p, ctx, phone_kept=True)
    if ctx.rnd.random() < 0.25:
        own["plate"] = next(ctx.plates)
    return [own]


def late_hire(p: dict, ctx: Ctx) -> list[dict]:
    """Hired 31-60 (or the model's range) days after the lead: the paperwork took a while."""
    low, high = ctx.late_hire_days
    offset = ctx.rnd.randint(low, high)
    p["age"] = max(p["age"], ctx.rnd.randint(offset, max(offset, LEAD_DAYS - 1)))
    return [account(p, ctx, "own", -p["age"] + offset)]


def plate_outside_window(p: dict, ctx: Ctx) -> list[dict]:
    """A driver already in the fleet for years filled the form again."""
    own = account(p, ctx, "own", -p["age"] - ctx.rnd.randint(150, 1100))
    own["act_start"] = -p["age"] - ctx.rnd.randint(0, 60)
    return [own]


def recreated_account(p: dict, ctx: Ctx) -> list[dict]:
    """A blocked or forgotten account was re-created: the same licence and/or phone on two
    target-park accounts; the old one stopped driving long before the lead, the new one drives."""
    new = _hired_near(p, ctx, role="own")
    keep_license = ctx.rnd.random() < 0.85
    old_start = -p["age"] - ctx.rnd.randint(60, 240)
    old = account(
        p,
        ctx,
        "recreated_old",
        old_start - ctx.rnd.randint(0, 400),
        driver_id=ctx.driver_id(),
        license=p["license"] if keep_license else next(ctx.licenses),
        phone_kept=True,
        plate=p["plate"] if ctx.rnd.random() < 0.5 else next(ctx.plates),
        act_start=old_start,
        act_days=ctx.rnd.randint(10, 40),
    )
    if not keep_license or ctx.rnd.random() < 0.6:
        new["phone_kept"] = True  # the two accounts share at least one key
    else:
        old["phone"] = next(ctx.phones)
    return [new, old]


def namesake_family_car(p: dict, ctx: Ctx) -> list[dict]:
    """Father and son (or uncle and nephew) with the same given name and first surname drive
    the same family car in the park; only the second surname, phone and dates differ."""
    own = _hired_near(p, ctx)
    relative = account(
        p,
        ctx,
        "namesake_relative",
        -p["age"] - ctx.rnd.randint(30, 700),
        driver_id=ctx.driver_id(),
        g2=p["g2"] if ctx.rnd.random() < 0.5 else "",
        s2=_other_surname(p, ctx),
        phone=next(ctx.phones),
        license=next(ctx.licenses),
        act_start=-p["age"] - ctx.rnd.randint(0, 20),
        act_days=ctx.rnd.randint(30, 60),
        act_rate=ctx.rate(drives=True),
    )
    return [own, relative]


def _other_surname(p: dict, ctx: Ctx) -> str:
    for _ in range(5):
        s2 = ctx.draw_person()["s2"]
        if s2 != p["s2"]:
            return s2
    return "Quispe" if p["s2"] != "Quispe" else "Mamani"


def car_changed(p: dict, ctx: Ctx) -> list[dict]:
    """Registered with one car, hired with another (bought, rented, the old one broke)."""
    brand, model = ctx.car() if ctx.rnd.random() < 0.5 else (p["brand"], p["model"])
    return [_hired_near(p, ctx, plate=next(ctx.plates), brand=brand, model=model)]


def never_converted(p: dict, ctx: Ctx) -> list[dict]:
    """No account; a quarter of the cars were sold or rented to someone who drives here."""
    if ctx.rnd.random() >= 0.25:
        return []
    return [_stranger_with_the_car(p, ctx, -ctx.rnd.randint(0, 1000), driving=False)]


def _stranger_with_the_car(p: dict, ctx: Ctx, hire_rel: int, *, driving: bool) -> dict:
    other = ctx.draw_person()
    return account(
        p,
        ctx,
        "stranger",
        hire_rel,
        driver_id=ctx.driver_id(),
        **{k: other[k] for k in ("g1", "g2", "s1", "s2")},
        phone=next(ctx.phones),
        license=next(ctx.licenses),
        act_rate=ctx.rate(drives=True) if driving else ctx.rate(),
    )


def decoy_drives(p: dict, ctx: Ctx) -> list[dict]:
    """Never converted, but a look-alike was hired near the lead date and drives in its window:
    a brother driving the lead's car, or a stranger with the very same name and another car."""
    hire = -p["age"] + near_offset(ctx.rnd)
    common = {
        "driver_id": ctx.driver_id(),
        "phone": next(ctx.phones),
        "license": next(ctx.licenses),
        "act_rate": ctx.rate(drives=True),
    }
    if ctx.rnd.random() < 0.5:
        drawn = ctx.draw_person()["g1"]
        given = next(g for g in (drawn, "Teodoro", "Zenón") if g != p["g1"])
        return [account(p, ctx, "decoy_brother", hire, g1=given, g2="", **common)]
    brand, model = ctx.car()
    return [
        account(p, ctx, "decoy_namesake", hire, plate=next(ctx.plates), brand=brand, model=model,
                **common)
    ]  # fmt: skip


def other_park_only(p: dict, ctx: Ctx) -> list[dict]:
    """Hired by another park of the city; Yango still sees the trips, this park does not."""
    acc = _hired_near(p, ctx, role="other_park", park_id=ctx.other_park(), phone_kept=True)
    acc["in_summary"] = False
    return [acc]


def family_phone(p: dict, ctx: Ctx) -> list[dict]:
    """The form carries a relative's phone; the relative drives here too (another given name)."""
    own = _hired_near(p, ctx)
    relative = ctx.draw_person()
    rel = account(
        p,
        ctx,
        "phone_relative",
        -p["age"] - ctx.rnd.randint(30, 900),
        driver_id=ctx.driver_id(),
        g1=relative["g1"],
        g2=relative["g2"],
        phone=next(ctx.phones),
        phone_kept=True,
        license=next(ctx.licenses),
        plate=next(ctx.plates),
    )
    p["lead_phone"] = rel["phone"]
    own["phone"] = next(ctx.phones)
    return [own, rel]


def fleet_transfer(p: dict, ctx: Ctx) -> list[dict]:
    """Came over from another fleet: the old account there keeps licence, phone and car."""
    own = _hired_near(p, ctx)
    old = account(
        p,
        ctx,
        "transfer_old",
        -p["age"] - ctx.rnd.randint(90, 900),
        driver_id=ctx.driver_id(),
        park_id=ctx.other_park(),
        phone_kept=True,
        act_start=-p["age"] - ctx.rnd.randint(40, 200),
        act_days=ctx.rnd.randint(10, 30),
        in_summary=False,
    )
    if ctx.rnd.random() < 0.5:
        own["phone"] = next(ctx.phones)
    return [own, old]


STORIES: dict[str, Callable[[dict, Ctx], list[dict]]] = {
    "plate_in_window": plate_in_window,
    "phone_match": phone_match,
    "late_hire": late_hire,
    "plate_outside_window": plate_outside_window,
    "recreated_account": recreated_account,
    "namesake_family_car": namesake_family_car,
    "car_changed": car_changed,
    "never_converted": never_converted,
    "decoy_drives": decoy_drives,
    "other_park_only": other_park_only,
    "family_phone": family_phone,
    "fleet_transfer": fleet_transfer,
}
# stories with no account of the person in the target park
NO_TARGET = frozenset({"never_converted", "decoy_drives", "other_park_only"})
# stories whose lead carries a phone (the story's own, or the account's)
PHONE_STORIES = frozenset({"phone_match", "family_phone"})
