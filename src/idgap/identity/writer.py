"""Write engine decisions: lead link + driver link + origin in one transaction (SPEC §3).

The decision frame (`matching.model.DECISION_SCHEMA`) goes to the store as a frame: it is
appended to `match_decisions` by column name (a column the engine adds flows through once the
table has it), `evidence_json` / `candidates_json` are stored as the text the engine built
(never parsed here), persons are assigned by a Polars join, links and queue rows are bulk
writes, and the change-set brings origins and gap status in line once per batch.
`apply_decisions` runs inside the caller's transaction, so a batch is written whole or not
at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.config import Settings
from idgap.identity.changes import ChangeSet, driver_persons, linked_keys, new_person_key
from idgap.source_tables import SourceTable
from idgap.store.bulk import insert_frame, now_column, read_frame, upsert_frame
from idgap.store.keys import in_keys
from idgap.store.tables import (
    identity_links,
    identity_origin,
    identity_origin_history,
    identity_unmatched,
    lead_status,
    link_history,
    match_decisions,
    persons,
)

__all__ = ["WriteStats", "apply_decisions", "log_decisions", "queue_decisions"]
# every table `apply_decisions` writes (callers refresh their planner statistics as they grow)
WRITTEN_TABLES = (
    match_decisions, persons, identity_links, link_history, identity_origin,
    identity_origin_history, identity_unmatched, lead_status,
)  # fmt: skip
# decision-frame columns stored under another name in match_decisions
STORED_AS = {"evidence_json": "evidence", "candidates_json": "candidates"}
LEAD_DATE = pl.col("evidence_json").str.json_path_match("$.lead_date").str.to_date(strict=False)


@dataclass
class WriteStats:
    matched: int = 0
    review: int = 0
    unmatched: int = 0
    persons_created: int = 0
    driver_links_created: int = 0
    origins_created: int = 0
    queue_resolved: int = 0
    skipped_already_linked: int = 0
    gap_status_seconds: float = 0.0  # of the batch's time: origins and gap status (finish)
    by_reason: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)

    def add(self, other: WriteStats) -> None:
        for k, v in asdict(other).items():
            if isinstance(v, dict):
                mine = getattr(self, k)
                for r, n in v.items():
                    mine[r] = mine.get(r, 0) + n
            else:
                setattr(self, k, getattr(self, k) + v)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def apply_decisions(
    conn: sa.Connection,
    decisions: pl.DataFrame,
    *,
    run_id: int | None,
    now: dt.datetime,
    settings: Settings,
    decided_by: str = "system",
    followups: bool = True,
) -> WriteStats:
    """Append every decision, link the matched, queue the rest, then origins and gap status.

    Records that already have a link are skipped: a linked lead never changes person here
    (stable keys; only merge/split move links).
    """
    stats = WriteStats()
    fresh = _fresh(conn, decisions, stats)
    if fresh.height == 0:
        return stats
    _count(fresh, stats)
    is_matched = (pl.col("outcome") == "matched") & pl.col("driver_id").is_not_null()
    fresh = _assign_persons(conn, fresh, is_matched)  # before the log: decisions name persons
    logged = log_decisions(conn, fresh, run_id=run_id, now=now, by=decided_by)
    changes = ChangeSet(conn, by=decided_by, now=now, run_id=run_id,
                        reason="link created by matching")  # fmt: skip
    matched = logged.filter(is_matched)
    _link_matched(changes, matched, stats)
    others = logged.filter(~is_matched)
    queue_decisions(conn, others, run_id=run_id, now=now)
    _count_queue(others, stats)
    stats.queue_resolved = resolve_queue_rows(conn, matched, now=now, by=decided_by)
    changes.touch_leads(logged.filter(pl.col("source_table") == SourceTable.LEADS)["source_pk"])
    done = changes.finish(settings, followups=followups)
    stats.origins_created = done.origins_created
    stats.gap_status_seconds = done.seconds
    return stats


def _fresh(conn: sa.Connection, decisions: pl.DataFrame, stats: WriteStats) -> pl.DataFrame:
    """Decisions of records without a link, one per record (the last one wins), with the
    record's date and input hash."""
    unique = decisions.unique(
        subset=["source_table", "source_pk"], keep="last", maintain_order=True
    )
    linked = [
        (table, pk)
        for table in unique["source_table"].unique().to_list()
        for pk in linked_keys(
            conn, table, unique.filter(pl.col("source_table") == table)["source_pk"].to_list()
        )
    ]
    taken = pl.DataFrame(linked, schema={"source_table": pl.Utf8, "source_pk": pl.Utf8},
                         orient="row")  # fmt: skip
    fresh = unique.join(taken, on=["source_table", "source_pk"], how="anti", maintain_order="left")
    stats.skipped_already_linked = decisions.height - fresh.height
    return fresh.with_columns(lead_date=LEAD_DATE, input_hash=input_hashes(fresh))


