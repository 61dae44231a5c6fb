"""Read models of identity: persons, the review queue with candidate details, one lead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from idgap.config import Settings
from idgap.errors import NotFound
from idgap.identity.queue import QueueFilters, queue_page
from idgap.identity.search import PERSON, code_clause, phone_clause, search_clause
from idgap.store.tables import (
    cabinet_leads,
    drivers,
    identity_links,
    identity_origin,
    identity_origin_history,
    identity_unmatched,
    lead_status,
    link_history,
    match_decisions,
    persons,
    summary_daily,
)

LEADS = "module_ct_cabinet_leads"


def milestones_py(trips: int, settings: Settings) -> list[dict[str, Any]]:
    """Each milestone, whether the window's trips reach it, and what it pays."""
    return [
        {"trips": m, "amount": a, "reached": trips >= m}
        for m, a in zip(settings.milestone_trips, settings.milestone_amounts, strict=True)
    ]


def _rows(conn: sa.Connection, stmt: sa.Select) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(stmt).mappings()]


def list_persons(
    conn: sa.Connection,
    *,
    q: str | None = None,
    phone: str | None = None,
    license: str | None = None,
    confidence: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Active persons, newest first; `q` searches name, phone, licence, plate and key."""
    p = persons
    where = [p.c.status == "active"]
    found = search_clause(PERSON, p.c.person_key, q)
    if found is not None:
        where.append(found)
    if phone:
        where.append(phone_clause(PERSON, p.c.person_key, phone))
    if license:
        where.append(code_clause(PERSON, p.c.person_key, license))
    if confidence:
        where.append(p.c.confidence == confidence)
    total = conn.execute(sa.select(sa.func.count()).select_from(p).where(*where)).scalar_one()
    items = _rows(
        conn,
        sa.select(p)
        .where(*where)
        .order_by(p.c.created_at.desc(), p.c.person_key)
        .limit(limit)
        .offset(offset),
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def get_person(conn: sa.Connection, person_key: str) -> dict[str, Any]:
    person = (
        conn.execute(sa.select(persons).where(persons.c.person_key == person_key))
        .mappings()
        .first()
    )
    if person is None:
        raise NotFound(f"no person {person_key}")
    lk = identity_links
    links = _rows(
        conn, sa.select(lk).where(lk.c.person_key == person_key).order_by(lk.c.linked_at, lk.c.id)
    )
    origin = (
        conn.execute(sa.select(identity_origin).where(identity_origin.c.person_key == person_key))
        .mappings()
        .first()
    )
    history = _rows(
        conn,
        sa.select(identity_origin_history)
        .where(identity_origin_history.c.person_key == person_key)
        .order_by(identity_origin_history.c.id),
    )
    moves = _rows(
        conn,
        sa.select(link_history)
        .where(
            sa.or_(
                link_history.c.person_key_new == person_key,
                link_history.c.person_key_old == person_key,
            )
        )
        .order_by(link_history.c.id),
    )
    driver_links = [link for link in links if link["source_table"] == "drivers"]
    return {
        "person": dict(person),
        "links": [link for link in links if link["source_table"] != "drivers"],
        "driver_links": driver_links,
        "has_driver_conversion": bool(driver_links),
        "origin": dict(origin) if origin else None,
        "origin_history": history,
        "link_history": moves,
    }


def list_unmatched(
    conn: sa.Connection,
    *,
    status: str | None = "OPEN",
    outcome: str | None = None,
    reason_code: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    filters: QueueFilters | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The queue, most money first (see identity.queue); candidates enriched with drivers.

    `filters` carries the queue's search, amount, age, date and sort options; the keyword
    arguments are the reference API's and fill in what `filters` leaves unset.
    """
    given = dict(vars(filters)) if isinstance(filters, QueueFilters) else dict(filters or {})
    base = {"status": status, "outcome": outcome, "reason_code": reason_code, "q": q}
    merged = QueueFilters.of({**base, **{k: v for k, v in given.items() if v is not None}})
    items, total = queue_page(conn, merged, limit=limit, offset=offset)
    _enrich(conn, items)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _enrich(conn: sa.Connection, items: list[dict[str, Any]]) -> None:
    ids = {c.get("driver_id") for it in items for c in (it.get("candidates") or [])}
    ids.discard(None)
    if not ids:
        return
    d = drivers
    cols = [
        d.c.driver_id,
        d.c.park_id,
        d.c.full_name,
        d.c.phone,
        d.c.car_number,
        d.c.car_brand,
        d.c.car_model,
        d.c.hire_date,
    ]
    info = {
        r["driver_id"]: r for r in _rows(conn, sa.select(*cols).where(d.c.driver_id.in_(list(ids))))
    }
    lk = identity_links
    owners = dict(
        conn.execute(
            sa.select(lk.c.source_pk, lk.c.person_key).where(
                lk.c.source_table == "drivers", lk.c.source_pk.in_(list(ids))
            )
        ).all()
    )
    lead_ids = [it["source_pk"] for it in items if it["source_table"] == LEADS]
    leads = {
        r["lead_id"]: r
        for r in _rows(conn, sa.select(cabinet_leads).where(cabinet_leads.c.lead_id.in_(lead_ids)))
    }
    for it in items:
        it["lead"] = leads.get(it["source_pk"])
        for c in it.get("candidates") or []:
            c["driver"] = info.get(c.get("driver_id"))
            c["linked_person"] = owners.get(c.get("driver_id"))


def _first(conn: sa.Connection, query: sa.Select) -> dict[str, Any] | None:
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def _lead_decisions(conn: sa.Connection, lead_id: str) -> list[dict[str, Any]]:
    md = match_decisions
    query = (
        sa.select(md)
        .where(md.c.source_table == LEADS, md.c.source_pk == lead_id)
        .order_by(md.c.decided_at.desc(), md.c.id.desc())
    )
    return _rows(conn, query)


def _person_trips(
    conn: sa.Connection, person_key: str, window: dict[str, dt.date]
) -> list[dict[str, Any]]:
    """Daily trips of every driver account of the person, inside the lead's claim window."""
    lk, sd = identity_links, summary_daily
    drivers = sa.select(lk.c.source_pk).where(
        lk.c.person_key == person_key, lk.c.source_table == "drivers"
    )
    query = (
        sa.select(
            sd.c.driver_id,
            sd.c.activity_date,
            sd.c.count_orders_completed,
            sd.c.sum_work_time_seconds,
        )
        .where(
            sd.c.driver_id.in_(drivers),
            sd.c.activity_date >= window["start"],
            sd.c.activity_date < window["end_exclusive"],
        )
        .order_by(sd.c.activity_date)
    )
    return _rows(conn, query)


def get_lead(conn: sa.Connection, lead_id: str, *, settings: Settings) -> dict[str, Any]:
    """A lead with its status, decisions, queue entry and the trips its person made in window."""
    lead = _first(conn, sa.select(cabinet_leads).where(cabinet_leads.c.lead_id == lead_id))
    if lead is None:
        raise NotFound(f"no lead {lead_id}")
    status = _first(conn, sa.select(lead_status).where(lead_status.c.lead_id == lead_id))
    queued = _first(
        conn,
        sa.select(identity_unmatched).where(
            identity_unmatched.c.source_table == LEADS,
            identity_unmatched.c.source_pk == lead_id,
        ),
    )
    trips: list[dict[str, Any]] = []
    window = None
    if status and status["person_key"]:
        start = lead["lead_date"]
        window = {
            "start": start,
            "end_exclusive": start + dt.timedelta(days=settings.claim_window_days),
        }
        trips = _person_trips(conn, status["person_key"], window)
    total = sum(t["count_orders_completed"] for t in trips)
    return {
        "lead": lead,
        "status": status,
        "decisions": _lead_decisions(conn, lead_id),
        "queue": queued,
        "window": window,
        "trips": trips,
        "milestones": milestones_py(total, settings),
    }
