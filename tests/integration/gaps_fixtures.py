"""Small builders for gap-analysis tests: write source and identity rows straight to the store."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa

from idgap.config import Settings
from idgap.store import tables as t

NOW = dt.datetime(2026, 1, 12, 18, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
PARK = "08e20910d81d42658d4334d3f6d10ac0"
OTHER_PARK = "ffffffffffffffffffffffffffffffff"
LEADS = "module_ct_cabinet_leads"


def settings() -> Settings:
    return Settings(database_url="sqlite://", park_id=PARK)


def _book() -> dict:
    return {"idgap_row_hash": "0" * 32, "idgap_loaded_at": NOW, "idgap_changed_at": NOW}


@dataclass
class Builder:
    conn: sa.Connection
    persons: list[str] = field(default_factory=list)

    def lead(self, lead_id: str, age_days: int, **extra: object) -> str:
        day = TODAY - dt.timedelta(days=age_days)
        self.conn.execute(
            sa.insert(t.cabinet_leads).values(
                lead_id=lead_id, id=lead_id, external_id=lead_id,
                lead_created_at=dt.datetime.combine(day, dt.time(9)), lead_date=day,
                first_name="JUAN", last_name="PEREZ", **_book(), **extra,
            )
        )  # fmt: skip
        return lead_id

    def driver(self, driver_id: str, park_id: str = PARK) -> str:
        self.conn.execute(
            sa.insert(t.drivers).values(driver_id=driver_id, park_id=park_id, **_book())
        )
        return driver_id

    def trips(self, driver_id: str, day: dt.date, n: int) -> None:
        self.conn.execute(
            sa.insert(t.summary_daily).values(
                driver_id=driver_id, activity_date=day, date_file=day.strftime("%d-%m-%Y"),
                count_orders_completed=n, sum_work_time_seconds=0, **_book(),
            )
        )  # fmt: skip

    def person(self) -> str:
        key = str(uuid.uuid4())
        self.conn.execute(
            sa.insert(t.persons).values(
                person_key=key, created_at=NOW, updated_at=NOW, created_by="test"
            )
        )
        self.persons.append(key)
        return key

    def link(self, person: str, source_table: str, source_pk: str, at: dt.datetime = NOW) -> None:
        self.conn.execute(
            sa.insert(t.identity_links).values(
                person_key=person, source_table=source_table, source_pk=source_pk,
                match_rule="TEST", linked_at=at, linked_by="system",
            )
        )  # fmt: skip

    def origin(self, person: str, tag: str, source_id: str, table: str | None = LEADS) -> None:
        self.conn.execute(
            sa.insert(t.identity_origin).values(
                person_key=person, origin_tag=tag, origin_source_table=table,
                origin_source_id=source_id, origin_confidence=95.0, ruleset_version="test",
                decided_by="system", resolution_status="resolved_auto",
                created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip

    def resolved_lead(self, lead_id: str, age_days: int, driver_id: str | None = None) -> str:
        """A lead with person, driver link and its own origin."""
        self.lead(lead_id, age_days)
        person = self.person()
        self.link(person, LEADS, lead_id)
        driver = driver_id or self.driver(f"drv-{lead_id}")
        self.link(person, "drivers", driver)
        self.origin(person, "cabinet_lead", lead_id)
        return person

    def decision(self, lead_id: str, outcome: str, reason: str, at: dt.datetime = NOW) -> None:
        self.conn.execute(
            sa.insert(t.match_decisions).values(
                source_table=LEADS, source_pk=lead_id, outcome=outcome, reason_code=reason,
                ruleset="idgap", ruleset_version="t", decided_by="system", decided_at=at,
            )
        )  # fmt: skip

    def queued(self, lead_id: str, outcome: str, reason: str, candidates: list[dict]) -> int:
        return self.conn.execute(
            sa.insert(t.identity_unmatched)
            .values(
                source_table=LEADS, source_pk=lead_id, outcome=outcome, reason_code=reason,
                candidates=candidates, status="OPEN", created_at=NOW, updated_at=NOW,
            )
            .returning(t.identity_unmatched.c.id)
        ).scalar_one()  # fmt: skip

    def run(self, kind: str, status: str, finished: dt.datetime | None, **extra: object) -> int:
        started = (finished or NOW) - dt.timedelta(minutes=5)
        return self.conn.execute(
            sa.insert(t.runs)
            .values(kind=kind, status=status, started_at=started, finished_at=finished, **extra)
            .returning(t.runs.c.id)
        ).scalar_one()


def status_rows(conn: sa.Connection) -> dict[str, dict]:
    rows = conn.execute(sa.select(t.lead_status)).mappings().all()
    return {r["lead_id"]: dict(r) for r in rows}
