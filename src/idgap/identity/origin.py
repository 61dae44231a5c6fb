"""The one origin rule (SPEC §3), a pure function of a person's links, and its writer.

Priority cabinet_lead > scout_registration > migration > legacy_external, then the earliest
lead date, then the smallest source id. Because the rule only reads the links, re-running it
computes the same answer and writes nothing: no job can flip an origin back and forth.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from idgap.identity.persons import bulk_insert
from idgap.store.tables import identity_links, identity_origin, identity_origin_history

RULESET_VERSION = "origin-1"
RULE_TEXT = (
    "priority cabinet_lead > scout_registration > migration > legacy_external, "
    "then earliest date, then smallest id"
)
TAGS = {
    "module_ct_cabinet_leads": ("cabinet_lead", 4),
    "module_ct_scouting_daily": ("scout_registration", 3),
    "module_ct_migrations": ("migration", 2),
    "drivers": ("legacy_external", 1),
}


@dataclass(frozen=True)
class LinkRef:
    source_table: str
    source_pk: str
    snapshot_date: dt.date | None


@dataclass(frozen=True)
class Origin:
    tag: str
    source_table: str
    source_id: str
    date: dt.date | None


def choose_origin(links: Iterable[LinkRef]) -> Origin | None:
    """Highest-priority source, then earliest date, then smallest id; None without links."""
    ranked = [
        (-TAGS[link.source_table][1], link.snapshot_date or dt.date.max, link.source_pk, link)
        for link in links
        if link.source_table in TAGS
    ]
    if not ranked:
        return None
    *_, best = min(ranked, key=lambda r: r[:3])
    return Origin(TAGS[best.source_table][0], best.source_table, best.source_pk, best.snapshot_date)


@dataclass
class OriginStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def ensure_origins(
    conn: sa.Connection,
    person_keys: Sequence[str] | None,
    *,
    now: dt.datetime,
    run_id: int | None,
    changed_by: str,
    reason: str = "origin rule",
    dry_run: bool = False,
) -> OriginStats:
    """Bring the stored origin of each person in line with the rule (None = every person)."""
    lk, og = identity_links, identity_origin
    q = sa.select(lk.c.person_key, lk.c.source_table, lk.c.source_pk, lk.c.snapshot_date)
    cur_q = sa.select(
        og.c.person_key, og.c.origin_tag, og.c.origin_source_table, og.c.origin_source_id
    )
    links: dict[str, list[LinkRef]] = defaultdict(list)
    current: dict[str, tuple] = {}
    keys = list(person_keys) if person_keys is not None else None
    for part in [None] if keys is None else [keys[i : i + 900] for i in range(0, len(keys), 900)]:
        lq = q if part is None else q.where(lk.c.person_key.in_(part))
        cq = cur_q if part is None else cur_q.where(og.c.person_key.in_(part))
        for pk, table, spk, snap in conn.execute(lq):
            links[pk].append(LinkRef(table, spk, snap))
        current.update({r[0]: tuple(r[1:]) for r in conn.execute(cq)})
    stats = OriginStats()
    inserts, updates, history = [], [], []
    for person in sorted(links):
        refs = links[person]
        origin = choose_origin(refs)
        if origin is None:
            continue
        old = current.get(person)
        new = (origin.tag, origin.source_table, origin.source_id)
        if old == new:
            stats.unchanged += 1
            continue
        values = {
            "origin_tag": origin.tag,
            "origin_source_table": origin.source_table,
            "origin_source_id": origin.source_id,
            "origin_date": origin.date,
            "origin_confidence": 50.0 if origin.tag == "legacy_external" else 95.0,
            "ruleset_version": RULESET_VERSION,
            "decided_by": changed_by,
            "resolution_status": "resolved_auto",
            "updated_at": now,
            "evidence": {"links": len(refs), "rule": RULE_TEXT},
        }
        history.append(_history_row(person, old, new, changed_by, reason, run_id, now))
        if old:
            stats.updated += 1
            updates.append({**values, "k_person": person})
        else:
            stats.created += 1
            inserts.append({"person_key": person, "created_at": now, **values})
    if not dry_run:
        if inserts:
            bulk_insert(conn, og, inserts)
        if updates:
            stmt = (
                og.update()
                .where(og.c.person_key == sa.bindparam("k_person"))
                .values({k: sa.bindparam(k) for k in updates[0] if k != "k_person"})
            )
            conn.execute(stmt, updates)
        if history:
            bulk_insert(conn, identity_origin_history, history)
    return stats


def _history_row(
    person: str,
    old: tuple | None,
    new: tuple,
    changed_by: str,
    reason: str,
    run_id: int | None,
    now: dt.datetime,
) -> dict:
    return {
        "person_key": person,
        "action": "update" if old else "insert",
        "origin_tag_old": old[0] if old else None,
        "origin_source_table_old": old[1] if old else None,
        "origin_source_id_old": old[2] if old else None,
        "origin_tag_new": new[0],
        "origin_source_table_new": new[1],
        "origin_source_id_new": new[2],
        "changed_by": changed_by,
        "change_reason": reason,
        "run_id": run_id,
        "changed_at": now,
    }
