"""End to end on both backends: import -> match -> invariants, idempotency, lock, interruption."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa

from idgap.config import Settings
from idgap.errors import InputError, JobLocked
from idgap.intake.service import import_path
from idgap.recovery import job as job_module
from idgap.recovery.job import run_recovery
from idgap.recovery.lock import recovery_lock
from idgap.store.tables import (
    identity_links,
    identity_origin,
    identity_origin_history,
    import_rejects,
    lead_status,
    runs,
)
from idgap.synth import generate_park, write_park

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SETTINGS = Settings(database_url="sqlite://", recovery_batch_size=50)


@pytest.fixture(scope="module")
def park_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("park")
    write_park(generate_park(leads=200, drivers=3000, seed=5, anchor_date=TODAY), out)
    return out


def load(engine, path, **kw):
    return import_path(engine, path, now=NOW, settings=SETTINGS, **kw)


def counts(report):
    return {t.table: (t.loaded, t.updated, t.unchanged, t.rejected) for t in report.tables}


def invariant_violations(conn) -> int:
    """Leads with a link but no driver link, or a linked person without origin."""
    lk = identity_links
    drv = lk.alias("d")
    no_driver = conn.execute(
        sa.select(sa.func.count())
        .select_from(lk)
        .where(
            lk.c.source_table == "module_ct_cabinet_leads",
            ~sa.exists().where(
                drv.c.person_key == lk.c.person_key, drv.c.source_table == "drivers"
            ),
        )
    ).scalar_one()
    no_origin = conn.execute(
        sa.select(sa.func.count())
        .select_from(lk)
        .where(~sa.exists().where(identity_origin.c.person_key == lk.c.person_key))
    ).scalar_one()
    return no_driver + no_origin


def test_import_then_reimport_changes_nothing(engine, park_dir):
    first = counts(load(engine, park_dir))
    assert first["module_ct_cabinet_leads"] == (200, 0, 0, 0)
    assert first["drivers"][0] == 3000
    again = counts(load(engine, park_dir))
    assert all(
        loaded == updated == rejected == 0 for loaded, updated, _, rejected in again.values()
    )
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(lead_status)).scalar_one() == 200


def test_changed_row_is_updated(engine, tmp_path):
    f = tmp_path / "module_ct_cabinet_leads.csv"
    f.write_text(
        "id,external_id,lead_created_at,first_name\n1,a1,2026-11-01 10:00,Ana\n2,,01/11/2026,Luis\n"
    )
    assert counts(load(engine, f))["module_ct_cabinet_leads"] == (2, 0, 0, 0)
    f.write_text(
        "id,external_id,lead_created_at,first_name\n"
        "1,a1,2026-11-01 10:00,Ana María\n2,,01/11/2026,Luis\n"
    )
    assert counts(load(engine, f))["module_ct_cabinet_leads"] == (0, 1, 1, 0)


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_loads(engine, tmp_path):
    f = tmp_path / "module_ct_cabinet_leads.csv"
    f.write_text(
        "id,external_id,lead_created_at,first_name\n"
        "1,a1,2026-11-01,Ana\n"
        "2,a2,31-02-2026,Bad date\n"
        "3,a1,2026-11-02,Duplicate\n"
        ",,2026-11-03,No key\n"
        "5,a5,05.11.2026,Dotted\n"
    )
    rep = load(engine, f).tables[0]
    assert (rep.loaded, rep.rejected) == (2, 3)
    assert [(r["line"], r["reason"]) for r in rep.rejects] == [
        (3, "unparsable date in lead_created_at: '31-02-2026'"),
        (4, "duplicate key lead_id=a1 (first at line 2)"),
        (5, "missing key: external_id and id are both empty"),
    ]
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(import_rejects.c.line_number, import_rejects.c.file_name)
        ).all()
    assert sorted(stored) == [(3, f.name), (4, f.name), (5, f.name)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,external_id,first_name\n1,a,Ana\n", "missing required column(s) lead_created_at"),
        (b"id,external_id,lead_created_at\n1,a,2026-01-01 \xff\xfe\n", "not UTF-8"),
        (b"", "empty"),
        (b"id,external_id,lead_created_at\n", "no data rows"),
    ],
)
def test_refused_files_write_nothing(engine, tmp_path, content, message):
    f = tmp_path / "module_ct_cabinet_leads.csv"
    f.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(engine, f)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(lead_status)).scalar_one() == 0


def test_match_links_with_driver_and_origin_and_rerun_is_a_no_op(engine, park_dir):
    load(engine, park_dir)
    first = run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW, kind="match")
    assert first.writes.matched > 100
    with engine.connect() as conn:
        assert invariant_violations(conn) == 0
        links = conn.execute(
            sa.select(identity_links.c.source_pk, identity_links.c.person_key)
        ).all()
        history = conn.execute(
            sa.select(sa.func.count()).select_from(identity_origin_history)
        ).scalar_one()
    second = run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW, kind="recover")
    assert (second.processed, second.writes.matched, second.origins_backfilled) == (0, 0, 0)
    with engine.connect() as conn:
        assert sorted(
            conn.execute(sa.select(identity_links.c.source_pk, identity_links.c.person_key)).all()
        ) == sorted(links)
        assert (
            conn.execute(
                sa.select(sa.func.count()).select_from(identity_origin_history)
            ).scalar_one()
            == history
        )
        statuses = dict(
            conn.execute(sa.select(runs.c.kind, runs.c.status).where(runs.c.kind != "import")).all()
        )
    assert statuses == {"match": "completed", "recover": "completed"}


def test_two_leads_of_one_driver_share_a_person_and_one_is_other_origin(engine, park_dir):
    load(engine, park_dir)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW, kind="match")
    truth = pl.read_csv(park_dir / "truth_leads.csv", infer_schema=False)
    with engine.connect() as conn:
        st = pl.DataFrame(
            conn.execute(
                sa.select(
                    lead_status.c.lead_id,
                    lead_status.c.person_key,
                    lead_status.c.gap_reason,
                    lead_status.c.driver_id,
                )
            ).all(),
            schema=["lead_id", "person_key", "gap_reason", "driver_id"],
            orient="row",
        )
    shared = (
        st.join(truth, on="lead_id")
        .filter(pl.col("driver_id").is_not_null())
        .group_by("driver_id")
        .agg(
            pl.col("person_key").n_unique().alias("persons"),
            pl.len().alias("leads"),
            (pl.col("gap_reason") == "other_origin").sum().alias("other"),
        )
    )
    multi = shared.filter(pl.col("leads") > 1)
    assert multi.height > 0
    assert multi["persons"].to_list() == [1] * multi.height
    assert multi["other"].to_list() == [n - 1 for n in multi["leads"].to_list()]


def test_second_run_is_refused_while_one_holds_the_lock(engine):
    with recovery_lock(engine), pytest.raises(JobLocked):
        run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)


def test_interrupted_run_loses_nothing_and_the_next_run_finishes(engine, park_dir, monkeypatch):
    load(engine, park_dir)
    real = job_module.apply_decisions
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")  # like a kill in the middle of batch 2
        return real(*args, **kwargs)

    monkeypatch.setattr(job_module, "apply_decisions", dying)
    with pytest.raises(KeyboardInterrupt):
        run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    with engine.connect() as conn:
        assert invariant_violations(conn) == 0
        partial = conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one()
    monkeypatch.setattr(job_module, "apply_decisions", real)
    report = run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    with engine.connect() as conn:
        assert invariant_violations(conn) == 0
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one()
            > partial
        )
        assert conn.execute(
            sa.select(runs.c.status).where(runs.c.kind == "recover").order_by(runs.c.id)
        ).scalars().all() == ["interrupted", "completed"]
    assert report.writes.matched > 0


def test_dry_run_writes_nothing(engine, park_dir):
    load(engine, park_dir)
    report = run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW, dry_run=True)
    assert report.writes.matched > 0
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar_one() == 0
        )
