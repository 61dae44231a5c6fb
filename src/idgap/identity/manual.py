"""Human decisions: link a queued lead, dismiss it, merge or split persons. All with history."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from idgap.config import Settings
from idgap.errors import Conflict, InputError, NotFound
from idgap.gaps.status import refresh_lead_status
from idgap.identity.origin import ensure_origins
from idgap.identity.persons import driver_persons, insert_persons, new_person_key, person_row
from idgap.identity.writer import append_decisions
from idgap.store.tables import (
    drivers,
    identity_links,
    identity_origin_history,
    identity_unmatched,
    link_history,
    persons,
)

LEADS = "module_ct_cabinet_leads"


def _queued(conn: sa.Connection, unmatched_id: int) -> sa.Row:
    row = conn.execute(
        sa.select(identity_unmatched).where(identity_unmatched.c.id == unmatched_id)
    ).first()
    if row is None:
        raise NotFound(f"no queued record #{unmatched_id}")
    return row


def _leads_of(conn: sa.Connection, person_keys: list[str]) -> list[str]:
    lk = identity_links
    return list(
        conn.execute(
            sa.select(lk.c.source_pk).where(
                lk.c.source_table == LEADS, lk.c.person_key.in_(person_keys)
            )
        ).scalars()
    )


def _history(
    conn: sa.Connection,
    table: str,
    pk: str,
    action: str,
    old: str | None,
    new: str | None,
    by: str,
    reason: str,
    now: dt.datetime,
) -> None:
    conn.execute(
        link_history.insert().values(
            source_table=table,
            source_pk=pk,
            action=action,
            person_key_old=old,
            person_key_new=new,
            changed_by=by,
            reason=reason,
            changed_at=now,
        )
    )


def resolve_unmatched(
    conn: sa.Connection,
    unmatched_id: int,
    *,
    driver_id: str | None = None,
    person_key: str | None = None,
    by: str,
    note: str | None = None,
    now: dt.datetime,
    settings: Settings,
    allow_other_park: bool = False,
) -> dict:
    """Lead link + driver link + origin in the caller's single transaction."""
    if (driver_id is None) == (person_key is None):
        raise InputError("give exactly one of driver_id or person_key")
    q = _queued(conn, unmatched_id)
    lk = identity_links
    if conn.execute(
        sa.select(lk.c.person_key).where(
            lk.c.source_table == q.source_table, lk.c.source_pk == q.source_pk
        )
    ).first():
        raise Conflict(f"{q.source_pk} is already linked; reload to see its person")
    if driver_id is not None:
        park = conn.execute(
            sa.select(drivers.c.park_id).where(drivers.c.driver_id == driver_id)
        ).scalar()
        if park is None:
            raise NotFound(f"no driver {driver_id}")
        if park != settings.park_id and not allow_other_park:
            raise InputError(
                f"driver {driver_id} belongs to another park; "
                "the bonus needs the target park's account"
            )
        person_key = driver_persons(conn, [driver_id]).get(driver_id)
        if person_key is None:
            person_key = new_person_key()
            # name, phone and licence come from the driver (insert_persons reads them)
            insert_persons(
                conn, [{**person_row(person_key, now=now, by=by), "_driver_id": driver_id}]
            )
            conn.execute(
                lk.insert().values(
                    person_key=person_key,
                    source_table="drivers",
                    source_pk=driver_id,
                    match_rule="MANUAL_RESOLUTION",
                    match_score=100.0,
                    confidence="HIGH",
                    evidence={"resolved_from": q.source_pk},
                    linked_at=now,
                    linked_by=by,
                )
            )
            _history(
                conn, "drivers", driver_id, "link", None, person_key, by, "manual resolution", now
            )
    elif not conn.execute(
        sa.select(persons.c.person_key).where(
            persons.c.person_key == person_key, persons.c.status == "active"
        )
    ).first():
        raise NotFound(f"no active person {person_key}")
    assert person_key is not None  # set by the driver branch or checked in the person branch
    decision = _manual_decision(q, driver_id, person_key, note)
    append_decisions(conn, [decision], run_id=None, now=now, by=by)
    try:
        conn.execute(
            lk.insert().values(
                person_key=person_key,
                source_table=q.source_table,
                source_pk=q.source_pk,
                snapshot_date=q.snapshot_date,
                match_rule="MANUAL_RESOLUTION",
                match_score=100.0,
                confidence="HIGH",
                evidence={"driver_id": driver_id, "note": note, "queued_reason": q.reason_code},
                decision_id=decision["decision_id"],
                linked_at=now,
                linked_by=by,
            )
        )
    except sa.exc.IntegrityError:  # linked by someone else between our check and our insert
        raise Conflict(f"{q.source_pk} is already linked; reload to see its person") from None
    _history(
        conn,
        q.source_table,
        q.source_pk,
        "link",
        None,
        person_key,
        by,
        note or "manual resolution",
        now,
    )
    conn.execute(
        identity_unmatched.update()
        .where(identity_unmatched.c.id == unmatched_id)
        .values(
            status="RESOLVED", resolved_at=now, resolved_by=by, resolution_note=note, updated_at=now
        )
    )
    ensure_origins(
        conn, [person_key], now=now, run_id=None, changed_by=by, reason="manual resolution"
    )
    refresh_lead_status(
        conn, _leads_of(conn, [person_key]), today=now.date(), settings=settings, now=now
    )
    return {"person_key": person_key, "source_pk": q.source_pk, "driver_id": driver_id}


