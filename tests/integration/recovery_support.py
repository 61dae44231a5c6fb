"""A tiny, hand-written park seeded straight into the store (no intake), and invariant checks.

Drivers d1..d4 are in the target park; d9 is in another park. Leads:
L1 phone+name+plate of d1 (auto-match), L2 plate+name of d2 (auto-match), L3 nobody
(NO_CANDIDATES), L4 only d9 in another park (review), L5 a second, later lead of d1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa

from idgap.config import YEGO_PARK_ID, Settings
from idgap.store.tables import (
    cabinet_leads,
    drivers,
    identity_links,
    identity_origin,
    identity_origin_history,
    identity_unmatched,
    link_history,
    match_decisions,
    migrations,
    persons,
    scouting_daily,
)

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SETTINGS = Settings(database_url="sqlite://", recovery_batch_size=2)
LEADS = "module_ct_cabinet_leads"

DRIVERS = [  # driver_id, park, phone, name, plate, model, hire date
    ("d1", YEGO_PARK_ID, "51987654321", "JUAN CARLOS PEREZ GOMEZ", "ABC123", "Yaris", "2026-11-10"),
    ("d2", YEGO_PARK_ID, "51911122233", "MARIA LUISA TORRES DIAZ", "XYZ789", "Rio", "2026-11-12"),
    ("d3", YEGO_PARK_ID, "51922233344", "ROSA ELENA QUISPE MAMANI", "KLM456", "Sail", "2026-11-01"),
    (
        "d4",
        YEGO_PARK_ID,
        "51933344455",
        "LUIS ALBERTO CHAVEZ ROJAS",
        "PQR321",
        "Accent",
        "2026-10-20",
    ),
    ("d9", "otherpark", "51955566677", "PEDRO PABLO RAMOS SOTO", "QQQ111", "Rio", "2026-11-12"),
]
LEAD_ROWS = [
    ("L1", "2026-11-09", "987654321", "Juan", "Carlos", "Perez Gomez", "ABC123", "Yaris"),
    ("L2", "2026-11-11", None, "Maria", None, "Torres Diaz", "XYZ789", "Rio"),
    ("L3", "2026-11-20", "900000001", "Nadie", None, "Nunca Jamas", "ZZZ000", "Rio"),
    ("L4", "2026-11-21", "955566677", "Pedro Pablo", None, "Ramos Soto", None, None),
    ("L5", "2026-11-15", "987654321", "Juan Carlos", None, "Perez Gomez", "ABC123", "Yaris"),
]


def _hash(row: dict[str, Any]) -> str:
    text = "|".join(f"{k}={row[k]}" for k in sorted(row))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _book(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    return {**row, "idgap_row_hash": _hash(row), "idgap_loaded_at": now, "idgap_changed_at": now}


def driver_row(driver_id, park, phone, name, plate, model, hire) -> dict[str, Any]:
    return {
        "driver_id": driver_id, "park_id": park, "phone": phone, "full_name": name,
        "car_number": plate, "car_model": model, "car_brand": None,
        "hire_date": dt.date.fromisoformat(hire),
    }  # fmt: skip


def lead_row(lead_id, day, phone, first, middle, last, plate, model) -> dict[str, Any]:
    d = dt.date.fromisoformat(day)
    return {
        "lead_id": lead_id, "id": lead_id, "external_id": None,
        "lead_created_at": dt.datetime.combine(d, dt.time(10)), "lead_date": d,
        "park_phone": phone, "first_name": first, "middle_name": middle, "last_name": last,
        "asset_plate_number": plate, "asset_model": model,
    }  # fmt: skip


def add_drivers(engine: sa.Engine, rows=DRIVERS, now: dt.datetime = NOW) -> None:
    with engine.begin() as conn:
        conn.execute(drivers.insert(), [_book(driver_row(*r), now) for r in rows])


def add_leads(engine: sa.Engine, rows=LEAD_ROWS, now: dt.datetime = NOW) -> None:
    with engine.begin() as conn:
        conn.execute(cabinet_leads.insert(), [_book(lead_row(*r), now) for r in rows])


def update_lead(engine: sa.Engine, lead_id: str, now: dt.datetime, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            cabinet_leads.update()
            .where(cabinet_leads.c.lead_id == lead_id)
            .values(**values, idgap_row_hash=_hash(values), idgap_changed_at=now)
        )


def add_scouting(engine: sa.Engine, sid: str, phone: str, lic: str | None, name: str, day: str):
    row = {
        "id": sid, "scout_id": "s1", "driver_phone": phone, "driver_license": lic,
        "driver_name": name, "registration_date": dt.date.fromisoformat(day),
    }  # fmt: skip
    with engine.begin() as conn:
        conn.execute(scouting_daily.insert(), [_book(row, NOW)])


def add_migration(engine: sa.Engine, mid: str, driver_id: str, hire: str) -> None:
    row = {"id": mid, "driver_id": driver_id, "hire_date": dt.date.fromisoformat(hire)}
    with engine.begin() as conn:
        conn.execute(migrations.insert(), [_book(row, NOW)])


def seed(engine: sa.Engine, now: dt.datetime = NOW) -> None:
    add_drivers(engine, now=now)
    add_leads(engine, now=now)


def links(conn: sa.Connection) -> dict[tuple[str, str], str]:
    lk = identity_links
    return {
        (t, pk): p
        for t, pk, p in conn.execute(sa.select(lk.c.source_table, lk.c.source_pk, lk.c.person_key))
    }


def origins(conn: sa.Connection) -> dict[str, tuple[str, str]]:
    og = identity_origin
    return {
        p: (tag, src)
        for p, tag, src in conn.execute(
            sa.select(og.c.person_key, og.c.origin_tag, og.c.origin_source_id)
        )
    }


COUNTED = (
    persons, identity_links, link_history, identity_origin, identity_origin_history,
    match_decisions, identity_unmatched,
)  # fmt: skip


def counts(conn: sa.Connection) -> dict[str, int]:
    return {
        t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        for t in COUNTED
    }


def invariant_violations(conn: sa.Connection) -> list[str]:
    """Lead-type link without driver link; linked person without origin; linked and open."""
    lk = identity_links
    drv = lk.alias("d")
    no_driver = conn.execute(
        sa.select(lk.c.source_pk).where(
            lk.c.source_table == LEADS,
            ~sa.exists().where(
                drv.c.person_key == lk.c.person_key, drv.c.source_table == "drivers"
            ),
        )
    ).scalars()
    no_origin = conn.execute(
        sa.select(lk.c.source_pk).where(
            ~sa.exists().where(identity_origin.c.person_key == lk.c.person_key)
        )
    ).scalars()
    u = identity_unmatched
    open_and_linked = conn.execute(
        sa.select(u.c.source_pk).where(
            u.c.status == "OPEN",
            sa.exists().where(
                lk.c.source_table == u.c.source_table, lk.c.source_pk == u.c.source_pk
            ),
        )
    ).scalars()
    return (
        [f"no driver: {x}" for x in no_driver]
        + [f"no origin: {x}" for x in no_origin]
        + [f"open but linked: {x}" for x in open_and_linked]
    )
