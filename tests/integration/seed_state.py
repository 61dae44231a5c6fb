"""The state the reference's seed report starts from (seed_identity_gap_killer_v2.md, REF §10.1).

793 leads; 602 with a lead link, 67 of them with their origin; 535 leads no_origin plus one
lead link to a lead absent from the leads table (536 links without origin); 191 leads without
identity (188 older than 7 days, 3 between 2 and 6 days); 5 persons with two leads; every
linked person has a driver link. Among the 191, some have a findable target-park driver (the
truth), some only an other-park account, some a plate-sharing stranger, most nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PARK = "08e20910d81d42658d4334d3f6d10ac0"
OTHER_PARK = "0c1b2a3d4e5f60718293a4b5c6d7e8f9"
LEADS = "module_ct_cabinet_leads"
GHOST_LEAD = "CL-GHOST-0001"
GIVEN = [
    "JUAN",
    "LUIS",
    "CARLOS",
    "JOSE",
    "MIGUEL",
    "JORGE",
    "VICTOR",
    "PEDRO",
    "RAUL",
    "CESAR",
    "ANA",
    "ROSA",
    "MARIA",
    "ELENA",
    "SOFIA",
    "LUCIA",
    "JULIO",
    "OSCAR",
]
SURNAMES = [
    "QUISPE",
    "FLORES",
    "HUAMAN",
    "MAMANI",
    "ROJAS",
    "SANCHEZ",
    "GARCIA",
    "CHAVEZ",
    "TORRES",
    "RAMOS",
    "VARGAS",
    "CASTILLO",
    "MENDOZA",
    "ESPINOZA",
    "VASQUEZ",
    "CONDORI",
    "GUTIERREZ",
    "PAREDES",
    "SALAZAR",
    "CORDOVA",
    "HUANCA",
    "CCAMA",
]

N_PHONE, N_PLATE, N_OTHER_PARK, N_STRANGER = 40, 30, 10, 10  # groups among the 191


def _name(i: int) -> tuple[str, str, str]:
    """A distinct (first, last, second last) per index."""
    return (
        GIVEN[i % len(GIVEN)],
        SURNAMES[(i // len(GIVEN)) % len(SURNAMES)],
        SURNAMES[(i * 7 + 3) % len(SURNAMES)],
    )


def _plate(i: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"{letters[i % 23]}{letters[(i // 23) % 23]}{i % 10}-{i:03d}"[-7:]


@dataclass
class SeedState:
    now: dt.datetime
    leads: list[dict] = field(default_factory=list)
    drivers: list[dict] = field(default_factory=list)
    registry: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    origins: list[dict] = field(default_factory=list)
    truth: dict[str, str | None] = field(default_factory=dict)  # no-identity lead -> driver
    groups: dict[str, list[str]] = field(default_factory=dict)
    twice: list[tuple[str, str]] = field(default_factory=list)  # (earlier, later) lead ids

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def lead(self, i: int, age: int, *, phone: str = "", plate: str | None = None) -> str:
        lead_id, day = f"CL-{i:05d}", self.today - dt.timedelta(days=age)
        first, last, last2 = _name(i)
        self.leads.append({
            "id": str(100000 + i), "external_id": lead_id,
            "lead_created_at": f"{day.isoformat()} 10:{i % 60:02d}:00", "park_phone": phone,
            "first_name": first, "middle_name": "", "last_name": f"{last} {last2}",
            "asset_plate_number": plate if plate is not None else _plate(i),
            "asset_model": "TOYOTA YARIS", "created_at": f"{day.isoformat()} 10:00:00",
        })  # fmt: skip
        return lead_id

    def lead_date(self, lead_id: str) -> dt.date:
        row = next(r for r in self.leads if r["external_id"] == lead_id)
        return dt.date.fromisoformat(row["lead_created_at"][:10])

    def driver(
        self,
        driver_id: str,
        i: int,
        *,
        park: str = PARK,
        phone: str = "",
        plate: str | None = None,
        name_of: int | None = None,
        hire: dt.date | None = None,
    ) -> str:
        first, last, last2 = _name(i if name_of is None else name_of)
        self.drivers.append({
            "driver_id": driver_id, "park_id": park, "phone": phone, "license_number": "",
            "license_normalized_number": "", "full_name": f"{first} {last} {last2}",
            "first_name": first, "middle_name": "", "last_name": f"{last} {last2}",
            "car_number": plate if plate is not None else _plate(i),
            "car_normalized_number": "", "car_brand": "TOYOTA", "car_model": "YARIS",
            "hire_date": (hire or self.today - dt.timedelta(days=400)).isoformat(),
            "created_at": "2025-01-01 00:00:00",
        })  # fmt: skip
        return driver_id

    def person(self, lead_ids: list[str], driver_id: str, *, with_origin: bool) -> str:
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, driver_id))
        self.registry.append(
            {
                "person_key": key,
                "created_at": "2025-12-01 00:00:00",
                "confidence_level": "HIGH",
                "primary_full_name": "",
            }
        )
        for lead_id in lead_ids:
            snap = GHOST_DATE if lead_id == GHOST_LEAD else self.lead_date(lead_id)
            self._link(key, LEADS, lead_id, snap)
        self._link(key, "drivers", driver_id, self.today - dt.timedelta(days=30))
        if with_origin:
            self.origins.append({
                "person_key": key, "origin_tag": "cabinet_lead", "origin_source_id": lead_ids[0],
                "origin_confidence": "95.0", "origin_created_at": "2026-01-10 12:00:00",
                "decided_by": "system", "resolution_status": "resolved_auto",
            })  # fmt: skip
        return key

    def _link(self, key: str, table: str, pk: str, snap: dt.date) -> None:
        self.links.append({
            "person_key": key, "source_table": table, "source_pk": pk,
            "snapshot_date": snap.isoformat(), "match_rule": "R1_PHONE_EXACT",
            "match_score": "95", "confidence_level": "HIGH",
            "linked_at": f"{snap.isoformat()} 12:00:00",
        })  # fmt: skip


GHOST_DATE = dt.date(2025, 12, 20)


def build(now: dt.datetime) -> SeedState:
    s = SeedState(now=now)
    i = 0
    for k in range(67):  # resolved: link, driver link, own origin
        s.person([s.lead(i, 10 + k % 50)], s.driver(f"DRV-R{i:05d}", i), with_origin=True)
        i += 1
    for k in range(5):  # five persons with two leads, no origin yet
        first, second = s.lead(i, 40 + k), s.lead(i + 1, 12 + k)
        s.twice.append((first, second))
        s.person([first, second], s.driver(f"DRV-T{i:05d}", i), with_origin=False)
        i += 2
    for k in range(525):  # the rest of the 535 no_origin leads
        s.person([s.lead(i, 2 + k % 80)], s.driver(f"DRV-O{i:05d}", i), with_origin=False)
        i += 1
    s.person([GHOST_LEAD], s.driver("DRV-GHOST", 9999), with_origin=False)
    _no_identity(s, start=i)
    return s


def _no_identity(s: SeedState, *, start: int) -> None:
    """191 leads without identity: 188 aged >= 7 days, 3 aged 2, 4, 6; some findable."""
    ages = [8 + k % 90 for k in range(188)] + [2, 4, 6]
    groups: dict[str, list[str]] = {
        "phone": [],
        "plate": [],
        "other_park": [],
        "stranger": [],
        "nothing": [],
    }
    for k, age in enumerate(ages):
        i = start + k
        if k < N_PHONE:  # same phone, name and plate as a target-park driver
            phone = f"9{i:08d}"
            lead = s.lead(i, age, phone=phone)
            s.truth[lead] = s.driver(f"DRV-F{i:05d}", i, phone=phone)
            groups["phone"].append(lead)
        elif k < N_PHONE + N_PLATE:  # no phone; plate + name, hired just after the lead
            lead = s.lead(i, age)
            hire = s.lead_date(lead) + dt.timedelta(days=3)
            s.truth[lead] = s.driver(f"DRV-F{i:05d}", i, hire=hire)
            groups["plate"].append(lead)
        elif k < N_PHONE + N_PLATE + N_OTHER_PARK:  # the person drives for another park only
            phone = f"9{i:08d}"
            lead = s.lead(i, age, phone=phone)
            s.driver(f"DRV-X{i:05d}", i, park=OTHER_PARK, phone=phone)
            s.truth[lead] = None
            groups["other_park"].append(lead)
        elif k < N_PHONE + N_PLATE + N_OTHER_PARK + N_STRANGER:  # a stranger holds the plate
            lead = s.lead(i, age)
            s.driver(f"DRV-S{i:05d}", i, name_of=i + 5000)
            s.truth[lead] = None
            groups["stranger"].append(lead)
        else:
            lead = s.lead(i, age, plate=f"ZZ{i:05d}")
            s.truth[lead] = None
            groups["nothing"].append(lead)
    s.groups = groups


def write(s: SeedState, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("module_ct_cabinet_leads.csv", s.leads), ("drivers.csv", s.drivers),
        ("identity_registry.csv", s.registry), ("identity_links.csv", s.links),
        ("identity_origin.csv", s.origins),
    ):  # fmt: skip
        with (out / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return out
