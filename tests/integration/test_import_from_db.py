"""`idgap import --from-db`: read the park's own PostgreSQL tables (and the reference's canon
tables) into either backend, through the same validation as a CSV."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from idgap.errors import InputError
from idgap.intake.service import import_from_db
from idgap.store.tables import cabinet_leads, drivers, identity_links, summary_daily
from tests.conftest import PG_URL, require_postgres
from tests.integration.import_support import LATER, NOW, SETTINGS, counts

PERSON = uuid.UUID("10000000-0000-4000-8000-000000000000")


def _source_tables(md: sa.MetaData, canon: sa.MetaData) -> dict[str, sa.Table]:
    tables = {
        "leads": sa.Table(
            "module_ct_cabinet_leads", md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("external_id", sa.String),
            sa.Column("lead_created_at", sa.DateTime),
            sa.Column("first_name", sa.String),
            sa.Column("active_1", sa.Boolean),
        ),
        "drivers": sa.Table(
            "drivers", md,
            sa.Column("driver_id", sa.String, primary_key=True),
            sa.Column("park_id", sa.String),
            sa.Column("hire_date", sa.Date),
            sa.Column("created_at", sa.DateTime(timezone=True)),
        ),
        "summary": sa.Table(
            "summary_daily", md,
            sa.Column("driver_id", sa.String),
            sa.Column("date_file", sa.Text),
            sa.Column("count_orders_completed", sa.Integer),
            sa.Column("sum_work_time_seconds", sa.BigInteger),
        ),
        "migrations": sa.Table("module_ct_migrations", md, sa.Column("id", sa.Integer),
                               sa.Column("driver_id", sa.String)),
        "registry": sa.Table(
            "identity_registry", canon,
            sa.Column("person_key", UUID, primary_key=True),
            sa.Column("confidence_level", sa.Enum("HIGH", "MEDIUM", "LOW", name="conf_lvl")),
            sa.Column("created_at", sa.DateTime(timezone=True)),
        ),
        "links": sa.Table(
            "identity_links", canon,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("person_key", UUID),
            sa.Column("source_table", sa.String),
            sa.Column("source_pk", sa.String),
            sa.Column("match_rule", sa.String),
            sa.Column("match_score", sa.Integer),
            sa.Column("evidence", JSONB),
            sa.Column("linked_at", sa.DateTime(timezone=True)),
        ),
    }  # fmt: skip
    return tables


def _fill(c: sa.Connection, t: dict[str, sa.Table]) -> None:
    c.execute(t["leads"].insert(), [
        {"id": 1, "external_id": "e1", "lead_created_at": dt.datetime(2026, 11, 1, 9, 5, 7, 250),
         "first_name": "Ana", "active_1": True},
        {"id": 2, "external_id": None, "lead_created_at": dt.datetime(2026, 11, 2),
         "first_name": "Luis", "active_1": None},
        {"id": 3, "external_id": "e3", "lead_created_at": None, "first_name": "Sin Fecha",
         "active_1": False},
    ])  # fmt: skip
    c.execute(t["drivers"].insert(), [
        {"driver_id": "D1", "park_id": "p", "hire_date": dt.date(2026, 1, 1),
         "created_at": dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)},
    ])  # fmt: skip
    c.execute(t["summary"].insert(), [
        {"driver_id": "D1", "date_file": "02-11-2026", "count_orders_completed": 4,
         "sum_work_time_seconds": 100},
    ])  # fmt: skip
    c.execute(t["registry"].insert(), [{"person_key": PERSON, "confidence_level": "HIGH"}])
    c.execute(t["links"].insert(), [
        {"id": 1, "person_key": PERSON, "source_table": "module_ct_cabinet_leads",
         "source_pk": "e1", "match_rule": "R1_PHONE_EXACT", "match_score": 95,
         "evidence": {"phone_normalized": "51999"},
         "linked_at": dt.datetime(2026, 11, 3, tzinfo=dt.UTC)},
    ])  # fmt: skip


@pytest.fixture
def park_database() -> Iterator[tuple[str, str]]:
    """A throwaway 'park database': source tables in their own schema (via search_path),
    the reference's identity tables in a second schema standing in for `canon`."""
    require_postgres()
    tag = uuid.uuid4().hex[:8]
    public, canon = f"src_{tag}", f"canon_{tag}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(sa.schema.CreateSchema(public))
        c.execute(sa.schema.CreateSchema(canon))
        md, cmd = sa.MetaData(schema=public), sa.MetaData(schema=canon)
        tables = _source_tables(md, cmd)
        md.create_all(c)
        cmd.create_all(c)
        _fill(c, tables)
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{public}", canon
    with admin.begin() as c:
        c.execute(sa.schema.DropSchema(public, cascade=True))
        c.execute(sa.schema.DropSchema(canon, cascade=True))
        c.execute(sa.text("DROP TYPE IF EXISTS conf_lvl"))
    admin.dispose()


def test_import_from_a_parks_postgresql_database(engine, park_database):
    url, canon = park_database
    report = import_from_db(engine, url, now=NOW, settings=SETTINGS, canon_schema=canon)
    assert counts(report) == {
        "module_ct_cabinet_leads": (2, 0, 0, 1),
        "drivers": (1, 0, 0, 0),
        "summary_daily": (1, 0, 0, 0),
        "identity_registry": (1, 0, 0, 0),
        "identity_links": (1, 0, 0, 0),
    }
    assert report.ignored_files == [f"db:{url.rsplit('%3D', 1)[1]}.module_ct_migrations (empty)"]
    leads = report.table("module_ct_cabinet_leads")
    assert leads.file.endswith(".module_ct_cabinet_leads")
    assert leads.rejects == [{"line": 4, "reason": "missing lead_created_at"}]
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(cabinet_leads.c.lead_id, cabinet_leads.c.lead_created_at,
                      cabinet_leads.c.idgap_extra).order_by(cabinet_leads.c.lead_id)
        ).all()  # fmt: skip
        hire = conn.execute(sa.select(drivers.c.hire_date, drivers.c.created_at)).one()
        day = conn.execute(sa.select(summary_daily.c.activity_date)).scalar()
        link = conn.execute(sa.select(identity_links)).one()
    assert stored == [
        ("2", dt.datetime(2026, 11, 2), {"active_1": None}),
        ("e1", dt.datetime(2026, 11, 1, 9, 5, 7, 250), {"active_1": "true"}),
    ]
    assert hire == (dt.date(2026, 1, 1), "2026-01-01 12:00:00+00")
    assert day == dt.date(2026, 11, 2)
    assert (link.person_key, link.evidence, link.match_score) == (
        str(PERSON), {"phone_normalized": "51999"}, 95.0
    )  # fmt: skip
    again = import_from_db(engine, url, now=LATER, settings=SETTINGS, canon_schema=canon)
    assert all(c[:2] == (0, 0) and c[2] > 0 for c in counts(again).values())


def test_an_unreachable_source_database_is_one_clear_error(engine):
    with pytest.raises(InputError, match="cannot read the source database") as err:
        import_from_db(engine, "postgresql://nobody@127.0.0.1:1/none", now=NOW, settings=SETTINGS)
    assert "\n" not in err.value.message