def _manual_decision(q: sa.Row, driver_id: str | None, person_key: str, note: str | None) -> dict:
    """The human decision, appended to match_decisions like every other decision."""
    return {
        "source_table": q.source_table, "source_pk": q.source_pk, "outcome": "matched",
        "driver_id": driver_id, "rule": "MANUAL_RESOLUTION", "score": 100.0, "confidence": "HIGH",
        "reason_code": "MANUAL_RESOLUTION",
        "evidence": {"person_key": person_key, "note": note, "queued_reason": q.reason_code,
                     "queued_decision_id": q.decision_id},
        "candidates": q.candidates or [], "ruleset": "manual", "ruleset_version": "1",
        "index_version": q.index_version, "input_hash": q.input_hash,
    }  # fmt: skip


def dismiss_unmatched(
    conn: sa.Connection, unmatched_id: int, *, by: str, note: str | None, now: dt.datetime
) -> None:
    """No candidate is right. Re-queued only if the driver index or the lead changes."""
    q = _queued(conn, unmatched_id)
    if q.status != "OPEN":
        raise Conflict(f"record #{unmatched_id} is already {q.status}")
    conn.execute(
        identity_unmatched.update()
        .where(identity_unmatched.c.id == unmatched_id)
        .values(
            status="DISMISSED",
            resolved_at=now,
            resolved_by=by,
            resolution_note=note,
            updated_at=now,
        )
    )


def merge_persons(
    conn: sa.Connection,
    keep: str,
    absorb: str,
    *,
    by: str,
    reason: str,
    now: dt.datetime,
    settings: Settings,
) -> int:
    """Move every link of `absorb` to `keep`; `absorb` stays, marked merged. Origin recomputed."""
    if keep == absorb:
        raise InputError("cannot merge a person into itself")
    for key in (keep, absorb):
        if not conn.execute(
            sa.select(persons.c.person_key).where(
                persons.c.person_key == key, persons.c.status == "active"
            )
        ).first():
            raise NotFound(f"no active person {key}")
    lk = identity_links
    moved = conn.execute(
        sa.select(lk.c.source_table, lk.c.source_pk).where(lk.c.person_key == absorb)
    ).all()
    conn.execute(lk.update().where(lk.c.person_key == absorb).values(person_key=keep))
    if moved:
        conn.execute(
            link_history.insert(),
            [
                {"source_table": t, "source_pk": pk, "action": "move", "person_key_old": absorb,
                 "person_key_new": keep, "changed_by": by, "reason": f"merge: {reason}",
                 "changed_at": now}
                for t, pk in moved
            ],
        )  # fmt: skip
    conn.execute(
        persons.update()
        .where(persons.c.person_key == absorb)
        .values(status="merged", merged_into=keep, updated_at=now)
    )
    # the absorbed person keeps its (now link-less) origin row: history, not deletion
    conn.execute(
        identity_origin_history.insert().values(
            person_key=absorb, action="merged", origin_tag_new=None, changed_by=by,
            change_reason=f"merged into {keep}: {reason}", changed_at=now,
        )
    )  # fmt: skip
    ensure_origins(conn, [keep], now=now, run_id=None, changed_by=by, reason=f"merge: {reason}")
    refresh_lead_status(conn, _leads_of(conn, [keep]), today=now.date(), settings=settings, now=now)
    return len(moved)


def split_link(
    conn: sa.Connection,
    source_table: str,
    source_pk: str,
    *,
    by: str,
    reason: str,
    now: dt.datetime,
    settings: Settings,
) -> str:
    """Move one link to a new person; both origins recomputed."""
    lk = identity_links
    row = conn.execute(
        sa.select(lk.c.person_key).where(
            lk.c.source_table == source_table, lk.c.source_pk == source_pk
        )
    ).first()
    if row is None:
        raise NotFound(f"no link for {source_table}/{source_pk}")
    old = row.person_key
    new = new_person_key()
    conn.execute(persons.insert().values(person_row(new, now=now, by=by, confidence=None)))
    conn.execute(
        lk.update()
        .where(lk.c.source_table == source_table, lk.c.source_pk == source_pk)
        .values(person_key=new)
    )
    _history(conn, source_table, source_pk, "move", old, new, by, f"split: {reason}", now)
    ensure_origins(conn, [old, new], now=now, run_id=None, changed_by=by, reason=f"split: {reason}")
    refresh_lead_status(
        conn, _leads_of(conn, [old, new]), today=now.date(), settings=settings, now=now
    )
    return new
