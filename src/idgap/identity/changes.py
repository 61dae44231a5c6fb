"""The identity change-set: the one way every writer changes who is who (SPEC §3).

Matcher, manual resolve, dismiss, merge, split, repair and backfill all go through a
`ChangeSet` bound to the caller's transaction:

    changes = ChangeSet(conn, by="system", now=now, run_id=run_id, reason="...")
    changes.add_persons(frame); changes.add_links(frame)     # links -> driver links
    changes.move_link(...) / changes.move_person(...)        # merge, split
    changes.touch_leads(ids)                                 # decided, queued, dismissed
    stats = changes.finish(settings)                         # -> origins -> gap status

Persons and links are written as they are added (set-based: one bulk write per call), so a
later step of the same writer sees them; `finish` then brings the origin of every person the
change-set touched in line with the rule and refreshes the gap status of every lead that
depends on them, ONCE per batch. A change-set lives and dies with its transaction: a batch is
written whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import polars as pl
import sqlalchemy as sa

from idgap.clock import park_day
from idgap.config import Settings
from idgap.gaps.status import refresh_lead_status
from idgap.identity.origin import ensure_origins
from idgap.source_tables import SourceTable
from idgap.store.bulk import insert_frame, now_column, read_frame
from idgap.store.keys import in_keys
from idgap.store.tables import drivers, identity_links, link_history, persons

# what a writer gives `add_links`; run, time and author are the change-set's own
LINK_SCHEMA = {
    "person_key": pl.Utf8, "source_table": pl.Utf8, "source_pk": pl.Utf8,
    "snapshot_date": pl.Date, "match_rule": pl.Utf8, "match_score": pl.Float64,
    "confidence": pl.Utf8, "evidence": pl.Utf8, "decision_id": pl.Int64,
}  # fmt: skip
# what a writer gives `add_persons`; `driver_id` (optional) names the driver whose name,
# phone and license become the person's primary ones
PERSON_SCHEMA = {"person_key": pl.Utf8, "confidence": pl.Utf8, "driver_id": pl.Utf8}


def new_person_key() -> str:
    return str(uuid.uuid4())


def json_text(value: Any) -> str:
    """A Python value as the JSON text the store keeps (for writers that build evidence)."""
    return orjson.dumps(value, default=str).decode()


@dataclass
class ChangeStats:
    persons_created: int = 0
    links_created: int = 0
    links_moved: int = 0
    origins_created: int = 0
    origins_updated: int = 0
    leads_refreshed: int = 0
    seconds: float = 0.0  # spent in `finish` (origins + gap status)


class ChangeSet:
    """Identity changes of one writer in one transaction; see the module docstring."""

    def __init__(
        self, conn: sa.Connection, *, by: str, now: dt.datetime, run_id: int | None, reason: str
    ) -> None:
        self.conn, self.by, self.now, self.run_id, self.reason = conn, by, now, run_id, reason
        self.stats = ChangeStats()
        self._persons: set[str] = set()
        self._leads: set[str] = set()
        self._every_lead = False

    # --- links and persons -------------------------------------------------------------

    def add_persons(self, frame: pl.DataFrame) -> None:
        """New persons (PERSON_SCHEMA columns; `driver_id` may be absent or null)."""
        if frame.height == 0:
            return
        if "driver_id" not in frame.columns:
            frame = frame.with_columns(driver_id=pl.lit(None, pl.Utf8))
        rows = frame.join(_primary_details(self.conn, frame), on="driver_id", how="left")
        insert = rows.select(
            "person_key",
            status=pl.lit("active"),
            confidence=pl.col("confidence").cast(pl.Utf8),
            primary_name="primary_name",
            primary_phone="primary_phone",
            primary_license="primary_license",
            created_at=now_column("created_at", self.now),
            updated_at=now_column("updated_at", self.now),
            created_by=pl.lit(self.by),
        )
        _insert(self.conn, persons, insert)
        self.stats.persons_created += insert.height
        self._persons.update(insert["person_key"].to_list())

    def add_person(self, person_key: str, *, confidence: str | None, driver_id: str | None) -> None:
        self.add_persons(
            pl.DataFrame([(person_key, confidence, driver_id)], schema=PERSON_SCHEMA, orient="row")
        )

    def add_links(self, frame: pl.DataFrame, *, history_reason: str | None = None) -> None:
        """New links (LINK_SCHEMA columns, `evidence` as JSON text) and their history rows.

        The history reason is `history_reason`, else each link's rule."""
        if frame.height == 0:
            return
        links = frame.select(
            *[pl.col(c).cast(t) for c, t in LINK_SCHEMA.items()],
            run_id=pl.lit(self.run_id, pl.Int64),
            linked_at=now_column("linked_at", self.now),
            linked_by=pl.lit(self.by),
        )
        _insert(self.conn, identity_links, links)
        history = links.select(
            "source_table", "source_pk",
            action=pl.lit("link"),
            person_key_new="person_key",
            changed_by="linked_by",
            reason=pl.lit(history_reason) if history_reason else pl.col("match_rule"),
            run_id="run_id",
            changed_at="linked_at",
        )  # fmt: skip
        insert_frame(self.conn, link_history, history)
        self.stats.links_created += links.height
        self._persons.update(links["person_key"].unique().to_list())
        self._leads.update(links.filter(pl.col("source_table") == SourceTable.LEADS)["source_pk"])

    def add_link(
        self,
        table: str,
        pk: str,
        person_key: str,
        *,
        rule: str,
        score: float | None,
        confidence: str | None,
        evidence: dict[str, Any],
        snapshot_date: dt.date | None = None,
        decision_id: int | None = None,
        history_reason: str | None = None,
    ) -> None:
        row = (person_key, table, pk, snapshot_date, rule, score, confidence,
               json_text(evidence), decision_id)  # fmt: skip
        self.add_links(
            pl.DataFrame([row], schema=LINK_SCHEMA, orient="row"), history_reason=history_reason
        )

    # --- merge and split ------------------------------------------------------------------

    def move_link(self, table: str, pk: str, new_person: str, *, reason: str) -> str:
        """Move one link to another person; returns the person it left."""
        lk = identity_links
        old = self.conn.execute(
            sa.select(lk.c.person_key).where(lk.c.source_table == table, lk.c.source_pk == pk)
        ).scalar_one()
        self.conn.execute(
            lk.update()
            .where(lk.c.source_table == table, lk.c.source_pk == pk)
            .values(person_key=new_person)
        )
        self._moved([(table, pk)], old, new_person, reason)
        return old

    def move_person(self, absorb: str, keep: str, *, reason: str) -> int:
        """Move every link of `absorb` to `keep`; returns how many moved."""
        lk = identity_links
        moved = [
            (t, pk)
            for t, pk in self.conn.execute(
                sa.select(lk.c.source_table, lk.c.source_pk).where(lk.c.person_key == absorb)
            ).all()
        ]
        self.conn.execute(lk.update().where(lk.c.person_key == absorb).values(person_key=keep))
        self._moved(moved, absorb, keep, reason)
        return len(moved)

    def _moved(self, keys: list[tuple[str, str]], old: str, new: str, reason: str) -> None:
        if keys:
            history = pl.DataFrame(
                {"source_table": [k[0] for k in keys], "source_pk": [k[1] for k in keys]},
                schema={"source_table": pl.Utf8, "source_pk": pl.Utf8},
            ).with_columns(
                action=pl.lit("move"),
                person_key_old=pl.lit(old),
                person_key_new=pl.lit(new),
                changed_by=pl.lit(self.by),
                reason=pl.lit(reason),
                run_id=pl.lit(self.run_id, pl.Int64),
                changed_at=now_column("changed_at", self.now),
            )
            insert_frame(self.conn, link_history, history)
        self.stats.links_moved += len(keys)
        self._persons.update((old, new))

    # --- what finish must bring in line ---------------------------------------------------

    def touch_persons(self, person_keys: Iterable[str]) -> None:
        """Persons whose origin must be checked (e.g. links written without this set)."""
        self._persons.update(person_keys)

    def touch_leads(self, lead_ids: Iterable[str] | None) -> None:
        """Leads whose gap status may have moved (decided, queued, dismissed, imported...);
        None: every lead (an import too large to say which)."""
        if lead_ids is None:
            self._every_lead = True
        else:
            self._leads.update(lead_ids)

    def finish(self, settings: Settings, *, followups: bool = True) -> ChangeStats:
        """Origins of every touched person, then the gap status of every affected lead
        (`followups=False`: without its search keys and claims, which a batched writer
        refreshes once at the end: `gaps.status.refresh_followups`)."""
        started = time.perf_counter()
        people = sorted(self._persons)
        o = ensure_origins(
            self.conn, people, now=self.now, run_id=self.run_id, changed_by=self.by,
            reason=self.reason,
        )  # fmt: skip
        self.stats.origins_created += o.created
        self.stats.origins_updated += o.updated
        leads = self._leads | set(leads_of_persons(self.conn, people))
        if leads or self._every_lead:
            day = park_day(self.now, settings.timezone)
            self.stats.leads_refreshed += refresh_lead_status(
                self.conn, None if self._every_lead else sorted(leads), today=day,
                settings=settings, now=self.now, followups=followups,
            )  # fmt: skip
        self._persons.clear()
        self._leads.clear()
        self._every_lead = False
        self.stats.seconds += time.perf_counter() - started
        return self.stats