def input_hashes(decisions: pl.DataFrame) -> pl.Series:
    """md5 of what each decision was made from: its normalised inputs and date (as the
    engine wrote them into the evidence text; the text itself is not parsed)."""
    inputs = decisions["evidence_json"].str.json_path_match("$.inputs").fill_null("")
    day = decisions["evidence_json"].str.json_path_match("$.lead_date").fill_null("")
    return pl.Series(
        "input_hash",
        [
            hashlib.md5(f"{i}|{d}".encode(), usedforsecurity=False).hexdigest()
            for i, d in zip(inputs.to_list(), day.to_list(), strict=True)
        ],
        dtype=pl.Utf8,
    )


def _count(fresh: pl.DataFrame, stats: WriteStats) -> None:
    for reason, n in fresh.group_by("reason_code").len().iter_rows():
        stats.by_reason[reason] = stats.by_reason.get(reason, 0) + n


def _assign_persons(conn: sa.Connection, fresh: pl.DataFrame, matched: pl.Expr) -> pl.DataFrame:
    """`person_key` of each matched record: the holder of its driver, else a new person;
    `new_person` marks the record that creates it - the earliest (date, id) of its driver,
    so which decision creates a person does not depend on batch order."""
    drivers = fresh.filter(matched)["driver_id"].unique().to_list()
    owners = driver_persons(conn, drivers)
    new = [d for d in drivers if d not in owners]
    keys = pl.DataFrame(
        {"driver_id": list(owners) + new,
         "person_key": list(owners.values()) + [new_person_key() for _ in new],
         "_owned": [True] * len(owners) + [False] * len(new)},
        schema={"driver_id": pl.Utf8, "person_key": pl.Utf8, "_owned": pl.Boolean},
    )  # fmt: skip
    first = (
        fresh.filter(matched)
        .sort("lead_date", "source_pk", nulls_last=True)
        .unique("driver_id", keep="first", maintain_order=True)
        .select("driver_id", "source_table", "source_pk", _first=pl.lit(True))
    )
    return (
        fresh.join(keys, on="driver_id", how="left", maintain_order="left")
        .join(
            first, on=["driver_id", "source_table", "source_pk"], how="left", maintain_order="left"
        )  # fmt: skip
        .with_columns(
            person_key=pl.when(matched).then("person_key"),
            new_person=(matched & ~pl.col("_owned") & pl.col("_first")).fill_null(False),
        )
        .drop("_owned", "_first")
    )


def log_decisions(
    conn: sa.Connection, decisions: pl.DataFrame, *, run_id: int | None, now: dt.datetime, by: str
) -> pl.DataFrame:
    """Append decisions to `match_decisions` (append-only) by column name; -> the frame with
    each record's new `decision_id` (a record appears once per call)."""
    md = match_decisions
    frame = decisions.rename({k: v for k, v in STORED_AS.items() if k in decisions.columns})
    frame = frame.with_columns(
        run_id=pl.lit(run_id, pl.Int64),
        decided_by=pl.lit(by),
        decided_at=now_column("decided_at", now),
    )
    if "person_key" not in frame.columns:
        frame = frame.with_columns(person_key=pl.lit(None, pl.Utf8))
    stored = [c for c in frame.columns if c in md.c and c != "id"]
    # ids read back in one query: RETURNING with executemany goes row by row on SQLite
    before = conn.execute(sa.select(sa.func.coalesce(sa.func.max(md.c.id), 0))).scalar_one()
    insert_frame(conn, md, frame.select(stored))
    ids = read_frame(
        conn,
        sa.select(md.c.id, md.c.source_table, md.c.source_pk).where(
            md.c.id > before, md.c.decided_by == by, md.c.decided_at == now
        ),
        {"decision_id": pl.Int64, "source_table": pl.Utf8, "source_pk": pl.Utf8},
    ).unique(["source_table", "source_pk"], keep="last")
    return decisions.join(ids, on=["source_table", "source_pk"], how="left",
                          maintain_order="left")  # fmt: skip


