"""Small contract CSVs for the import tests, written as a user would export them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from idgap.config import Settings
from idgap.intake.service import import_path

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=3)
SETTINGS = Settings(database_url="sqlite://")

LEADS = (
    "id,external_id,lead_created_at,park_phone,first_name,middle_name,last_name,"
    "asset_plate_number,asset_model,created_at,status\n"
    "1,ext-1,2026-11-01 09:30:00,,Ana,,Quispe,ABC123,Kia Rio,2026-11-01,active\n"
    "2,,05-11-2026,999888777,Luis,Alberto,Rojas,XYZ987,Yaris,2026-11-05,new\n"
    "3,ext-3,2026/11/10,,Rosa,,Mamani,,,2026-11-10,\n"
)
DRIVERS = (
    "driver_id,park_id,phone,full_name,car_number,hire_date,rating\n"
    "D1,P1,+51 999 888 777,Luis Rojas,XYZ987,2026-11-06,4.9\n"
    "D2,P1,,Ana Quispe,ABC123,,4.5\n"
    "D3,P2,,Rosa Mamani,,01.10.2026,\n"
)
SUMMARY = (
    "driver_id,date_file,count_orders_completed,sum_work_time_seconds\n"
    "D1,06-11-2026,3,3600\n"
    "D1,2026-11-07,5,\n"
    "D2,07-11-2026,1,600\n"
)
SCOUTING = (
    "id,scout_id,driver_phone,driver_license,driver_name,registration_date,acquisition_method\n"
    "S1,SC9,987654321,Q123,Pedro Diaz,2026-11-03,field\n"
)
MIGRATIONS = "id,driver_id,driver_name,scout_id,scout_name,hire_date\nM1,D3,Rosa Mamani,SC9,Eva,\n"

PAYMENTS = (
    "id,date,time,scout_id,driver,trip_1,trip_5,trip_25,created_at,updated_at\n"
    "P1,2026-11-20,10:00:00,yango,ROJAS LUIS,1,0,0,2026-11-20 10:00:00,\n"
)

FILES = {
    "module_ct_cabinet_leads.csv": LEADS,
    "drivers.csv": DRIVERS,
    "summary_daily.csv": SUMMARY,
    "module_ct_scouting_daily.csv": SCOUTING,
    "module_ct_migrations.csv": MIGRATIONS,
    "module_ct_cabinet_payments.csv": PAYMENTS,
}


def write_dir(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def load(engine: sa.Engine, path: Path, *, now: dt.datetime = NOW, **kw):  # type: ignore[no-untyped-def]
    return import_path(engine, path, now=now, settings=SETTINGS, **kw)


def counts(report) -> dict[str, tuple[int, int, int, int]]:  # type: ignore[no-untyped-def]
    return {t.table: (t.loaded, t.updated, t.unchanged, t.rejected) for t in report.tables}


def count_rows(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
