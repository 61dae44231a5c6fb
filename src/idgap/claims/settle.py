"""Decide every payment against the current leads and store what changed (`payment_matches`).

Matching needs every linked lead's names, so it runs whole-table, not once per recovery batch:
after a payment import (same transaction), and before the claims pages and commands read the
ledger when leads or payments changed since the last settlement (recorded as a `runs` row of
kind "claims"). Manual decisions are never re-decided.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import orjson
import polars as pl
import sqlalchemy as sa

from idgap.claims.ledger import refresh_claims
from idgap.claims.matching import (
    CANDIDATE_SCHEMA,
    DECISION_SCHEMA,
    PAYMENT_SCHEMA,
    PaymentRules,
    match_payments,
)
from idgap.claims.model import SYSTEM
from idgap.clock import park_day
from idgap.config import Settings
from idgap.matching.normalize import join_name
from idgap.store.bulk import insert_frame, now_column, read_frame
from idgap.store.keys import in_keys
from idgap.store.runs import record_completed_run
from idgap.store.tables import (
    cabinet_leads,
    cabinet_payments,
    drivers,
    lead_status,
    payment_matches,
    runs,
)

KIND = "claims"
COMPARED = ["outcome", "reason_code", "lead_id", "person_key", "candidates_json"]


def rules_of(settings: Settings) -> PaymentRules:
    return PaymentRules(window_days=settings.claim_window_days, lag_days=settings.payment_lag_days)


def read_payments(conn: sa.Connection) -> pl.DataFrame:
    p = cabinet_payments
    stmt = sa.select(p.c.id, p.c.date, p.c.driver, p.c.trip_1, p.c.trip_5, p.c.trip_25)
    return read_frame(conn, stmt, PAYMENT_SCHEMA)


def read_candidates(conn: sa.Connection) -> pl.DataFrame:
    """Every lead: trips in the window, its own and its driver's names (leads without a
    driver cannot be paid, but a namesake among them makes a payment ambiguous)."""
    ls, cl, d = lead_status, cabinet_leads, drivers
    stmt = sa.select(
        ls.c.lead_id,
        ls.c.lead_date,
        ls.c.person_key,
        ls.c.driver_id,
        ls.c.trips_14d,
        cl.c.first_name,
        cl.c.middle_name,
        cl.c.last_name,
        d.c.full_name,
        d.c.first_name.label("d_first"),
        d.c.middle_name.label("d_middle"),
        d.c.last_name.label("d_last"),
    ).select_from(
        ls.join(cl, cl.c.lead_id == ls.c.lead_id).outerjoin(d, d.c.driver_id == ls.c.driver_id)
    )
    names = ["first_name", "middle_name", "last_name", "full_name", "d_first", "d_middle", "d_last"]
    schema = {k: v for k, v in CANDIDATE_SCHEMA.items() if not k.endswith("_name")}
    raw = read_frame(conn, stmt, schema | {n: pl.Utf8 for n in names})
    return raw.select(
        *schema,
        lead_name=join_name("first_name", "middle_name", "last_name"),
        driver_name=pl.coalesce(
            pl.when(pl.col("full_name").str.strip_chars() != "").then("full_name"),
            join_name("d_first", "d_middle", "d_last"),
        ),
    ).select(list(CANDIDATE_SCHEMA))


def _canonical_json(value: Any) -> str | None:
    """JSON text with sorted keys, whatever the backend handed back (text, list, None)."""
    if value is None:
        return None
    obj = orjson.loads(value) if isinstance(value, str | bytes) else value
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


def _stored(conn: sa.Connection) -> tuple[pl.DataFrame, set[str]]:
    """System decisions as comparable rows, and the ids decided by a person (kept as they are)."""
    pm = payment_matches
    rows = conn.execute(
        sa.select(
            pm.c.payment_id,
            pm.c.outcome,
            pm.c.reason_code,
            pm.c.lead_id,
            pm.c.person_key,
            pm.c.candidates,
            pm.c.decided_by,
        )
    ).all()
    manual = {r.payment_id for r in rows if r.decided_by != SYSTEM}
    system = [
        (
            r.payment_id,
            r.outcome,
            r.reason_code,
            r.lead_id,
            r.person_key,
            _canonical_json(r.candidates),
        )
        for r in rows
        if r.decided_by == SYSTEM
    ]
    return pl.DataFrame(system, schema=DECISION_SCHEMA, orient="row"), manual


def settle_payments(
    conn: sa.Connection, *, settings: Settings, now: dt.datetime
) -> tuple[list[str], dict[str, int]]:
    """Re-decide every system-decided payment; -> (leads whose payments moved, counts)."""
    fresh = match_payments(read_payments(conn), read_candidates(conn), rules_of(settings))
    fresh = fresh.with_columns(
        pl.col("candidates_json").map_elements(_canonical_json, return_dtype=pl.Utf8)
    )
    old, manual = _stored(conn)
    fresh = fresh.filter(~pl.col("payment_id").is_in(list(manual)))
    changed = fresh.join(old, on=["payment_id", *COMPARED], how="anti", nulls_equal=True)
    before = old.join(changed.select("payment_id"), on="payment_id", how="semi")
    ids = changed["payment_id"].to_list()
    if ids:
        conn.execute(payment_matches.delete().where(in_keys(payment_matches.c.payment_id, ids)))
    insert_frame(
        conn,
        payment_matches,
        changed.select(
            "payment_id",
            "outcome",
            "reason_code",
            "lead_id",
            "person_key",
            pl.col("candidates_json").alias("candidates"),
            pl.lit(SYSTEM).alias("decided_by"),
            now_column("decided_at", now),
        ),
    )
    leads = pl.concat([changed["lead_id"], before["lead_id"]]).drop_nulls().unique().to_list()
    counts = fresh.group_by("outcome").len().rows()
    return leads, {"changed": changed.height, **{k: int(v) for k, v in counts}}


def settle(conn: sa.Connection, *, settings: Settings, now: dt.datetime, by: str) -> list[str]:
    """Settle the payments, refresh the claims of the leads they moved, record a claims run."""
    started = time.perf_counter()
    leads, counts = settle_payments(conn, settings=settings, now=now)
    written = refresh_claims(
        conn, leads, today=park_day(now, settings.timezone), settings=settings, now=now
    )
    stats = {
        **counts,
        "claims_written": written,
        "seconds": round(time.perf_counter() - started, 3),
    }
    record_completed_run(conn, kind=KIND, now=now, triggered_by=by, stats=stats)
    return leads


def _last_settled(conn: sa.Connection) -> dt.datetime | None:
    return conn.execute(
        sa.select(sa.func.max(runs.c.started_at)).where(
            runs.c.kind == KIND, runs.c.status == "completed"
        )
    ).scalar()


def needs_settle(conn: sa.Connection) -> bool:
    """Leads (their drivers or trips) or payments changed since the last settlement."""
    last = _last_settled(conn)
    leads = conn.execute(sa.select(sa.func.max(lead_status.c.updated_at))).scalar()
    pays = conn.execute(sa.select(sa.func.max(cabinet_payments.c.idgap_changed_at))).scalar()
    if pays is None:
        return False  # no payment report imported: nothing to tie
    if last is None:
        return True
    return any(t is not None and _aware(t) >= _aware(last) for t in (leads, pays))


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def ensure_settled(engine: sa.Engine, *, settings: Settings, now: dt.datetime, by: str) -> bool:
    """Settle first if needed (a reader's duty, like ages); -> whether it settled now."""
    with engine.connect() as conn:
        if not needs_settle(conn):
            return False
    try:
        with engine.begin() as conn:
            if needs_settle(conn):
                settle(conn, settings=settings, now=now, by=by)
                return True
    except sa.exc.IntegrityError:
        return False  # another process settled the same payments at the same moment
    return False
