"""What changed since the search keys were last fully synced: a watermark and the dirty set.

A full re-sync recomputes and compares the keys of every lead and person (seconds at 100,000
leads), so after the first one a whole-store refresh re-keys only the entities whose inputs
carry a timestamp at or after the watermark: lead rows and driver rows changed
(`idgap_changed_at`), persons updated, links made, links moved or removed (`link_history`).
The watermark is the newest such timestamp seen, kept in `search_sources` under the entity
'state' (its digest column holds the ISO time); `>=` re-reads the boundary, so writes stamped
with the same instant are never missed. Writers that name their leads do not go through here.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from idgap.store.tables import (
    cabinet_leads,
    drivers,
    identity_links,
    link_history,
    persons,
    search_sources,
)

LEADS, DRIVERS = "module_ct_cabinet_leads", "drivers"
STATE, WATERMARK = "state", "watermark"
lk, lh, ss = identity_links, link_history, search_sources


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def read_watermark(conn: sa.Connection) -> dt.datetime | None:
    text = conn.execute(
        sa.select(ss.c.digest).where(ss.c.entity == STATE, ss.c.entity_id == WATERMARK)
    ).scalar()
    return dt.datetime.fromisoformat(text) if text else None


def newest_change(conn: sa.Connection) -> dt.datetime | None:
    """The newest timestamp among the inputs of the search keys."""
    cols = (cabinet_leads.c.idgap_changed_at, drivers.c.idgap_changed_at, persons.c.updated_at,
            lk.c.linked_at, lh.c.changed_at)  # fmt: skip
    stamps = [conn.execute(sa.select(sa.func.max(c))).scalar() for c in cols]
    found = [_aware(s) for s in stamps if s is not None]
    return max(found) if found else None


def write_watermark(conn: sa.Connection, stamp: dt.datetime | None) -> None:
    if stamp is None:
        return
    conn.execute(ss.delete().where(ss.c.entity == STATE, ss.c.entity_id == WATERMARK))
    text = stamp.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    conn.execute(ss.insert().values(entity=STATE, entity_id=WATERMARK, digest=text[:32]))


def changed_since(conn: sa.Connection, since: dt.datetime) -> tuple[list[str], list[str]]:
    """(lead ids, person keys) whose search keys may have moved since `since`."""
    leads = set(conn.execute(
        sa.select(cabinet_leads.c.lead_id).where(cabinet_leads.c.idgap_changed_at >= since)
    ).scalars())  # fmt: skip
    people = set(conn.execute(
        sa.select(persons.c.person_key).where(persons.c.updated_at >= since)
    ).scalars())  # fmt: skip
    people |= set(conn.execute(sa.select(lk.c.person_key).where(lk.c.linked_at >= since)).scalars())
    for table, pk, old, new in conn.execute(
        sa.select(lh.c.source_table, lh.c.source_pk, lh.c.person_key_old, lh.c.person_key_new)
        .where(lh.c.changed_at >= since)
    ):  # fmt: skip
        people |= {k for k in (old, new) if k}
        if table == LEADS:
            leads.add(pk)
    changed_drivers = (
        sa.select(lk.c.person_key)
        .join(drivers, drivers.c.driver_id == lk.c.source_pk)
        .where(lk.c.source_table == DRIVERS, drivers.c.idgap_changed_at >= since)
    )
    people |= set(conn.execute(changed_drivers).scalars())
    from idgap.identity.changes import leads_of_persons  # changes -> gaps.status -> here

    leads |= set(leads_of_persons(conn, sorted(people)))  # their keys hold the person's data
    return sorted(leads), sorted(people)
