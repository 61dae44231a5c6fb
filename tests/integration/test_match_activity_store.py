"""Matching v3 through the store: settings on the run, Yango flags and summary_daily as evidence."""

from __future__ import annotations

import datetime as dt

import orjson
import sqlalchemy as sa

from idgap.matching.settings import MatchSettings
from idgap.recovery.job import run_recovery
from idgap.store.tables import cabinet_leads, match_decisions, runs, summary_daily
from tests.integration.recovery_support import NOW, SETTINGS, _book, add_drivers, lead_row

FLAGS = {"active_1": "true", "active_5": "true", "active_10": "false", "active_15": "false",
         "active_25": "false", "active_50": "false", "active_100": "false",
         "last_active_date": "2026-11-14"}  # fmt: skip


def _seed(engine):
    add_drivers(engine)
    # no phone, a changed plate: only the name, the model, the hire date and the activity
    row = lead_row("L7", "2026-11-08", None, "Maria", "Luisa", "Torres Diaz", "NEW777", "Rio")
    trips = [
        {"driver_id": "d2", "activity_date": dt.date(2026, 11, 8) + dt.timedelta(days=i),
         "date_file": "x", "count_orders_completed": 1, "sum_work_time_seconds": 60}
        for i in range(6)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(cabinet_leads.insert(), [_book({**row, "idgap_extra": FLAGS}, NOW)])
        conn.execute(summary_daily.insert(), [_book(t, NOW) for t in trips])


def test_the_run_stores_its_match_settings_and_flags_meet_summary_daily(engine):
    _seed(engine)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    with engine.connect() as conn:
        params = conn.execute(sa.select(runs.c.params)).scalar_one()
        queued = conn.execute(  # linked or queued: its decision shows the candidates
            sa.select(match_decisions.c.candidates).where(match_decisions.c.source_pk == "L7")
        ).scalar_one()
    assert MatchSettings.from_dict(params["match_settings"]).target_park_id == SETTINGS.park_id
    best = queued[0] if isinstance(queued, list) else orjson.loads(queued)[0]
    assert best["driver_id"] == "d2"
    act = best["evidence"]["activity"]
    assert (act["claimed_band"], act["trips_in_window"], act["level"]) == (2, 6, "agree_active")
    assert {b["comparison"] for b in best["breakdown"]} >= {"prior", "name", "activity"}
