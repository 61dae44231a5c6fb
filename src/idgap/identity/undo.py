"""Undo a link, reopen a dismissal: the lead goes back to the review queue with its candidates.

Built on `identity.manual` (resolve, dismiss) and its tables. Every change leaves a
`link_history` row with who, when and the note: `unlink` for a removed link, `dismiss` and
`reopen` for the queue (person keys empty), so a lead's history is its `link_history` rows.

Who may undo: an operator their own manual actions, an administrator any action, automatic
links included. After an undo the lead is exactly as unlinked leads are: no identity, in the
queue (status OPEN) with the candidates of its last engine decision, and a decision row
(`rule=UNDO`) appended so its gap status says why. A person left without any lead-type link
loses its driver links too (a driver link exists only for a person with a lead link, SPEC §3)
and is retired: kept, with its history, but no longer active.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from idgap.clock import park_day
from idgap.config import Settings
from idgap.errors import Conflict, Forbidden, NotFound
from idgap.gaps.status import refresh_lead_status
from idgap.identity import manual
from idgap.identity.changes import leads_of_persons
from idgap.identity.origin import ensure_origins
from idgap.identity.persons import LEAD_TYPE_TABLES
from idgap.identity.writer import direct_decisions, log_decisions
from idgap.matching.model import Reason
from idgap.store.tables import (
    identity_links,
    identity_origin_history,
    identity_unmatched,
    link_history,
    match_decisions,
    persons,
)

LEADS = "module_ct_cabinet_leads"
REOPENED = Reason.REOPENED.value  # queue reason of a lead whose automatic link was undone
lk, u, md = identity_links, identity_unmatched, match_decisions


@dataclass(frozen=True)
class Actor:
    """Who asks: `by` as stored (e.g. 'web:ana'), their name and whether they are admin."""

    by: str
    name: str
    admin: bool = False

    def may_undo(self, done_by: str | None) -> bool:
        """Admins undo anything; others only what they did themselves (through any channel)."""
        if self.admin:
            return True
        if not done_by or ":" not in done_by:  # 'system', a run: not a person's own action
            return False
        return done_by.split(":", 1)[1] == self.name


def _history(conn: sa.Connection, pk: str, action: str, old: str | None, who: Actor,
             note: str | None, now: dt.datetime) -> None:  # fmt: skip
    conn.execute(
        link_history.insert().values(
            source_table=LEADS, source_pk=pk, action=action, person_key_old=old,
            person_key_new=None, changed_by=who.by, reason=note, changed_at=now,
        )
    )  # fmt: skip


def _queue_row(conn: sa.Connection, lead_id: str) -> sa.Row | None:
    return conn.execute(
        sa.select(u).where(u.c.source_table == LEADS, u.c.source_pk == lead_id)
    ).first()


def dismiss(
    conn: sa.Connection, unmatched_id: int, *, who: Actor, note: str, now: dt.datetime
) -> str:
    """`manual.dismiss_unmatched` plus its history row; -> the lead id."""
    manual.dismiss_unmatched(conn, unmatched_id, by=who.by, note=note, now=now)
    row = conn.execute(sa.select(u.c.source_pk).where(u.c.id == unmatched_id)).scalar_one()
    _history(conn, row, "dismiss", None, who, note, now)
    return str(row)


def reopen(
    conn: sa.Connection, lead_id: str, *, who: Actor, note: str | None, now: dt.datetime,
    settings: Settings,
) -> dict[str, Any]:  # fmt: skip
    """A dismissed lead back to OPEN in the queue."""
    row = _queue_row(conn, lead_id)
    if row is None or row.status != "DISMISSED":
        raise Conflict(f"lead {lead_id} is not dismissed; nothing to reopen")
    if not who.may_undo(row.resolved_by):
        raise Forbidden(f"only an administrator may reopen what {row.resolved_by} dismissed")
    _set_open(conn, row.id, now)
    _history(conn, lead_id, "reopen", None, who, note or "reopened", now)
    refresh_lead_status(
        conn, [lead_id], today=park_day(now, settings.timezone), settings=settings, now=now
    )
    return {"lead_id": lead_id, "undone": "dismiss", "person_key": None}


def _set_open(conn: sa.Connection, queue_id: int, now: dt.datetime) -> None:
    conn.execute(
        u.update().where(u.c.id == queue_id).values(
            status="OPEN", resolved_at=None, resolved_by=None, resolution_note=None,
            updated_at=now,
        )
    )  # fmt: skip


def undo_link(
    conn: sa.Connection, lead_id: str, *, who: Actor, note: str | None, now: dt.datetime,
    settings: Settings,
) -> dict[str, Any]:  # fmt: skip
    """Remove the lead's link (and what only it justified); the lead returns to the queue."""
    link = conn.execute(
        sa.select(lk).where(lk.c.source_table == LEADS, lk.c.source_pk == lead_id)
    ).first()
    if link is None:
        raise NotFound(f"lead {lead_id} has no link to undo")
    manual_link = link.match_rule == "MANUAL_RESOLUTION"
    if not who.may_undo(link.linked_by if manual_link else None):
        raise Forbidden(f"only an administrator may undo the link made by {link.linked_by}")
    conn.execute(lk.delete().where(lk.c.id == link.id))
    _history(conn, lead_id, "unlink", link.person_key, who, note or "undo", now)
    retired = _retire_if_orphan(conn, link.person_key, who, note, now)
    if not retired:
        ensure_origins(conn, [link.person_key], now=now, run_id=None, changed_by=who.by,
                       reason=f"undo link of {lead_id}")  # fmt: skip
    _back_to_queue(conn, lead_id, link, who, note, now)
    leads = [lead_id, *leads_of_persons(conn, [link.person_key])]
    refresh_lead_status(
        conn, leads, today=park_day(now, settings.timezone), settings=settings, now=now
    )
    return {"lead_id": lead_id, "undone": "link", "person_key": link.person_key,
            "person_retired": retired}  # fmt: skip