def _link_matched(changes: ChangeSet, matched: pl.DataFrame, stats: WriteStats) -> None:
    """Lead links; a new person also gets its driver link in the same change-set."""
    if matched.height == 0:
        return
    creators = matched.filter(pl.col("new_person"))
    changes.add_persons(creators.select("person_key", "confidence", "driver_id"))
    from_where = pl.concat_str("source_table", pl.lit("/"), "source_pk")
    driver_links = creators.select(
        "person_key",
        source_table=pl.lit(SourceTable.DRIVERS.value),
        source_pk="driver_id",
        snapshot_date=pl.lit(None, pl.Date),
        match_rule=pl.lit("DRIVER_MATCH"),
        match_score=pl.lit(100.0),
        confidence=pl.lit("HIGH"),
        evidence=pl.struct(driver_id="driver_id", linked_from=from_where).struct.json_encode(),
        decision_id="decision_id",
    )
    lead_links = matched.select(
        "person_key", "source_table", "source_pk",
        snapshot_date="lead_date",
        match_rule=pl.col("rule").fill_null("MATCH"),
        match_score="score",
        confidence="confidence",
        evidence=_with_driver(pl.col("evidence_json")),
        decision_id="decision_id",
    )  # fmt: skip
    changes.add_links(pl.concat([driver_links, lead_links]))
    stats.matched += matched.height
    stats.persons_created += creators.height
    stats.driver_links_created += creators.height
    for rule, n in lead_links.group_by("match_rule").len().iter_rows():
        stats.by_rule[rule] = stats.by_rule.get(rule, 0) + n


def _with_driver(evidence: pl.Expr) -> pl.Expr:
    """The decision's evidence object (JSON text) with `driver_id` added as its last key."""
    driver = pl.struct(driver_id="driver_id").struct.json_encode()  # {"driver_id":"..."}
    body = evidence.fill_null("{}").str.strip_chars()
    empty = body.str.len_chars() <= 2
    return (
        pl.when(empty)
        .then(driver)
        .otherwise(pl.concat_str(body.str.head(-1), pl.lit(","), driver.str.tail(-1)))
    )


def queue_decisions(
    conn: sa.Connection, others: pl.DataFrame, *, run_id: int | None, now: dt.datetime
) -> int:
    """Upsert the review/unmatched queue row of each record (status back to OPEN)."""
    if others.height == 0:
        return 0
    rows = others.select(
        "source_table", "source_pk",
        snapshot_date="lead_date",
        outcome=pl.when(pl.col("outcome") == "review").then(pl.lit("review"))
        .otherwise(pl.lit("unmatched")),
        reason_code="reason_code",
        details="evidence_json",
        candidates=pl.col("candidates_json").fill_null("[]"),
        status=pl.lit("OPEN"),
        decision_id="decision_id",
        index_version="index_version",
        input_hash="input_hash",
        run_id=pl.lit(run_id, pl.Int64),
        created_at=now_column("created_at", now),
        updated_at=now_column("updated_at", now),
        resolved_at=pl.lit(None, pl.Datetime("us", "UTC")),
        resolved_by=pl.lit(None, pl.Utf8),
    )  # fmt: skip
    return upsert_frame(
        conn, identity_unmatched, rows, ["source_table", "source_pk"], keep=["created_at"]
    )


def _count_queue(others: pl.DataFrame, stats: WriteStats) -> None:
    outcomes = dict(others.group_by("outcome").len().iter_rows())
    stats.review += outcomes.get("review", 0)
    stats.unmatched += others.height - outcomes.get("review", 0)


def resolve_queue_rows(
    conn: sa.Connection, linked: pl.DataFrame, *, now: dt.datetime, by: str
) -> int:
    """Queue rows of records that just got a link become RESOLVED (one UPDATE per table)."""
    u = identity_unmatched
    done = 0
    for table in sorted(linked["source_table"].unique().to_list()):
        pks = linked.filter(pl.col("source_table") == table)["source_pk"].to_list()
        result = conn.execute(
            u.update()
            .where(u.c.source_table == table, in_keys(u.c.source_pk, pks), u.c.status != "RESOLVED")
            .values(status="RESOLVED", resolved_at=now, resolved_by=by, updated_at=now)
        )
        done += max(result.rowcount or 0, 0)
    return done


# decisions made outside the engine (manual resolution, migrations) as decision-frame rows
DIRECT_SCHEMA = {
    "source_table": pl.Utf8, "source_pk": pl.Utf8, "outcome": pl.Utf8, "driver_id": pl.Utf8,
    "person_key": pl.Utf8, "rule": pl.Utf8, "score": pl.Float64, "confidence": pl.Utf8,
    "reason_code": pl.Utf8, "evidence_json": pl.Utf8, "candidates_json": pl.Utf8,
    "ruleset": pl.Utf8, "ruleset_version": pl.Utf8, "index_version": pl.Utf8,
    "input_hash": pl.Utf8,
}  # fmt: skip


def direct_decisions(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A decision frame from Python rows (DIRECT_SCHEMA keys; `evidence` and `candidates` as
    values, written as JSON text once here)."""
    from idgap.identity.changes import json_text

    return pl.DataFrame(
        [
            {
                **{k: r.get(k) for k in DIRECT_SCHEMA if not k.endswith("_json")},
                "evidence_json": json_text(r.get("evidence") or {}),
                "candidates_json": json_text(r.get("candidates") or []),
            }
            for r in rows
        ],
        schema=DIRECT_SCHEMA,
    )
