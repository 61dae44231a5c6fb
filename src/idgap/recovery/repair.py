"""Step 1 of the job: close bookkeeping holes of records that already have a link.

- migration rows carry their driver_id: linked directly (migration link + driver link);
- a lead-type link whose person has no driver link gets the driver its stored matched decision
  named, or else the driver the engine auto-matches now - only if no other person holds it.
Both add to the caller's change-set, whose `finish` brings origins and gap status in line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa

from idgap.identity.changes import (
    LINK_SCHEMA,
    ChangeSet,
    driver_persons,
    json_text,
    new_person_key,
)
from idgap.identity.writer import direct_decisions, input_hashes, log_decisions
from idgap.recovery.sources import candidates_for
from idgap.source_tables import LEAD_TYPE_TABLES, SourceTable
from idgap.store.keys import in_keys
from idgap.store.tables import identity_links, match_decisions, migrations

BY = "recovery"
DRIVERS, MIGRATIONS = SourceTable.DRIVERS, SourceTable.MIGRATIONS
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


def _link(table: str, pk: str, person: str, rule: str, evidence: dict, **kw: object) -> tuple:
    return (person, table, pk, kw.get("snapshot_date"), rule, 100.0, "HIGH", json_text(evidence),
            kw.get("decision_id"))  # fmt: skip


def link_migrations(changes: ChangeSet, stats: RepairStats) -> None:
    """Unlinked migration rows -> person of their driver (else a new one) + both links."""
    conn, lk, m = changes.conn, identity_links, migrations
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
            new_people.append((owners[driver], "HIGH", driver))
            links.append(_link(DRIVERS, driver, owners[driver], "DRIVER_MATCH",
                               {"driver_id": driver, "migration": mid}))  # fmt: skip
        decisions.append(_direct_decision(mid, driver, hire))
    logged = log_decisions(conn, direct_decisions(decisions), run_id=changes.run_id,
                           now=changes.now, by=BY)  # fmt: skip
    decision_of = dict(zip(logged["source_pk"], logged["decision_id"], strict=True))
    for mid, driver, hire in pending:
        evidence = {"driver_id": driver, "hire_date": str(hire) if hire else None}
        links.append(_link(MIGRATIONS, mid, owners[driver], "MIGRATION_DRIVER_ID", evidence,
                           snapshot_date=hire, decision_id=decision_of[mid]))  # fmt: skip
    changes.add_persons(pl.DataFrame(new_people, schema=["person_key", "confidence", "driver_id"],
                                     orient="row"))  # fmt: skip
    changes.add_links(pl.DataFrame(links, schema=LINK_SCHEMA, orient="row"))
    stats.migrations_linked += len(pending)
    stats.persons.update(owners[p.driver_id] for p in pending)


def _direct_decision(mid: str, driver: str, hire: object) -> dict:
    evidence = {"driver_id": driver, "hire_date": str(hire) if hire else None}
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
    md, m = match_decisions, migrations
    named: dict[tuple[str, str], str] = {}
    for table in {o[0] for o in orphans}:
        stmt = (
            sa.select(md.c.source_pk, md.c.driver_id)
            .where(md.c.source_table == table, md.c.outcome == "matched",
                   md.c.driver_id.is_not(None),
                   in_keys(md.c.source_pk, [o[1] for o in orphans if o[0] == table]))
            .order_by(md.c.id)
        )  # fmt: skip
        named.update({(table, pk): d for pk, d in conn.execute(stmt)})  # the latest id wins
    mig = [o[1] for o in orphans if o[0] == MIGRATIONS]
    if mig:
        stmt = sa.select(m.c.id, m.c.driver_id).where(in_keys(m.c.id, mig))
        named.update({(MIGRATIONS, mid): driver for mid, driver in conn.execute(stmt)})
    return named


def repair_driver_links(changes: ChangeSet, stats: RepairStats, *, match: Matcher | None) -> None:
    conn = changes.conn
    orphans = orphan_links(conn)
    if not orphans:
        return
    named = _named_drivers(conn, orphans)
    rematch = [o for o in orphans if (o[0], o[1]) not in named]
    if rematch and match is not None:
        named.update(_rematched(changes, rematch, match))
    owners = driver_persons(conn, list(named.values()))
    rematched = {(o[0], o[1]) for o in rematch}
    links = []
    for table, pk, person in orphans:  # earliest record first
        driver = named.get((table, pk))
        if driver is None or driver in owners or person in stats.persons:
            continue  # never steal a driver another person holds; one driver per repair
        owners[driver] = person
        links.append(_link(DRIVERS, driver, person, "DRIVER_MATCH",
                           {"driver_id": driver, "repaired_from": f"{table}/{pk}"}))  # fmt: skip
        stats.persons.add(person)
        if (table, pk) in rematched:
            stats.driver_links_rematched += 1
        else:
            stats.driver_links_from_decisions += 1
    changes.add_links(pl.DataFrame(links, schema=LINK_SCHEMA, orient="row"))
    with_driver = {link[0] for link in links}
    stats.still_without_driver = len({o[2] for o in orphans} - with_driver)


def _rematched(
    changes: ChangeSet, orphans: list[tuple[str, str, str]], match: Matcher
) -> dict[tuple[str, str], str]:
    """Decide the orphans' records again; keep the auto-matched target-park drivers."""
    conn = changes.conn
    frames = [
        f
        for table in {o[0] for o in orphans}
        if (f := candidates_for(conn, table, [o[1] for o in orphans if o[0] == table])) is not None
    ]
    if not frames:
        return {}
    decisions = match(pl.concat(frames, how="vertical_relaxed"))
    decisions = decisions.unique(["source_table", "source_pk"], keep="last", maintain_order=True)
    decisions = decisions.with_columns(input_hash=input_hashes(decisions))
    log_decisions(conn, decisions, run_id=changes.run_id, now=changes.now, by=BY)
    auto = decisions.filter((pl.col("outcome") == "matched") & pl.col("driver_id").is_not_null())
    return {(t, pk): d for t, pk, d in auto.select("source_table", "source_pk", "driver_id").rows()}


__all__ = ["RepairStats", "link_migrations", "orphan_links", "repair_driver_links"]
