"""The reference's identity tables (REF §2.1, §2.2, §2.4) -> persons, links, origins.

A park migrating from the reference keeps its identities. Idempotent on natural keys: a
person, link or origin that is already stored is `unchanged` (never overwritten); one that
contradicts what is stored (a link to another person, a different origin) is rejected with the
reason. Links whose person is unknown are rejected; a link to a lead id that is not in the
leads table is loaded and reported as a warning. Set-based: Polars joins, bulk inserts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.intake.contract import (
    LEADS,
    LEGACY,
    LINK_SOURCE_TABLES,
    ORIGIN_TAG_TABLE,
    TableSpec,
)
from idgap.intake.dates import parse_date, parse_datetime
from idgap.intake.prepare import LINE, REASON, first_problem, split_duplicates, too_long
from idgap.intake.report import LISTED, TableReport
from idgap.store.bulk import insert_frame, now_column, read_frame
from idgap.store.tables import (
    cabinet_leads,
    identity_links,
    identity_origin,
    identity_origin_history,
    link_history,
    persons,
)

BY = "legacy-import"
WHY = "imported from the reference system"
_S: Any = pl.Utf8


@dataclass
class Loaded:
    rejects: pl.DataFrame  # _line, _reason
    person_keys: list[str]  # persons whose identity changed


def _col(df: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in df.columns else pl.lit(None, dtype=_S)


def _json_text(values: list[str | None]) -> list[str | None]:
    """The reference's JSONB as JSON text; a value that is not JSON is kept as {"raw": ...}."""
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        try:
            out.append(json.dumps(json.loads(v), ensure_ascii=False))
        except ValueError:
            out.append(json.dumps({"raw": v}, ensure_ascii=False))
    return out


def _utc(e: pl.Expr, now: dt.datetime) -> pl.Expr:
    fallback = pl.lit(now.astimezone(dt.UTC)).cast(pl.Datetime("us", "UTC"))
    return pl.coalesce([parse_datetime(e).dt.replace_time_zone("UTC"), fallback])


def _number(e: pl.Expr, default: float | None) -> pl.Expr:
    number = e.cast(pl.Float64, strict=False)
    return number if default is None else number.fill_null(default)