def _insert(conn: sa.Connection, table: sa.Table, frame: pl.DataFrame) -> None:
    """Bulk insert; a unique-key clash is SQLAlchemy's IntegrityError, as for any insert
    (callers turn a racing link into a 409)."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        insert_frame(conn, table, frame)
    except dbapi.IntegrityError as exc:
        raise sa.exc.IntegrityError(f"bulk insert into {table.name}", None, exc) from exc


def _primary_details(conn: sa.Connection, frame: pl.DataFrame) -> pl.DataFrame:
    """driver_id -> primary_name, primary_phone, primary_license of the named drivers."""
    d = drivers
    ids = frame["driver_id"].drop_nulls().unique().to_list()
    schema = {
        "driver_id": pl.Utf8, "full_name": pl.Utf8, "first_name": pl.Utf8, "last_name": pl.Utf8,
        "primary_phone": pl.Utf8, "primary_license": pl.Utf8,
    }  # fmt: skip
    stmt = sa.select(
        d.c.driver_id, d.c.full_name, d.c.first_name, d.c.last_name, d.c.phone, d.c.license_number
    ).where(in_keys(d.c.driver_id, ids))
    found = read_frame(conn, stmt, schema) if ids else pl.DataFrame(schema=schema)
    given = pl.concat_str(
        pl.col("first_name").replace("", None),
        pl.col("last_name").replace("", None),
        separator=" ",
        ignore_nulls=True,
    )
    return found.select(
        "driver_id",
        primary_name=pl.coalesce(pl.col("full_name").replace("", None), given.replace("", None)),
        primary_phone="primary_phone",
        primary_license="primary_license",
    )


# --- reads every writer shares ----------------------------------------------------------


def linked_keys(conn: sa.Connection, table: str, pks: Sequence[str]) -> dict[str, str]:
    """source_pk -> person_key for the records of `table` among `pks` that have a link."""
    lk = identity_links
    stmt = sa.select(lk.c.source_pk, lk.c.person_key).where(
        lk.c.source_table == table, in_keys(lk.c.source_pk, pks)
    )
    return dict(conn.execute(stmt).all()) if pks else {}


def driver_persons(conn: sa.Connection, driver_ids: Sequence[str]) -> dict[str, str]:
    """driver_id -> person_key of the person already holding that driver's link."""
    return linked_keys(conn, SourceTable.DRIVERS, driver_ids)


def linked_driver_ids(conn: sa.Connection) -> list[str]:
    """Every driver that already belongs to a person (has a `drivers` link)."""
    lk = identity_links
    stmt = sa.select(lk.c.source_pk).where(lk.c.source_table == SourceTable.DRIVERS)
    return list(conn.execute(stmt).scalars())


def leads_of_persons(conn: sa.Connection, person_keys: Sequence[str]) -> list[str]:
    """Lead ids linked to these persons (their gap status depends on the person)."""
    if not person_keys:
        return []
    lk = identity_links
    stmt = sa.select(lk.c.source_pk).where(
        lk.c.source_table == SourceTable.LEADS, in_keys(lk.c.person_key, person_keys)
    )
    return list(conn.execute(stmt).scalars())
