"""`idgap import --from-db`: read the park's own PostgreSQL tables."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from idgap.config import Settings
from idgap.intake.service import import_from_db
from idgap.store.tables import cabinet_leads, drivers
from tests.conftest import PG_URL, require_postgres

NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)


def test_import_from_a_parks_postgresql_database(engine):
    require_postgres()
    schema = f"src_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(sa.schema.CreateSchema(schema))
        md = sa.MetaData(schema=schema)
        leads = sa.Table(
            "module_ct_cabinet_leads",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("external_id", sa.String),
            sa.Column("lead_created_at", sa.DateTime),
            sa.Column("first_name", sa.String),
            sa.Column("asset_plate_number", sa.String),
        )
        drv = sa.Table(
            "drivers",
            md,
            sa.Column("driver_id", sa.String, primary_key=True),
            sa.Column("park_id", sa.String),
            sa.Column("hire_date", sa.Date),
        )
        md.create_all(c)
        c.execute(
            leads.insert(),
            [
                {
                    "id": 1,
                    "external_id": "e1",
                    "lead_created_at": dt.datetime(2026, 11, 1, 9),
                    "first_name": "Ana",
                },
                {
                    "id": 2,
                    "external_id": None,
                    "lead_created_at": dt.datetime(2026, 11, 2),
                    "first_name": "Luis",
                },
            ],
        )
        c.execute(
            drv.insert(), [{"driver_id": "D1", "park_id": "p", "hire_date": dt.date(2026, 1, 1)}]
        )
    try:
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        report = import_from_db(engine, url, now=NOW, settings=Settings())
        got = {t.table: (t.loaded, t.rejected) for t in report.tables}
        assert got == {"module_ct_cabinet_leads": (2, 0), "drivers": (1, 0)}
        with engine.connect() as conn:
            assert sorted(conn.execute(sa.select(cabinet_leads.c.lead_id)).scalars()) == ["2", "e1"]
            assert conn.execute(sa.select(drivers.c.hire_date)).scalar() == dt.date(2026, 1, 1)
        again = import_from_db(engine, url, now=NOW, settings=Settings())
        assert all(t.loaded == 0 and t.unchanged > 0 for t in again.tables)
    finally:
        with admin.begin() as c:
            c.execute(sa.schema.DropSchema(schema, cascade=True))
        admin.dispose()
