"""Write engine decisions: lead link + driver link + origin in one transaction (SPEC §3)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import polars as pl
import sqlalchemy as sa

from idgap.config import Settings
from idgap.gaps.status import refresh_lead_status
from idgap.identity.origin import ensure_origins
from idgap.store.tables import (
    identity_links,
    identity_unmatched,
    link_history,
    match_decisions,
    persons,
)

LEADS = "module_ct_cabinet_leads"


@dataclass
class WriteStats:
    matched: int = 0
    review: int = 0
    unmatched: int = 0
    persons_created: int = 0
    driver_links_created: int = 0
    origins_created: int = 0
    skipped_already_linked: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def add(self, other: WriteStats) -> None:
        for k, v in asdict(other).items():
            if k == "by_reason":
                for r, n in v.items():
                    self.by_reason[r] = self.by_reason.get(r, 0) + n
            else:
                setattr(self, k, getattr(self, k) + v)


def _in_chunks(conn: sa.Connection, stmt_for: Callable[[list], sa.Select], keys: list) -> list:
    out: list = []
    for i in range(0, len(keys), 900):
        out.extend(conn.execute(stmt_for(keys[i : i + 900])).all())
    return out


def driver_persons(conn: sa.Connection, driver_ids: list[str]) -> dict[str, str]:
    lk = identity_links
    rows = _in_chunks(
        conn,
        lambda k: sa.select(lk.c.source_pk, lk.c.person_key).where(
            lk.c.source_table == "drivers", lk.c.source_pk.in_(k)
        ),
        driver_ids,
    )
    return dict(rows)


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
    stats = WriteStats()
    if decisions.height == 0:
        return stats
    lk = identity_links
    keys = list(zip(decisions["source_table"], decisions["source_pk"], strict=True))
    linked = {
        (t, pk)
        for t, pk in _in_chunks(
            conn,
            lambda k: sa.select(lk.c.source_table, lk.c.source_pk).where(lk.c.source_pk.in_(k)),
            [k[1] for k in keys],
        )
    }
    rows = [
        r
        for r in decisions.iter_rows(named=True)
        if (r["source_table"], r["source_pk"]) not in linked
    ]
    stats.skipped_already_linked = decisions.height - len(rows)
    hashes = input_hashes or {}
    decision_rows = [
        {
            "source_table": r["source_table"],
            "source_pk": r["source_pk"],
            "run_id": run_id,
            "outcome": r["outcome"],
            "driver_id": r["driver_id"],
            "rule": r["rule"],
            "score": r["score"],
            "confidence": r["confidence"],
            "reason_code": r["reason_code"],
            "evidence": json.loads(r["evidence_json"]),
            "candidates": json.loads(r["candidates_json"]),
            "ruleset": r["ruleset"],
            "ruleset_version": r["ruleset_version"],
            "index_version": r["index_version"],
            "input_hash": hashes.get(r["source_pk"]),
            "decided_by": decided_by,
            "decided_at": now,
        }
        for r in rows
    ]
    if decision_rows:
        conn.execute(match_decisions.insert(), decision_rows)
    matched = [r for r in rows if r["outcome"] == "matched" and r["driver_id"]]
    others = [r for r in rows if r not in matched]
    for r in rows:
        stats.by_reason[r["reason_code"]] = stats.by_reason.get(r["reason_code"], 0) + 1
    touched_persons = _link_matched(conn, matched, stats, run_id=run_id, now=now, by=decided_by)
    _queue_others(conn, others, stats, run_id=run_id, now=now, hashes=hashes)
    if matched:
        _close_queue(
            conn, [(r["source_table"], r["source_pk"]) for r in matched], now=now, by=decided_by
        )
    o = ensure_origins(
        conn,
        touched_persons,
        now=now,
        run_id=run_id,
        changed_by=decided_by,
        reason="link created by matching",
    )
    stats.origins_created = o.created
    leads = [r["source_pk"] for r in rows if r["source_table"] == LEADS]
    leads += _leads_of_persons(conn, touched_persons)
    refresh_lead_status(conn, leads, today=now.date(), settings=settings, now=now)
    return stats


def _link_matched(
    conn: sa.Connection,
    matched: list[dict],
    stats: WriteStats,
    *,
    run_id: int | None,
    now: dt.datetime,
    by: str,
) -> list[str]:
    if not matched:
        return []
    owner = driver_persons(conn, sorted({r["driver_id"] for r in matched}))
    new_people, links, history = [], [], []
    for r in matched:
        d = r["driver_id"]
        if d not in owner:  # first time this driver is linked: a new person, with its driver link
            owner[d] = str(uuid.uuid4())
            new_people.append(
                {
                    "person_key": owner[d],
                    "status": "active",
                    "confidence": r["confidence"],
                    "created_at": now,
                    "updated_at": now,
                    "created_by": by,
                }
            )
            links.append(
                link_row(
                    "drivers",
                    d,
                    owner[d],
                    None,
                    "DRIVER_MATCH",
                    100.0,
                    "HIGH",
                    {"driver_id": d, "linked_from": r["source_pk"]},
                    run_id,
                    now,
                    by,
                )
            )
            stats.driver_links_created += 1
        ev = json.loads(r["evidence_json"])
        links.append(
            link_row(
                r["source_table"],
                r["source_pk"],
                owner[d],
                ev.get("lead_date"),
                r["rule"],
                r["score"],
                r["confidence"],
                {**ev, "driver_id": d},
                run_id,
                now,
                by,
            )
        )
        stats.matched += 1
    if new_people:
        conn.execute(persons.insert(), new_people)
    for link in links:
        link["snapshot_date"] = _as_date(link["snapshot_date"])
        history.append(
            {
                "source_table": link["source_table"],
                "source_pk": link["source_pk"],
                "action": "link",
                "person_key_new": link["person_key"],
                "changed_by": by,
                "reason": link["match_rule"],
                "run_id": run_id,
                "changed_at": now,
            }
        )
    conn.execute(identity_links.insert(), links)
    conn.execute(link_history.insert(), history)
    stats.persons_created += len(new_people)
    return sorted({link["person_key"] for link in links})


def _as_date(v: object) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v  # type: ignore[return-value]
    return dt.date.fromisoformat(str(v)[:10])


def link_row(
    table: str,
    pk: str,
    person: str,
    snap: object,
    rule: str | None,
    score: float | None,
    conf: str | None,
    evidence: dict,
    run_id: int | None,
    now: dt.datetime,
    by: str,
) -> dict:
    return {
        "person_key": person,
        "source_table": table,
        "source_pk": pk,
        "snapshot_date": snap,
        "match_rule": rule or "MATCH",
        "match_score": score,
        "confidence": conf,
        "evidence": evidence,
        "run_id": run_id,
        "linked_at": now,
        "linked_by": by,
    }


def _queue_others(
    conn: sa.Connection,
    rows: list[dict],
    stats: WriteStats,
    *,
    run_id: int | None,
    now: dt.datetime,
    hashes: dict[str, str],
) -> None:
    if not rows:
        return
    u = identity_unmatched
    existing = {
        (t, pk)
        for t, pk in _in_chunks(
            conn,
            lambda k: sa.select(u.c.source_table, u.c.source_pk).where(u.c.source_pk.in_(k)),
            [r["source_pk"] for r in rows],
        )
    }
    inserts, updates = [], []
    for r in rows:
        stats.review += r["outcome"] == "review"
        stats.unmatched += r["outcome"] == "unmatched"
        ev = json.loads(r["evidence_json"])
        values = {
            "outcome": r["outcome"],
            "reason_code": r["reason_code"],
            "details": ev,
            "candidates": json.loads(r["candidates_json"]),
            "status": "OPEN",
            "index_version": r["index_version"],
            "input_hash": hashes.get(r["source_pk"]),
            "run_id": run_id,
            "updated_at": now,
            "snapshot_date": _as_date(ev.get("lead_date")),
        }
        if (r["source_table"], r["source_pk"]) in existing:
            updates.append({**values, "k_table": r["source_table"], "k_pk": r["source_pk"]})
        else:
            inserts.append(
                {
                    **values,
                    "source_table": r["source_table"],
                    "source_pk": r["source_pk"],
                    "created_at": now,
                }
            )
    if inserts:
        conn.execute(u.insert(), inserts)
    if updates:
        stmt = u.update().where(
            u.c.source_table == sa.bindparam("k_table"), u.c.source_pk == sa.bindparam("k_pk")
        )
        conn.execute(
            stmt.values({k: sa.bindparam(k) for k in updates[0] if not k.startswith("k_")}), updates
        )


def _close_queue(
    conn: sa.Connection, keys: list[tuple[str, str]], *, now: dt.datetime, by: str
) -> None:
    u = identity_unmatched
    for table, pk in keys:
        conn.execute(
            u.update()
            .where(u.c.source_table == table, u.c.source_pk == pk, u.c.status == "OPEN")
            .values(status="RESOLVED", resolved_at=now, resolved_by=by, updated_at=now)
        )


def _leads_of_persons(conn: sa.Connection, person_keys: list[str]) -> list[str]:
    lk = identity_links
    return [
        r[0]
        for r in _in_chunks(
            conn,
            lambda k: sa.select(lk.c.source_pk).where(
                lk.c.source_table == LEADS, lk.c.person_key.in_(k)
            ),
            person_keys,
        )
    ]
