"""`idgap import --from-db` reads Yango's payment report from the park's PostgreSQL database."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from idgap.intake.service import import_from_db
from idgap.store.tables import cabinet_payments, payment_matches
from tests.conftest import PG_URL, require_postgres
from tests.integration.import_support import LATER, NOW, SETTINGS, counts


@pytest.fixture
def park_database() -> Iterator[str]:
    """The report as the reference keeps it: typed columns (integer id, date, time, booleans)."""
    require_postgres()
    schema = f"pay_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(sa.schema.CreateSchema(schema))
        md = sa.MetaData(schema=schema)
        t = sa.Table(
            "module_ct_cabinet_payments", md,
            sa.Column("id", sa.Integer, primary_key=True), sa.Column("date", sa.Date),
            sa.Column("time", sa.Time), sa.Column("scout_id", sa.String),
            sa.Column("driver", sa.Text), sa.Column("trip_1", sa.Boolean),
            sa.Column("trip_5", sa.Boolean), sa.Column("trip_25", sa.Boolean),
            sa.Column("created_at", sa.DateTime(timezone=True)),
            sa.Column("updated_at", sa.DateTime(timezone=True)),
        )  # fmt: skip
        md.create_all(c)
        c.execute(t.insert(), [
            {"id": 7, "date": dt.date(2026, 11, 20), "time": dt.time(10, 5), "driver": "Ana Ruiz",
             "trip_1": True, "trip_5": False, "trip_25": False},
            {"id": 8, "date": None, "time": None, "driver": "Sin Fecha", "trip_1": True,
             "trip_5": False, "trip_25": False},
        ])  # fmt: skip
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as c:
        c.execute(sa.schema.DropSchema(schema, cascade=True))
    admin.dispose()


def test_payments_from_the_parks_database_like_a_csv(engine, park_database):
    report = import_from_db(engine, park_database, now=NOW, settings=SETTINGS)
    assert counts(report) == {"module_ct_cabinet_payments": (1, 0, 0, 1)}
    pays = report.table("module_ct_cabinet_payments")
    assert pays.rejects == [{"line": 3, "reason": "missing date"}]
    with engine.connect() as conn:
        row = conn.execute(sa.select(cabinet_payments)).one()
        decided = conn.execute(sa.select(payment_matches.c.outcome)).scalars().all()
    assert (row.id, row.date, row.trip_1, row.trip_5, row.time) == (
        "7", dt.date(2026, 11, 20), True, False, "10:05:00",
    )  # fmt: skip
    assert decided == ["unmatched"]
    again = import_from_db(engine, park_database, now=LATER, settings=SETTINGS)
    assert counts(again) == {"module_ct_cabinet_payments": (0, 0, 1, 1)}
