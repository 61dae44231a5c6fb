"""Write engine decisions: lead link + driver link + origin in one transaction (SPEC §3).

`apply_decisions` runs inside the caller's transaction, so a batch is written whole or not at
all. Every step is set-based (executemany / chunked IN lists): a constant number of statements
per batch, whatever its size.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
import polars as pl
import sqlalchemy as sa

from idgap.config import Settings
from idgap.gaps.status import refresh_lead_status
from idgap.identity.origin import ensure_origins
from idgap.identity.persons import (
    CHUNK,
    LEADS,
    as_date,
    bulk_insert,
    driver_link_row,
    driver_persons,
    in_chunks,
    insert_links,
    insert_persons,
    leads_of_persons,
    link_row,
    linked_keys,
    new_person_key,
    person_row,
)
from idgap.store.tables import (
    identity_links,
    identity_origin,
    identity_origin_history,
    identity_unmatched,
    lead_status,
    link_history,
    match_decisions,
    persons,
)

__all__ = [
    "WriteStats",
    "append_decisions",
    "apply_decisions",
    "driver_persons",
    "input_hash",
    "link_row",
    "prepare_rows",
]
MAX_CANDIDATES = 5
# every table `apply_decisions` writes (callers refresh their planner statistics as they grow)
WRITTEN_TABLES = (
    match_decisions, persons, identity_links, link_history, identity_origin,
    identity_origin_history, identity_unmatched, lead_status,
)  # fmt: skip


@dataclass
class WriteStats:
    matched: int = 0
    review: int = 0
    unmatched: int = 0
    persons_created: int = 0
    driver_links_created: int = 0
    origins_created: int = 0
    queue_resolved: int = 0
    skipped_already_linked: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)

    def add(self, other: WriteStats) -> None:
        for k, v in asdict(other).items():
            if isinstance(v, dict):
                mine = getattr(self, k)
                for r, n in v.items():
                    mine[r] = mine.get(r, 0) + n
            else:
                setattr(self, k, getattr(self, k) + v)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def input_hash(evidence: dict[str, Any]) -> str:
    """Hash of what the decision was made from (normalised inputs + date)."""
    basis = orjson.dumps(
        {"inputs": evidence.get("inputs"), "lead_date": evidence.get("lead_date")},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.md5(basis, usedforsecurity=False).hexdigest()


def apply_decisions(
    conn: sa.Connection,
    decisions: pl.DataFrame,
    *,
    run_id: int | None,
    now: dt.datetime,
    settings: Settings,
    decided_by: str = "system",
    input_hashes: dict[str, str] | None = None,
) -> WriteStats:
    """Append every decision, link the matched, queue the rest, then origins and gap status.

    Records that already have a link are skipped: a linked lead never changes person here
    (stable keys; only merge/split move links).
    """
    stats = WriteStats()
    if decisions.height == 0:
        return stats
    rows = _fresh_rows(conn, decisions, stats)
    if not rows:
        return stats
    prepare_rows(rows, input_hashes)
    for r in rows:
        stats.by_reason[r["reason_code"]] = stats.by_reason.get(r["reason_code"], 0) + 1
    matched = [r for r in rows if r["outcome"] == "matched" and r["driver_id"]]
    others = [r for r in rows if not (r["outcome"] == "matched" and r["driver_id"])]
    _assign_persons(conn, matched)  # before the log, so each decision names its person
    append_decisions(conn, rows, run_id=run_id, now=now, by=decided_by)
    persons_touched = _link_matched(conn, matched, stats, run_id=run_id, now=now, by=decided_by)
    _queue_others(conn, others, stats, run_id=run_id, now=now)
    stats.queue_resolved = resolve_queue_rows(
        conn, [(r["source_table"], r["source_pk"]) for r in matched], now=now, by=decided_by
    )
    stats.origins_created = ensure_origins(
        conn,
        persons_touched,
        now=now,
        run_id=run_id,
        changed_by=decided_by,
        reason="link created by matching",
    ).created
    leads = {r["source_pk"] for r in rows if r["source_table"] == LEADS}
    leads.update(leads_of_persons(conn, persons_touched))
    refresh_lead_status(conn, sorted(leads), today=now.date(), settings=settings, now=now)
    return stats


def _fresh_rows(conn: sa.Connection, decisions: pl.DataFrame, stats: WriteStats) -> list[dict]:
    """Decisions of records without a link, one per record (the last one wins)."""
    unique = decisions.unique(
        subset=["source_table", "source_pk"], keep="last", maintain_order=True
    )
    rows = unique.to_dicts()
    linked: set[tuple[str, str]] = set()
    for table in {r["source_table"] for r in rows}:
        pks = [r["source_pk"] for r in rows if r["source_table"] == table]
        linked.update((table, pk) for pk in linked_keys(conn, table, pks))
    fresh = [r for r in rows if (r["source_table"], r["source_pk"]) not in linked]
    stats.skipped_already_linked = decisions.height - len(fresh)
    return fresh


def prepare_rows(rows: list[dict], input_hashes: dict[str, str] | None = None) -> list[dict]:
    """Parse the JSON columns of decision rows (in place) and add their input hash."""
    for r in rows:
        r["evidence"] = orjson.loads(r["evidence_json"])
        r["candidates"] = orjson.loads(r["candidates_json"] or "[]")[:MAX_CANDIDATES]
        r["input_hash"] = (input_hashes or {}).get(r["source_pk"]) or input_hash(r["evidence"])
    return rows


def append_decisions(
    conn: sa.Connection, rows: list[dict], *, run_id: int | None, now: dt.datetime, by: str
) -> None:
    """match_decisions is append-only; the new ids are kept on the rows (decision_id)."""
    md = match_decisions
    values = [
        {
            "source_table": r["source_table"],
            "source_pk": r["source_pk"],
            "run_id": run_id,
            "outcome": r["outcome"],
            "driver_id": r["driver_id"],
            "person_key": r.get("person_key"),
            "rule": r["rule"],
            "score": r["score"],
            "probability": r.get("probability"),
            "confidence": r["confidence"],
            "reason_code": r["reason_code"],
            "evidence": r["evidence"],
            "candidates": r["candidates"],
            "ruleset": r["ruleset"],
            "ruleset_version": r["ruleset_version"],
            "index_version": r["index_version"],
            "input_hash": r["input_hash"],
            "decided_by": by,
            "decided_at": now,
        }
        for r in rows
    ]
    # ids read back in one query: RETURNING with executemany goes row by row on SQLite
    before = conn.execute(sa.select(sa.func.coalesce(sa.func.max(md.c.id), 0))).scalar_one()
    bulk_insert(conn, md, values)
    new_ids = {
        (t, pk): i
        for i, t, pk in conn.execute(
            sa.select(md.c.id, md.c.source_table, md.c.source_pk).where(
                md.c.id > before, md.c.decided_by == by, md.c.decided_at == now
            )
        ).all()
    }  # the latest id per record wins: a record appears once per call
    for r in rows:
        r["decision_id"] = new_ids[(r["source_table"], r["source_pk"])]


def _assign_persons(conn: sa.Connection, matched: list[dict]) -> None:
    """Person of each matched record: the holder of its driver, else a new person.

    Earliest record first, so which decision creates a person does not depend on batch order.
    Sets `person_key` and, on the record that creates the person, `new_person`.
    """
    if not matched:
        return
    owner = driver_persons(conn, [r["driver_id"] for r in matched])
    matched.sort(key=lambda r: (str(r["evidence"].get("lead_date")), r["source_pk"]))
    for r in matched:
        d = r["driver_id"]
        r["new_person"] = d not in owner
        if d not in owner:
            owner[d] = new_person_key()
        r["person_key"] = owner[d]


def _link_matched(
    conn: sa.Connection,
    matched: list[dict],
    stats: WriteStats,
    *,
    run_id: int | None,
    now: dt.datetime,
    by: str,
) -> list[str]:
    """Lead links; a new person also gets its driver link in the same statement batch."""
    if not matched:
        return []
    new_people, links = [], []
    for r in matched:
        d, person = r["driver_id"], r["person_key"]
        if r["new_person"]:
            new_people.append(
                {**person_row(person, now=now, by=by, confidence=r["confidence"]), "_driver_id": d}
            )
            links.append(
                driver_link_row(
                    d,
                    person,
                    evidence={"linked_from": f"{r['source_table']}/{r['source_pk']}"},
                    run_id=run_id,
                    now=now,
                    by=by,
                    decision_id=r["decision_id"],
                )
            )
            stats.driver_links_created += 1
        links.append(
            link_row(
                r["source_table"],
                r["source_pk"],
                person,
                r["evidence"].get("lead_date"),
                r["rule"],
                r["score"],
                r["confidence"],
                {**r["evidence"], "driver_id": d},
                run_id,
                now,
                by,
                r["decision_id"],
            )
        )
        rule = r["rule"] or "MATCH"
        stats.by_rule[rule] = stats.by_rule.get(rule, 0) + 1
    insert_persons(conn, new_people)
    insert_links(conn, links, by=by, run_id=run_id, now=now)
    stats.matched += len(matched)
    stats.persons_created += len(new_people)
    return sorted({link["person_key"] for link in links})


def _queue_others(
    conn: sa.Connection,
    rows: list[dict],
    stats: WriteStats,
    *,
    run_id: int | None,
    now: dt.datetime,
) -> None:
    """Upsert the review/unmatched queue row of each record (status back to OPEN)."""
    if not rows:
        return
    u = identity_unmatched
    existing: set[tuple[str, str]] = set()
    for table in {r["source_table"] for r in rows}:
        pks = [r["source_pk"] for r in rows if r["source_table"] == table]
        existing.update((table, pk) for pk in queued_keys(conn, table, pks))
    counts = Counter(r["outcome"] for r in rows)
    stats.review += counts["review"]
    stats.unmatched += counts["unmatched"] + counts["matched"]  # matched without driver: none
    inserts, updates = [], []
    for r in rows:
        values = {
            "outcome": "review" if r["outcome"] == "review" else "unmatched",
            "reason_code": r["reason_code"],
            "details": r["evidence"],
            "candidates": r["candidates"],
            "status": "OPEN",
            "decision_id": r["decision_id"],
            "index_version": r["index_version"],
            "input_hash": r["input_hash"],
            "run_id": run_id,
            "updated_at": now,
            "resolved_at": None,
            "resolved_by": None,
            "snapshot_date": as_date(r["evidence"].get("lead_date")),
        }
        key = (r["source_table"], r["source_pk"])
        if key in existing:
            updates.append({**values, "k_table": key[0], "k_pk": key[1]})
        else:
            inserts.append(
                {**values, "source_table": key[0], "source_pk": key[1], "created_at": now}
            )
    if inserts:
        bulk_insert(conn, u, inserts)
    if updates:
        stmt = (
            u.update()
            .where(
                u.c.source_table == sa.bindparam("k_table"), u.c.source_pk == sa.bindparam("k_pk")
            )
            .values({k: sa.bindparam(k) for k in updates[0] if not k.startswith("k_")})
        )
        conn.execute(stmt, updates)


def queued_keys(conn: sa.Connection, table: str, pks: list[str]) -> set[str]:
    """The records of `table` among `pks` that already have a queue row."""
    u = identity_unmatched

    def stmt(chunk: list) -> sa.Select:
        return sa.select(u.c.source_pk).where(u.c.source_table == table, u.c.source_pk.in_(chunk))

    return {r[0] for r in in_chunks(conn, stmt, sorted(set(pks)))}


def resolve_queue_rows(
    conn: sa.Connection, keys: list[tuple[str, str]], *, now: dt.datetime, by: str
) -> int:
    """Queue rows of records that just got a link become RESOLVED (one UPDATE per chunk)."""
    u = identity_unmatched
    done = 0
    for table in sorted({t for t, _ in keys}):
        pks = sorted({pk for t, pk in keys if t == table})
        for i in range(0, len(pks), CHUNK):
            result = conn.execute(
                u.update()
                .where(
                    u.c.source_table == table,
                    u.c.source_pk.in_(pks[i : i + CHUNK]),
                    u.c.status != "RESOLVED",
                )
                .values(status="RESOLVED", resolved_at=now, resolved_by=by, updated_at=now)
            )
            done += max(result.rowcount or 0, 0)
    return done
