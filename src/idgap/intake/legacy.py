"""The reference's identity tables (REF §2.1, §2.2, §2.4) -> persons, links, origins.

A park migrating from the reference keeps its identities; the links it wrote without origin
are then visible as `no_origin` until `idgap backfill-origins` runs.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import sqlalchemy as sa

from idgap.intake.dates import parse_date, parse_datetime
from idgap.intake.report import TableReport
from idgap.store.tables import (
    cabinet_leads,
    identity_links,
    identity_origin,
    identity_origin_history,
    persons,
)

TAG_TABLE = {
    "cabinet_lead": "module_ct_cabinet_leads",
    "scout_registration": "module_ct_scouting_daily",
    "migration": "module_ct_migrations",
    "legacy_external": "drivers",
}


def _col(df: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in df.columns else pl.lit(None, dtype=pl.Utf8)


def _json(v: str | None) -> object:
    if not v:
        return None
    try:
        return json.loads(v)
    except ValueError:
        return {"raw": v}


def _known(conn: sa.Connection, *cols: sa.Column) -> set:
    rows = conn.execute(sa.select(*cols)).all()
    return {r[0] if len(cols) == 1 else tuple(r) for r in rows}


def load_registry(
    conn: sa.Connection, df: pl.DataFrame, rep: TableReport, now: dt.datetime
) -> list[str]:
    known = _known(conn, persons.c.person_key)
    df = df.with_columns(created=parse_datetime(_col(df, "created_at")))
    rows = []
    for r in df.iter_rows(named=True):
        if r["person_key"] in known:
            rep.unchanged += 1
            continue
        created = r["created"] or now
        rows.append(
            {
                "person_key": r["person_key"],
                "status": "active",
                "confidence": r.get("confidence_level"),
                "primary_name": r.get("primary_full_name"),
                "primary_phone": r.get("primary_phone"),
                "primary_license": r.get("primary_license"),
                "created_at": created,
                "updated_at": created,
                "created_by": "legacy",
            }
        )
    if rows:
        conn.execute(persons.insert(), rows)
    rep.loaded += len(rows)
    return []


def load_links(
    conn: sa.Connection, df: pl.DataFrame, rep: TableReport, now: dt.datetime
) -> list[str]:
    known = _known(conn, identity_links.c.source_table, identity_links.c.source_pk)
    people = _known(conn, persons.c.person_key)
    leads = _known(conn, cabinet_leads.c.lead_id)
    df = df.with_columns(
        snap=parse_date(_col(df, "snapshot_date")), linked=parse_datetime(_col(df, "linked_at"))
    ).with_row_index("_line", offset=2)
    rows, touched_people = [], []
    for r in df.iter_rows(named=True):
        key = (r["source_table"], r["source_pk"])
        if key in known:
            rep.unchanged += 1
            continue
        if r["person_key"] not in people:
            rep.rejected += 1
            rep.rejects.append(
                {"line": r["_line"], "reason": f"unknown person_key {r['person_key']}"}
            )
            continue
        if r["source_table"] == "module_ct_cabinet_leads" and r["source_pk"] not in leads:
            rep.warnings.append(f"line {r['_line']}: link to unknown lead {r['source_pk']}")
        score = r.get("match_score")
        rows.append(
            {
                "person_key": r["person_key"],
                "source_table": r["source_table"],
                "source_pk": r["source_pk"],
                "snapshot_date": r["snap"],
                "match_rule": r.get("match_rule") or "LEGACY",
                "match_score": float(score) if score else None,
                "confidence": r.get("confidence_level"),
                "evidence": _json(r.get("evidence")),
                "linked_at": r["linked"] or now,
                "linked_by": "legacy",
            }
        )
        known.add(key)
        touched_people.append(r["person_key"])
    if rows:
        conn.execute(identity_links.insert(), rows)
    rep.loaded += len(rows)
    return touched_people


def load_origins(
    conn: sa.Connection, df: pl.DataFrame, rep: TableReport, now: dt.datetime
) -> list[str]:
    known = _known(conn, identity_origin.c.person_key)
    people = _known(conn, persons.c.person_key)
    df = df.with_columns(created=parse_datetime(_col(df, "origin_created_at"))).with_row_index(
        "_line", offset=2
    )
    rows, history = [], []
    for r in df.iter_rows(named=True):
        if r["person_key"] in known:
            rep.unchanged += 1
            continue
        if r["person_key"] not in people or r["origin_tag"] not in TAG_TABLE:
            rep.rejected += 1
            why = (
                "unknown person_key"
                if r["person_key"] not in people
                else f"unknown origin_tag {r['origin_tag']}"
            )
            rep.rejects.append({"line": r["_line"], "reason": why})
            continue
        conf = r.get("origin_confidence")
        rows.append(
            {
                "person_key": r["person_key"],
                "origin_tag": r["origin_tag"],
                "origin_source_table": TAG_TABLE[r["origin_tag"]],
                "origin_source_id": r["origin_source_id"],
                "origin_date": r["created"].date() if r["created"] else None,
                "origin_confidence": float(conf) if conf else 95.0,
                "ruleset_version": r.get("ruleset_version") or "origin_rules_v1",
                "evidence": _json(r.get("evidence")),
                "decided_by": r.get("decided_by") or "legacy",
                "resolution_status": r.get("resolution_status") or "resolved_auto",
                "created_at": now,
                "updated_at": now,
            }
        )
        history.append(
            {
                "person_key": r["person_key"],
                "action": "insert",
                "origin_tag_new": r["origin_tag"],
                "origin_source_table_new": TAG_TABLE[r["origin_tag"]],
                "origin_source_id_new": r["origin_source_id"],
                "changed_by": "legacy-import",
                "change_reason": "imported from the reference system",
                "changed_at": now,
            }
        )
        known.add(r["person_key"])
    if rows:
        conn.execute(identity_origin.insert(), rows)
        conn.execute(identity_origin_history.insert(), history)
    rep.loaded += len(rows)
    return [r["person_key"] for r in rows]


LOADERS = {
    "identity_registry": load_registry,
    "identity_links": load_links,
    "identity_origin": load_origins,
}
