"""Step 1 of the job: close bookkeeping holes without any matching."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from idgap.identity.origin import ensure_origins
from idgap.identity.writer import driver_persons, link_row
from idgap.store.tables import identity_links, match_decisions, migrations, persons

LEADS = "module_ct_cabinet_leads"


def repair_driver_links(
    conn: sa.Connection, *, now: dt.datetime, run_id: int | None, dry_run: bool
) -> int:
    """A lead link whose person has no driver link gets the driver its matched decision named."""
    lk = identity_links
    drv = lk.alias("drv")
    has_driver = sa.exists().where(
        drv.c.person_key == lk.c.person_key, drv.c.source_table == "drivers"
    )
    orphans = conn.execute(
        sa.select(lk.c.source_pk, lk.c.person_key).where(lk.c.source_table == LEADS, ~has_driver)
    ).all()
    if not orphans:
        return 0
    md = match_decisions
    named = dict(
        conn.execute(
            sa.select(md.c.source_pk, md.c.driver_id).where(
                md.c.source_table == LEADS,
                md.c.outcome == "matched",
                md.c.driver_id.is_not(None),
                md.c.source_pk.in_([o[0] for o in orphans]),
            )
        ).all()
    )
    owners = driver_persons(conn, list(set(named.values())))
    links = []
    for lead, person in orphans:
        d = named.get(lead)
        if d and d not in owners:  # never steal a driver another person already holds
            owners[d] = person
            links.append(
                link_row(
                    "drivers",
                    d,
                    person,
                    None,
                    "DRIVER_MATCH",
                    100.0,
                    "HIGH",
                    {"repaired_from": lead},
                    run_id,
                    now,
                    "recovery",
                )
            )
    if links and not dry_run:
        conn.execute(lk.insert(), links)
    return len(links)


def link_migrations(
    conn: sa.Connection, *, now: dt.datetime, run_id: int | None, dry_run: bool
) -> int:
    """Migration rows carry their driver_id: link them directly, with the driver link."""
    lk, m = identity_links, migrations
    pending = conn.execute(
        sa.select(m.c.id, m.c.driver_id, m.c.hire_date)
        .select_from(
            m.outerjoin(lk, sa.and_(lk.c.source_table == m.name, lk.c.source_pk == m.c.id))
        )
        .where(lk.c.id.is_(None))
    ).all()
    if not pending or dry_run:
        return len(pending)
    owners = driver_persons(conn, [p[1] for p in pending])
    new_people, links = [], []
    for mid, driver, hire in pending:
        if driver not in owners:
            owners[driver] = str(uuid.uuid4())
            new_people.append(
                {
                    "person_key": owners[driver],
                    "status": "active",
                    "confidence": "HIGH",
                    "created_at": now,
                    "updated_at": now,
                    "created_by": "recovery",
                }
            )
            links.append(
                link_row(
                    "drivers",
                    driver,
                    owners[driver],
                    None,
                    "DRIVER_MATCH",
                    100.0,
                    "HIGH",
                    {"migration": mid},
                    run_id,
                    now,
                    "recovery",
                )
            )
        links.append(
            link_row(
                m.name,
                mid,
                owners[driver],
                hire,
                "MIGRATION_DRIVER_ID",
                100.0,
                "HIGH",
                {"driver_id": driver},
                run_id,
                now,
                "recovery",
            )
        )
    if new_people:
        conn.execute(persons.insert(), new_people)
    conn.execute(lk.insert(), links)
    ensure_origins(
        conn,
        sorted({link["person_key"] for link in links}),
        now=now,
        run_id=run_id,
        changed_by="recovery",
        reason="migration linked",
    )
    return len(pending)