def _retire_if_orphan(
    conn: sa.Connection, person_key: str, who: Actor, note: str | None, now: dt.datetime
) -> bool:
    """No lead-type link left: drop the driver links (with history) and retire the person."""
    remaining = conn.execute(
        sa.select(lk.c.id)
        .where(lk.c.person_key == person_key, lk.c.source_table.in_(LEAD_TYPE_TABLES))
        .limit(1)
    ).first()
    if remaining is not None:
        return False
    driver_links = conn.execute(
        sa.select(lk.c.id, lk.c.source_pk).where(
            lk.c.person_key == person_key, lk.c.source_table == "drivers"
        )
    ).all()
    reason = f"undo: {note}" if note else "undo: person left without leads"
    for link_id, driver_id in driver_links:
        conn.execute(lk.delete().where(lk.c.id == link_id))
        conn.execute(
            link_history.insert().values(
                source_table="drivers", source_pk=driver_id, action="unlink",
                person_key_old=person_key, changed_by=who.by, reason=reason, changed_at=now,
            )
        )  # fmt: skip
    conn.execute(
        persons.update()
        .where(persons.c.person_key == person_key)
        .values(status="retired", updated_at=now)
    )
    conn.execute(
        identity_origin_history.insert().values(
            person_key=person_key, action="retired", origin_tag_new=None, changed_by=who.by,
            change_reason=reason, changed_at=now,
        )
    )  # fmt: skip
    return True


def _engine_decision(conn: sa.Connection, lead_id: str) -> sa.Row | None:
    """The newest decision of the matcher (not a human's) for this lead."""
    return conn.execute(
        sa.select(md)
        .where(md.c.source_table == LEADS, md.c.source_pk == lead_id, md.c.ruleset != "manual")
        .order_by(md.c.id.desc())
        .limit(1)
    ).first()


def _back_to_queue(
    conn: sa.Connection, lead_id: str, link: sa.Row, who: Actor, note: str | None,
    now: dt.datetime,
) -> None:  # fmt: skip
    """Reopen the lead's queue row, or create one from its last engine decision."""
    row = _queue_row(conn, lead_id)
    engine = _engine_decision(conn, lead_id)
    if row is not None:
        _set_open(conn, row.id, now)
        outcome, reason, candidates = row.outcome, row.reason_code, row.candidates or []
    else:
        candidates = list((engine.candidates if engine is not None else None) or [])
        outcome, reason = "review", REOPENED
        conn.execute(
            u.insert().values(
                source_table=LEADS, source_pk=lead_id, snapshot_date=link.snapshot_date,
                outcome=outcome, reason_code=reason, candidates=candidates, status="OPEN",
                details={"undone_link_person": link.person_key, "note": note},
                decision_id=engine.id if engine is not None else None,
                index_version=engine.index_version if engine is not None else None,
                input_hash=engine.input_hash if engine is not None else None,
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
    decision = {
        "source_table": LEADS, "source_pk": lead_id, "outcome": outcome, "driver_id": None,
        "rule": "UNDO", "score": None, "confidence": None, "reason_code": reason,
        "evidence": {"undone_link_person": link.person_key, "undone_rule": link.match_rule,
                     "note": note},
        "candidates": candidates, "ruleset": "manual", "ruleset_version": "1",
        "index_version": engine.index_version if engine is not None else None,
        "input_hash": engine.input_hash if engine is not None else None,
    }  # fmt: skip
    log_decisions(conn, direct_decisions([decision]), run_id=None, now=now, by=who.by)


def undo_last(
    conn: sa.Connection, lead_id: str, *, who: Actor, note: str | None, now: dt.datetime,
    settings: Settings,
) -> dict[str, Any]:  # fmt: skip
    """Undo what was last done to the lead: its link, or else its dismissal."""
    linked = conn.execute(
        sa.select(lk.c.id).where(lk.c.source_table == LEADS, lk.c.source_pk == lead_id)
    ).first()
    if linked is not None:
        return undo_link(conn, lead_id, who=who, note=note, now=now, settings=settings)
    row = _queue_row(conn, lead_id)
    if row is not None and row.status == "DISMISSED":
        return reopen(conn, lead_id, who=who, note=note, now=now, settings=settings)
    raise Conflict(f"lead {lead_id} has no link and no dismissal to undo")


def undoable(conn: sa.Connection, lead_id: str, who: Actor) -> str | None:
    """'link' or 'dismiss' when `who` may undo the lead's current state now, else None."""
    link = conn.execute(
        sa.select(lk.c.match_rule, lk.c.linked_by).where(
            lk.c.source_table == LEADS, lk.c.source_pk == lead_id
        )
    ).first()
    if link is not None:
        manual_link = link.match_rule == "MANUAL_RESOLUTION"
        return "link" if who.may_undo(link.linked_by if manual_link else None) else None
    row = _queue_row(conn, lead_id)
    if row is not None and row.status == "DISMISSED" and who.may_undo(row.resolved_by):
        return "dismiss"
    return None


def lead_history(conn: sa.Connection, lead_id: str) -> list[dict[str, Any]]:
    """Every change of the lead: links, unlinks, moves, dismissals and reopenings, oldest first."""
    lh = link_history
    stmt = (
        sa.select(lh)
        .where(lh.c.source_table == LEADS, lh.c.source_pk == lead_id)
        .order_by(lh.c.changed_at, lh.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