def _checked(
    raw: pl.DataFrame, spec: TableSpec, table: sa.Table, source_of: dict[str, str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Row checks of the contract + lengths, then in-file duplicates -> (good, rejects)."""
    reason = first_problem(raw, spec, too_long(raw, table, source_of))
    checked = raw.with_columns(reason.alias(REASON))
    good, dups = split_duplicates(checked.filter(pl.col(REASON).is_null()), spec.key)
    bad = pl.concat([checked.filter(pl.col(REASON).is_not_null()), dups])
    return good, bad.select(LINE, REASON)


def _reject(df: pl.DataFrame, cond: pl.Expr, reason: pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame]:
    out = df.filter(cond).select(LINE, reason.alias(REASON))
    return df.filter(~cond), out


def _known_persons(conn: sa.Connection) -> pl.DataFrame:
    stmt = sa.select(persons.c.person_key)
    return read_frame(conn, stmt, {"person_key": _S}).with_columns(_known=pl.lit(True))


def _reject_unknown_persons(
    conn: sa.Connection, good: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Links and origins must name a person of the registry (or one already stored)."""
    good = good.join(_known_persons(conn), on="person_key", how="left")
    return _reject(
        good,
        pl.col("_known").is_null(),
        pl.format("unknown person_key {} (not in identity_registry)", pl.col("person_key")),
    )


def load_registry(
    conn: sa.Connection,
    raw: pl.DataFrame,
    rep: TableReport,
    *,
    run_id: int | None,
    now: dt.datetime,
) -> Loaded:
    """identity_registry -> persons (status active, created_by legacy)."""
    source_of = {"confidence": "confidence_level", "primary_name": "primary_full_name"}
    good, bad = _checked(raw, _spec("identity_registry"), persons, source_of)
    good = good.join(_known_persons(conn), on="person_key", how="left")
    fresh = good.filter(pl.col("_known").is_null())
    rep.unchanged += good.height - fresh.height
    rows = fresh.select(
        "person_key",
        pl.lit("active").alias("status"),
        _col(fresh, "confidence_level").alias("confidence"),
        _col(fresh, "primary_full_name").alias("primary_name"),
        _col(fresh, "primary_phone").alias("primary_phone"),
        _col(fresh, "primary_license").alias("primary_license"),
        _utc(_col(fresh, "created_at"), now).alias("created_at"),
        _utc(_col(fresh, "updated_at"), now).alias("updated_at"),
        pl.lit("legacy").alias("created_by"),
    )
    rep.loaded += insert_frame(conn, persons, rows)
    return Loaded(bad, [])


def load_links(
    conn: sa.Connection,
    raw: pl.DataFrame,
    rep: TableReport,
    *,
    run_id: int | None,
    now: dt.datetime,
) -> Loaded:
    """identity_links -> identity_links (linked_by legacy) + their link history."""
    source_of = {"confidence": "confidence_level"}
    good, bad = _checked(raw, _spec("identity_links"), identity_links, source_of)
    good, r1 = _reject(
        good,
        ~pl.col("source_table").is_in(list(LINK_SOURCE_TABLES)),
        pl.format("unknown source_table '{}'", pl.col("source_table")),
    )
    good, r2 = _reject_unknown_persons(conn, good)
    stored = read_frame(
        conn,
        sa.select(identity_links.c.source_table, identity_links.c.source_pk,
                  identity_links.c.person_key),
        {"source_table": _S, "source_pk": _S, "_linked_to": _S},
    )  # fmt: skip
    good = good.join(stored, on=["source_table", "source_pk"], how="left")
    good, r3 = _reject(
        good,
        pl.col("_linked_to").is_not_null() & (pl.col("_linked_to") != pl.col("person_key")),
        pl.format("already linked to another person ({})", pl.col("_linked_to")),
    )
    fresh = good.filter(pl.col("_linked_to").is_null())
    rep.unchanged += good.height - fresh.height
    _warn_unknown_leads(conn, fresh, rep)
    rows = fresh.select(
        "person_key",
        "source_table",
        "source_pk",
        parse_date(_col(fresh, "snapshot_date")).alias("snapshot_date"),
        pl.coalesce([_col(fresh, "match_rule"), pl.lit("LEGACY")]).alias("match_rule"),
        _number(_col(fresh, "match_score"), None).alias("match_score"),
        _col(fresh, "confidence_level").alias("confidence"),
        pl.Series("evidence", _json_text(fresh["evidence"].to_list()), dtype=_S)
        if "evidence" in fresh.columns
        else pl.lit(None, dtype=_S).alias("evidence"),
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        _utc(_col(fresh, "linked_at"), now).alias("linked_at"),
        pl.lit("legacy").alias("linked_by"),
    )
    rep.loaded += insert_frame(conn, identity_links, rows)
    insert_frame(
        conn,
        link_history,
        rows.select(
            "source_table",
            "source_pk",
            pl.lit("link").alias("action"),
            pl.col("person_key").alias("person_key_new"),
            pl.lit(BY).alias("changed_by"),
            pl.format("{} ({})", pl.col("match_rule"), pl.lit(WHY)).alias("reason"),
            "run_id",
            now_column("changed_at", now),
        ),
    )
    return Loaded(pl.concat([bad, r1, r2, r3]), rows["person_key"].unique().to_list())


def _warn_unknown_leads(conn: sa.Connection, links: pl.DataFrame, rep: TableReport) -> None:
    lead_links = links.filter(pl.col("source_table") == LEADS)
    if lead_links.height == 0:
        return
    leads = read_frame(conn, sa.select(cabinet_leads.c.lead_id), {"source_pk": _S})
    unknown = lead_links.join(leads, on="source_pk", how="anti").sort(LINE)
    rep.warn(
        [
            f"line {line}: link to unknown lead {pk}"
            for line, pk in unknown.select(LINE, "source_pk").head(LISTED).iter_rows()
        ]
    )
    rep.warned += max(unknown.height - LISTED, 0)


def load_origins(
    conn: sa.Connection,
    raw: pl.DataFrame,
    rep: TableReport,
    *,
    run_id: int | None,
    now: dt.datetime,
) -> Loaded:
    """identity_origin -> identity_origin + an `insert` history row each (REF §2.4/§2.5)."""
    good, bad = _checked(raw, _spec("identity_origin"), identity_origin)
    good, r1 = _reject(
        good,
        ~pl.col("origin_tag").is_in(list(ORIGIN_TAG_TABLE)),
        pl.format("unknown origin_tag '{}'", pl.col("origin_tag")),
    )
    good, r2 = _reject_unknown_persons(conn, good)
    stored = read_frame(
        conn,
        sa.select(identity_origin.c.person_key, identity_origin.c.origin_tag,
                  identity_origin.c.origin_source_id),
        {"person_key": _S, "_tag": _S, "_source_id": _S},
    )  # fmt: skip
    good = good.join(stored, on="person_key", how="left")
    same = (pl.col("_tag") == pl.col("origin_tag")) & (
        pl.col("_source_id") == pl.col("origin_source_id")
    )
    good, r3 = _reject(
        good,
        pl.col("_tag").is_not_null() & ~same,
        pl.format("person already has origin {} {} (kept)", pl.col("_tag"), pl.col("_source_id")),
    )
    fresh = good.filter(pl.col("_tag").is_null())
    rep.unchanged += good.height - fresh.height
    rows = _origin_rows(fresh, now)
    rep.loaded += insert_frame(conn, identity_origin, rows)
    insert_frame(
        conn,
        identity_origin_history,
        rows.select(
            "person_key",
            pl.lit("insert").alias("action"),
            pl.col("origin_tag").alias("origin_tag_new"),
            pl.col("origin_source_table").alias("origin_source_table_new"),
            pl.col("origin_source_id").alias("origin_source_id_new"),
            pl.lit(BY).alias("changed_by"),
            pl.lit(WHY).alias("change_reason"),
            pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
            now_column("changed_at", now),
        ),
    )
    return Loaded(pl.concat([bad, r1, r2, r3]), rows["person_key"].to_list())


def _origin_rows(fresh: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    return fresh.select(
        "person_key",
        "origin_tag",
        pl.col("origin_tag").replace_strict(ORIGIN_TAG_TABLE).alias("origin_source_table"),
        "origin_source_id",
        parse_date(_col(fresh, "origin_created_at")).alias("origin_date"),
        _number(_col(fresh, "origin_confidence"), 50.0).alias("origin_confidence"),
        pl.coalesce([_col(fresh, "ruleset_version"), pl.lit("origin_rules_v1")]).alias(
            "ruleset_version"
        ),
        pl.Series("evidence", _json_text(fresh["evidence"].to_list()), dtype=_S)
        if "evidence" in fresh.columns
        else pl.lit(None, dtype=_S).alias("evidence"),
        pl.coalesce([_col(fresh, "decided_by"), pl.lit("legacy")]).alias("decided_by"),
        pl.coalesce([_col(fresh, "resolution_status"), pl.lit("resolved_auto")]).alias(
            "resolution_status"
        ),
        now_column("created_at", now),
        now_column("updated_at", now),
    )


def _spec(name: str) -> TableSpec:
    return LEGACY[name]


LOADERS = {
    "identity_registry": load_registry,
    "identity_links": load_links,
    "identity_origin": load_origins,
}
