"""The one origin rule (SPEC §3), over a frame of links, and its set-based writer.

Priority cabinet_lead > scout_registration > migration > legacy_external, then the earliest
lead date, then the smallest source id. Because the rule only reads the links, re-running it
computes the same answer and writes nothing: no job can flip an origin back and forth.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
import polars as pl
import sqlalchemy as sa

from idgap.source_tables import SourceTable
from idgap.store.bulk import insert_frame, now_column, read_frame, update_frame
from idgap.store.keys import in_keys
from idgap.store.tables import identity_links, identity_origin, identity_origin_history

RULESET_VERSION = "origin-1"
RULE_TEXT = (
    "priority cabinet_lead > scout_registration > migration > legacy_external, "
    "then earliest date, then smallest id"
)
TAGS = {
    SourceTable.LEADS: ("cabinet_lead", 4),
    SourceTable.SCOUTING: ("scout_registration", 3),
    SourceTable.MIGRATIONS: ("migration", 2),
    SourceTable.DRIVERS: ("legacy_external", 1),
}
LINKS_SCHEMA = {
    "person_key": pl.Utf8, "source_table": pl.Utf8, "source_pk": pl.Utf8,
    "snapshot_date": pl.Date,
}  # fmt: skip
CURRENT_SCHEMA = {
    "person_key": pl.Utf8, "tag_old": pl.Utf8, "table_old": pl.Utf8, "id_old": pl.Utf8,
}  # fmt: skip


@dataclass(frozen=True)
class LinkRef:
    source_table: str
    source_pk: str
    snapshot_date: dt.date | None


@dataclass(frozen=True)
class Origin:
    tag: str
    source_table: str
    source_id: str
    date: dt.date | None


def origin_frame(links: pl.DataFrame) -> pl.DataFrame:
    """One origin per person of `links` (LINKS_SCHEMA): person_key, origin_tag,
    origin_source_table, origin_source_id, origin_date, n_links. Persons whose links are all
    of unknown tables get none."""
    tables = {str(t): tag for t, (tag, _) in TAGS.items()}
    rank = {str(t): prio for t, (_, prio) in TAGS.items()}
    return (
        links.with_columns(
            n_links=pl.len().over("person_key").cast(pl.Int64),
            _prio=pl.col("source_table").replace_strict(rank, default=None, return_dtype=pl.Int8),
        )
        .filter(pl.col("_prio").is_not_null())
        .sort(
            ["person_key", "_prio", "snapshot_date", "source_pk"],
            descending=[False, True, False, False],
            nulls_last=True,  # an undated link comes after every dated one
        )
        .group_by("person_key", maintain_order=True)
        .first()
        .select(
            "person_key",
            origin_tag=pl.col("source_table").replace_strict(tables, return_dtype=pl.Utf8),
            origin_source_table="source_table",
            origin_source_id="source_pk",
            origin_date="snapshot_date",
            n_links="n_links",
        )
    )


def choose_origin(links: Iterable[LinkRef]) -> Origin | None:
    """The rule for one person's links; None without links of a known table."""
    rows = [("p", r.source_table, r.source_pk, r.snapshot_date) for r in links]
    best = origin_frame(pl.DataFrame(rows, schema=LINKS_SCHEMA, orient="row"))
    if best.height == 0:
        return None
    tag, table, source_id, day = best.select(
        "origin_tag", "origin_source_table", "origin_source_id", "origin_date"
    ).row(0)
    return Origin(tag, table, source_id, day)


@dataclass
class OriginStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def links_of(conn: sa.Connection, person_keys: Sequence[str] | None) -> pl.DataFrame:
    """The links of `person_keys` (None: every person) as a LINKS_SCHEMA frame."""
    lk = identity_links
    stmt = sa.select(lk.c.person_key, lk.c.source_table, lk.c.source_pk, lk.c.snapshot_date)
    if person_keys is not None:
        stmt = stmt.where(in_keys(lk.c.person_key, person_keys))
    return read_frame(conn, stmt, LINKS_SCHEMA)


def _current(conn: sa.Connection, person_keys: Sequence[str] | None) -> pl.DataFrame:
    og = identity_origin
    stmt = sa.select(
        og.c.person_key, og.c.origin_tag, og.c.origin_source_table, og.c.origin_source_id
    )
    if person_keys is not None:
        stmt = stmt.where(in_keys(og.c.person_key, person_keys))
    return read_frame(conn, stmt, CURRENT_SCHEMA)


def ensure_origins(
    conn: sa.Connection,
    person_keys: Sequence[str] | None,
    *,
    now: dt.datetime,
    run_id: int | None,
    changed_by: str,
    reason: str = "origin rule",
    dry_run: bool = False,
) -> OriginStats:
    """Bring the stored origin of each person in line with the rule (None = every person).

    Set-based: the links of every person are read in one statement, the rule runs over the
    whole frame, and the inserts, updates and history rows are each one bulk write.
    """
    keys = None if person_keys is None else sorted(set(person_keys))
    if keys is not None and not keys:
        return OriginStats()
    wanted = origin_frame(links_of(conn, keys)).join(
        _current(conn, keys), on="person_key", how="left"
    )
    same = (
        (pl.col("tag_old") == pl.col("origin_tag"))
        & (pl.col("table_old").eq_missing(pl.col("origin_source_table")))
        & (pl.col("id_old") == pl.col("origin_source_id"))
    ).fill_null(False)
    changed = wanted.filter(~same)
    is_new = pl.col("tag_old").is_null()
    stats = OriginStats(
        created=changed.filter(is_new).height,
        updated=changed.filter(~is_new).height,
        unchanged=wanted.height - changed.height,
    )
    if changed.height and not dry_run:
        _write(conn, changed, now=now, run_id=run_id, changed_by=changed_by, reason=reason)
    return stats


def _write(
    conn: sa.Connection,
    changed: pl.DataFrame,
    *,
    now: dt.datetime,
    run_id: int | None,
    changed_by: str,
    reason: str,
) -> None:
    rule = orjson.dumps(RULE_TEXT).decode()
    values = changed.select(
        "person_key", "origin_tag", "origin_source_table", "origin_source_id", "origin_date",
        origin_confidence=pl.when(pl.col("origin_tag") == "legacy_external")
        .then(50.0)
        .otherwise(95.0),
        ruleset_version=pl.lit(RULESET_VERSION),
        decided_by=pl.lit(changed_by),
        resolution_status=pl.lit("resolved_auto"),
        evidence=pl.concat_str(
            pl.lit('{"links":'), pl.col("n_links").cast(pl.Utf8), pl.lit(f',"rule":{rule}}}')
        ),
        updated_at=now_column("updated_at", now),
    )  # fmt: skip
    is_new = changed["tag_old"].is_null()
    insert_frame(
        conn, identity_origin, values.filter(is_new).with_columns(now_column("created_at", now))
    )
    update_frame(conn, identity_origin, values.filter(~is_new), key=["person_key"])
    history = changed.select(
        "person_key",
        action=pl.when(pl.col("tag_old").is_null())
        .then(pl.lit("insert"))
        .otherwise(pl.lit("update")),
        origin_tag_old="tag_old",
        origin_source_table_old="table_old",
        origin_source_id_old="id_old",
        origin_tag_new="origin_tag",
        origin_source_table_new="origin_source_table",
        origin_source_id_new="origin_source_id",
        changed_by=pl.lit(changed_by),
        change_reason=pl.lit(reason),
        run_id=pl.lit(run_id, dtype=pl.Int64),
        changed_at=now_column("changed_at", now),
    )
    insert_frame(conn, identity_origin_history, history)
