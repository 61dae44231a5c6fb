"""Load what the engine needs from the store: candidates of leads and scouting rows.

The work list applies the retry rule (REF §10.3 defect 7): a record without identity is
decided when it was never decided, or the driver index or the ruleset version changed since its
latest decision, or the record itself changed after it. Nothing is terminal forever, and nothing
is re-decided for nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from idgap.identity.persons import LEADS, SCOUTING
from idgap.matching.activity import TRIPS_SCHEMA
from idgap.matching.candidates import leads_to_candidates, scouting_to_candidates
from idgap.matching.model import Reason
from idgap.store.bulk import read_frame
from idgap.store.keys import in_keys
from idgap.store.tables import (
    cabinet_leads,
    identity_links,
    identity_unmatched,
    match_decisions,
    scouting_daily,
    summary_daily,
)

SOURCES = {
    LEADS: (cabinet_leads, cabinet_leads.c.lead_id, leads_to_candidates, "lead_date"),
    SCOUTING: (scouting_daily, scouting_daily.c.id, scouting_to_candidates, "registration_date"),
}


@dataclass
class WorkList:
    candidates: pl.DataFrame  # canonical candidates, most urgent first
    without_identity: int  # records without a link
    skipped_unchanged: int  # ... of which nothing changed since their latest decision


def _frame(df: pl.DataFrame, table: str) -> pl.DataFrame | None:
    if df.height == 0:
        return None
    return SOURCES[table][2](df)


def _columns(t: sa.Table) -> list[sa.Column]:
    """Source columns the engine reads (text and dates): leads keep `idgap_extra` as JSON text
    (Yango's activity flags arrive there); timestamps and other extras are not matched on."""
    keep = (sa.String, sa.Date)
    return [
        c
        for c in t.c
        if (isinstance(c.type, keep) and not isinstance(c.type, sa.DateTime))
        or (c.name == "idgap_extra" and t is cabinet_leads)
    ]


def _schema(cols: list[sa.Column]) -> dict[str, pl.DataType]:
    return {c.name: (pl.Date() if isinstance(c.type, sa.Date) else pl.Utf8()) for c in cols}


def _unlinked(table: str) -> tuple[sa.Select, sa.ColumnElement]:
    """(query of the source rows without a link, joined to their latest decision; the column
    of that decision's time)."""
    t, pk, _, _ = SOURCES[table]
    lk, u, md = identity_links, identity_unmatched, match_decisions
    query = sa.select(*_columns(t)).select_from(
        t.outerjoin(lk, sa.and_(lk.c.source_table == table, lk.c.source_pk == pk))
        .outerjoin(u, sa.and_(u.c.source_table == table, u.c.source_pk == pk))
        .outerjoin(md, md.c.id == u.c.decision_id)
    )
    return query.where(lk.c.id.is_(None)), sa.func.coalesce(md.c.decided_at, u.c.updated_at)


def _is_due(
    table: str, decided: sa.ColumnElement, version: str, ruleset_version: str | None
) -> sa.ColumnElement[bool]:
    """The retry rule in SQL: never decided, or the index, the ruleset or the record changed
    since its latest decision; never a record a human holds (undo)."""
    t = SOURCES[table][0]
    u, md = identity_unmatched, match_decisions
    held = sa.and_(u.c.reason_code.is_not(None), u.c.reason_code.in_(HUMAN_HELD_REASONS))
    reasons = [
        u.c.index_version.is_(None),
        decided.is_(None),
        u.c.index_version != version,
        t.c.idgap_changed_at > decided,
    ]
    if ruleset_version is not None:
        reasons.append(sa.and_(md.c.ruleset_version.is_not(None),
                               md.c.ruleset_version != ruleset_version))  # fmt: skip
    return sa.and_(sa.not_(held), sa.or_(*reasons))


def work_list(
    conn: sa.Connection,
    *,
    version: str,
    today: dt.date,
    window_days: int,
    ruleset_version: str | None = None,
) -> WorkList:
    """Leads and scouting rows due for a decision; inside-the-window and newest first.

    `version` is the driver index's; `ruleset_version` the matcher's (None: not compared).
    Due-ness is decided in SQL; only the due rows come back, as a frame."""
    frames, total, skipped = [], 0, 0
    for table in SOURCES:
        query, decided = _unlinked(table)
        due = _is_due(table, decided, version, ruleset_version)
        n_all, n_due = conn.execute(_counts(query, due)).one()
        total, skipped = total + int(n_all), skipped + int(n_all) - int(n_due)
        cols = _columns(SOURCES[table][0])
        frame = _frame(read_frame(conn, query.where(due), _schema(cols)), table)
        if frame is not None:
            frames.append(frame)
    if not frames:
        return WorkList(pl.DataFrame(), total, skipped)
    out = pl.concat(frames, how="vertical_relaxed")
    return WorkList(urgent_first(out, today=today, window_days=window_days), total, skipped)


def _counts(query: sa.Select, due: sa.ColumnElement[bool]) -> sa.Select:
    """(rows without a link, of which due)."""
    n_due = sa.func.coalesce(sa.func.sum(sa.case((due, 1), else_=0)), 0)
    return query.with_only_columns(sa.func.count(), n_due)


# a human undid this lead's automatic link (identity.undo): the matcher must not redo it
HUMAN_HELD_REASONS = (Reason.REOPENED.value,)


def urgent_first(cands: pl.DataFrame, *, today: dt.date, window_days: int) -> pl.DataFrame:
    """Leads still inside their claim window first, then newest first (REF §10.3 defect 7)."""
    age = (pl.lit(today) - pl.col("lead_date")).dt.total_days()
    return (
        cands.with_columns(_in_window=((age >= 0) & (age < window_days)).fill_null(False))
        .sort(
            ["_in_window", "lead_date", "source_pk"],
            descending=[True, True, False],
            nulls_last=True,
        )
        .drop("_in_window")
    )


def candidates_for(conn: sa.Connection, table: str, pks: Sequence[str]) -> pl.DataFrame | None:
    """Candidates of specific records of `table` (e.g. lead links whose person lacks a driver)."""
    if table not in SOURCES or not pks:
        return None
    t, pk, _, _ = SOURCES[table]
    cols = _columns(t)
    stmt = sa.select(*cols).where(in_keys(pk, sorted(set(pks))))
    return _frame(read_frame(conn, stmt, _schema(cols)), table)


def trips_frame(conn: sa.Connection, candidates: pl.DataFrame, *, days: int) -> pl.DataFrame:
    """The engine's activity input: per-driver daily trips (`summary_daily`) from the earliest
    lead date of `candidates` to `days` after the latest (the widest window measured)."""
    if candidates.height == 0 or "lead_date" not in candidates.columns:
        return pl.DataFrame(schema=TRIPS_SCHEMA)
    first, last = candidates["lead_date"].min(), candidates["lead_date"].max()
    if first is None or last is None:
        return pl.DataFrame(schema=TRIPS_SCHEMA)
    sd = summary_daily
    stmt = sa.select(
        sd.c.driver_id, sd.c.activity_date, sd.c.count_orders_completed.label("trips")
    ).where(
        sd.c.activity_date >= first,
        sd.c.activity_date <= last + dt.timedelta(days=days),  # type: ignore[operator]
        sd.c.count_orders_completed > 0,
    )
    return read_frame(conn, stmt, TRIPS_SCHEMA)
