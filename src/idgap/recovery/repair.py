"""Step 1 of the job: close bookkeeping holes of records that already have a link.

- migration rows carry their driver_id: linked directly (migration link + driver link);
- a lead-type link whose person has no driver link gets the driver its stored matched decision
  named, or else the driver the engine auto-matches now - only if no other person holds it.
Both run in the caller's transaction; origins are brought in line by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa

from idgap.identity.persons import (
    DRIVERS,
    LEAD_TYPE_TABLES,
    MIGRATIONS,
    driver_link_row,
    driver_persons,
    in_chunks,
    insert_links,
    insert_persons,
    link_row,
    new_person_key,
    person_row,
)
from idgap.identity.writer import append_decisions, prepare_rows
from idgap.recovery.sources import candidates_for
from idgap.store.tables import identity_links, match_decisions, migrations

BY = "recovery"
Matcher = Callable[[pl.DataFrame], pl.DataFrame]  # candidates -> decisions


@dataclass
class RepairStats:
    migrations_linked: int = 0
    driver_links_from_decisions: int = 0
    driver_links_rematched: int = 0
    still_without_driver: int = 0
    persons: set[str] = field(default_factory=set)  # persons whose links changed

    @property
    def driver_links(self) -> int:
        return self.driver_links_from_decisions + self.driver_links_rematched


def link_migrations(
    conn: sa.Connection, stats: RepairStats, *, now: dt.datetime, run_id: int | None
) -> None:
    """Unlinked migration rows -> person of their driver (else a new one) + both links."""
    lk, m = identity_links, migrations
    pending = conn.execute(
        sa.select(m.c.id, m.c.driver_id, m.c.hire_date)
        .select_from(
            m.outerjoin(lk, sa.and_(lk.c.source_table == m.name, lk.c.source_pk == m.c.id))
        )
        .where(lk.c.id.is_(None))
        .order_by(m.c.hire_date, m.c.id)
    ).all()
    if not pending:
        return
    owners = driver_persons(conn, [p.driver_id for p in pending])
    new_people, links, decisions = [], [], []
    for mid, driver, hire in pending:
        if driver not in owners:
            owners[driver] = new_person_key()
            new_people.append({**person_row(owners[driver], now=now, by=BY), "_driver_id": driver})
            links.append(
                driver_link_row(
                    driver, owners[driver], evidence={"migration": mid}, run_id=run_id, now=now,
                    by=BY,
                )
            )  # fmt: skip
        evidence = {"driver_id": driver, "hire_date": str(hire) if hire else None}
        links.append(
            link_row(MIGRATIONS, mid, owners[driver], hire, "MIGRATION_DRIVER_ID", 100.0, "HIGH",
                     evidence, run_id, now, BY)
        )  # fmt: skip
        decisions.append(_direct_decision(mid, driver, evidence))
    insert_persons(conn, new_people)
    append_decisions(conn, decisions, run_id=run_id, now=now, by=BY)
    decision_of = {d["source_pk"]: d["decision_id"] for d in decisions}
    for link in links:
        if link["source_table"] == MIGRATIONS:
            link["decision_id"] = decision_of[link["source_pk"]]
    insert_links(conn, links, by=BY, run_id=run_id, now=now)
    stats.migrations_linked += len(pending)
    stats.persons.update(owners[p.driver_id] for p in pending)


def _direct_decision(mid: str, driver: str, evidence: dict) -> dict:
    return {
        "source_table": MIGRATIONS, "source_pk": mid, "outcome": "matched", "driver_id": driver,
        "rule": "MIGRATION_DRIVER_ID", "score": 100.0, "confidence": "HIGH",
        "reason_code": "MIGRATION_DRIVER_ID", "evidence": evidence, "candidates": [],
        "ruleset": "direct", "ruleset_version": "1", "index_version": None, "input_hash": None,
    }  # fmt: skip


def orphan_links(conn: sa.Connection) -> list[tuple[str, str, str]]:
    """(source_table, source_pk, person_key) of lead-type links whose person has no driver."""
    lk = identity_links
    drv = lk.alias("drv")
    has_driver = sa.exists().where(
        drv.c.person_key == lk.c.person_key, drv.c.source_table == DRIVERS
    )
    stmt = (
        sa.select(lk.c.source_table, lk.c.source_pk, lk.c.person_key)
        .where(lk.c.source_table.in_(LEAD_TYPE_TABLES), ~has_driver)
        .order_by(lk.c.snapshot_date, lk.c.source_pk)
    )
    return [tuple(r) for r in conn.execute(stmt).all()]  # type: ignore[misc]


def _named_drivers(conn: sa.Connection, orphans: list[tuple[str, str, str]]) -> dict:
    """(table, pk) -> driver_id of its latest matched decision (or its migration's driver)."""
    md = match_decisions
    named: dict[tuple[str, str], str] = {}
    for table in {o[0] for o in orphans}:
        pks = [o[1] for o in orphans if o[0] == table]

        def stmt(chunk: list, t: str = table) -> sa.Select:
            return (
                sa.select(md.c.source_pk, md.c.driver_id)
                .where(md.c.source_table == t, md.c.outcome == "matched",
                       md.c.driver_id.is_not(None), md.c.source_pk.in_(chunk))
                .order_by(md.c.id)
            )  # fmt: skip

        rows = in_chunks(conn, stmt, pks)
        named.update({(table, pk): d for pk, d in rows})  # ordered by id: the latest wins
    m = migrations
    mig = [o[1] for o in orphans if o[0] == MIGRATIONS]
    for mid, driver in in_chunks(
        conn, lambda k: sa.select(m.c.id, m.c.driver_id).where(m.c.id.in_(k)), mig
    ):
        named[(MIGRATIONS, mid)] = driver
    return named


def repair_driver_links(
    conn: sa.Connection,
    stats: RepairStats,
    *,
    match: Matcher | None,
    now: dt.datetime,
    run_id: int | None,
) -> None:
    orphans = orphan_links(conn)
    if not orphans:
        return
    named = _named_drivers(conn, orphans)
    rematch = [o for o in orphans if (o[0], o[1]) not in named]
    if rematch and match is not None:
        named.update(_rematched(conn, rematch, match, now=now, run_id=run_id))
    owners = driver_persons(conn, list(named.values()))
    rematched = {(o[0], o[1]) for o in rematch}
    links = []
    for table, pk, person in orphans:  # earliest record first
        driver = named.get((table, pk))
        if driver is None or driver in owners or person in stats.persons:
            continue  # never steal a driver another person holds; one driver per repair
        owners[driver] = person
        links.append(
            driver_link_row(driver, person, evidence={"repaired_from": f"{table}/{pk}"},
                            run_id=run_id, now=now, by=BY)
        )  # fmt: skip
        stats.persons.add(person)
        if (table, pk) in rematched:
            stats.driver_links_rematched += 1
        else:
            stats.driver_links_from_decisions += 1
    insert_links(conn, links, by=BY, run_id=run_id, now=now)
    with_driver = {link["person_key"] for link in links}
    stats.still_without_driver = len({o[2] for o in orphans} - with_driver)


def _rematched(
    conn: sa.Connection,
    orphans: list[tuple[str, str, str]],
    match: Matcher,
    *,
    now: dt.datetime,
    run_id: int | None,
) -> dict[tuple[str, str], str]:
    """Decide the orphans' records again; keep the auto-matched target-park drivers."""
    frames = [
        f
        for table in {o[0] for o in orphans}
        if (f := candidates_for(conn, table, [o[1] for o in orphans if o[0] == table])) is not None
    ]
    if not frames:
        return {}
    decisions = match(pl.concat(frames, how="vertical_relaxed"))
    rows = prepare_rows(decisions.to_dicts())
    append_decisions(conn, rows, run_id=run_id, now=now, by=BY)
    return {
        (r["source_table"], r["source_pk"]): r["driver_id"]
        for r in rows
        if r["outcome"] == "matched" and r["driver_id"]
    }


__all__ = ["RepairStats", "link_migrations", "orphan_links", "repair_driver_links"]
