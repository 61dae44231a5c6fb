"""Human decisions: link a queued lead, dismiss it, merge or split persons. All with history.

Each one is an identity change-set (links -> driver links -> origins -> gap status) in the
caller's single transaction.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from idgap.config import Settings
from idgap.errors import Conflict, InputError, NotFound
from idgap.identity.changes import ChangeSet, driver_persons, new_person_key
from idgap.identity.writer import direct_decisions, log_decisions
from idgap.source_tables import SourceTable
from idgap.store.tables import (
    drivers,
    identity_links,
    identity_origin_history,
    identity_unmatched,
    persons,
)

LEADS = SourceTable.LEADS


def _queued(conn: sa.Connection, unmatched_id: int) -> sa.Row:
    row = conn.execute(
        sa.select(identity_unmatched).where(identity_unmatched.c.id == unmatched_id)
    ).first()
    if row is None:
        raise NotFound(f"no queued record #{unmatched_id}")
    return row


def _require_active(conn: sa.Connection, person_key: str) -> None:
    if not conn.execute(
        sa.select(persons.c.person_key).where(
            persons.c.person_key == person_key, persons.c.status == "active"
        )
    ).first():
        raise NotFound(f"no active person {person_key}")


def _already_linked(pk: str) -> Conflict:
    return Conflict(f"{pk} is already linked; reload to see its person")


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
        raise _already_linked(q.source_pk)
    changes = ChangeSet(conn, by=by, now=now, run_id=None, reason="manual resolution")
    if driver_id is not None:
        person_key = _person_of_driver(conn, changes, q, driver_id, settings, allow_other_park)
    else:
        assert person_key is not None
        _require_active(conn, person_key)
    decision = log_decisions(
        conn, direct_decisions([_manual_decision(q, driver_id, person_key, note)]),
        run_id=None, now=now, by=by,
    )  # fmt: skip
    try:
        changes.add_link(
            q.source_table, q.source_pk, person_key, rule="MANUAL_RESOLUTION", score=100.0,
            confidence="HIGH", snapshot_date=q.snapshot_date,
            evidence={"driver_id": driver_id, "note": note, "queued_reason": q.reason_code},
            decision_id=decision["decision_id"][0], history_reason=note or "manual resolution",
        )  # fmt: skip
    except sa.exc.IntegrityError:  # linked by someone else between our check and our insert
        raise _already_linked(q.source_pk) from None
    conn.execute(
        identity_unmatched.update()
        .where(identity_unmatched.c.id == unmatched_id)
        .values(
            status="RESOLVED", resolved_at=now, resolved_by=by, resolution_note=note, updated_at=now
        )
    )
    changes.finish(settings)
    return {"person_key": person_key, "source_pk": q.source_pk, "driver_id": driver_id}


def _person_of_driver(
    conn: sa.Connection,
    changes: ChangeSet,
    q: sa.Row,
    driver_id: str,
    settings: Settings,
    allow_other_park: bool,
) -> str:
    """The person holding `driver_id`, else a new person with that driver's link."""
    park = conn.execute(
        sa.select(drivers.c.park_id).where(drivers.c.driver_id == driver_id)
    ).scalar()
    if park is None:
        raise NotFound(f"no driver {driver_id}")
    if park != settings.park_id and not allow_other_park:
        raise InputError(
            f"driver {driver_id} belongs to another park; the bonus needs the target park's account"
        )
    person_key = driver_persons(conn, [driver_id]).get(driver_id)
    if person_key is None:
        person_key = new_person_key()
        # name, phone and licence come from the driver
        changes.add_person(person_key, confidence="HIGH", driver_id=driver_id)
        changes.add_link(
            SourceTable.DRIVERS, driver_id, person_key, rule="MANUAL_RESOLUTION", score=100.0,
            confidence="HIGH", evidence={"resolved_from": q.source_pk},
            history_reason="manual resolution",
        )  # fmt: skip
    return person_key


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
    conn: sa.Connection,
    unmatched_id: int,
    *,
    by: str,
    note: str | None,
    now: dt.datetime,
    settings: Settings | None = None,
) -> None:
    """No candidate is right. Re-queued only if the driver index or the lead changes.

    With `settings`, the lead's gap status is refreshed too (its money at stake counted the
    open review's best candidate)."""
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
    if settings is not None and q.source_table == LEADS:
        changes = ChangeSet(conn, by=by, now=now, run_id=None, reason="dismissed")
        changes.touch_leads([q.source_pk])
        changes.finish(settings)


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
        _require_active(conn, key)
    changes = ChangeSet(conn, by=by, now=now, run_id=None, reason=f"merge: {reason}")
    moved = changes.move_person(absorb, keep, reason=f"merge: {reason}")
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
    changes.finish(settings)
    return moved


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
    if not conn.execute(
        sa.select(lk.c.person_key).where(
            lk.c.source_table == source_table, lk.c.source_pk == source_pk
        )
    ).first():
        raise NotFound(f"no link for {source_table}/{source_pk}")
    changes = ChangeSet(conn, by=by, now=now, run_id=None, reason=f"split: {reason}")
    new = new_person_key()
    changes.add_person(new, confidence=None, driver_id=None)
    changes.move_link(source_table, source_pk, new, reason=f"split: {reason}")
    changes.finish(settings)
    return new
