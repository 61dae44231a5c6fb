"""The recovery job on both backends: repair, retry rule, limit, batches, lock, dry run."""

from __future__ import annotations

import datetime as dt
import threading

import polars as pl
import pytest
import sqlalchemy as sa

from idgap.errors import JobLocked
from idgap.identity import changes
from idgap.matching.engine import RULESETS
from idgap.recovery import index_store
from idgap.recovery import job as job_module
from idgap.recovery.backfill import run_backfill_origins
from idgap.recovery.index_store import forget_cache, load_driver_index
from idgap.recovery.job import run_recovery
from idgap.store.tables import (
    drivers,
    identity_links,
    identity_origin,
    identity_unmatched,
    index_versions,
    match_decisions,
    persons,
    runs,
)
from tests.integration.recovery_support import (
    DRIVERS,
    LEADS,
    NOW,
    SETTINGS,
    add_drivers,
    add_migration,
    counts,
    invariant_violations,
    links,
    origins,
    seed,
    update_lead,
)


def recover(engine, now=NOW, **kw):
    return run_recovery(engine, settings=SETTINGS, now_fn=lambda: now, **kw)


def run_rows(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(runs.c.kind, runs.c.status).order_by(runs.c.id)).all()


def test_a_run_links_what_it_can_and_a_rerun_writes_nothing(engine):
    seed(engine)
    first = recover(engine, kind="match")
    s = first.stats()
    assert (s["processed"], s["matched"], s["review"], s["unmatched"]) == (5, 3, 1, 1)
    assert s["driver_links_created"] == 2 and s["origins_created"] == 2
    with engine.connect() as conn:
        assert invariant_violations(conn) == []
        before, keys = counts(conn), links(conn)
    second = recover(engine)
    assert (second.processed, second.skipped_unchanged, second.without_identity) == (0, 2, 2)
    with engine.connect() as conn:
        assert counts(conn) == before and links(conn) == keys
        stored = conn.execute(sa.select(runs.c.stats).order_by(runs.c.id)).scalars().all()
    assert stored[0]["matched"] == 3 and stored[1]["skipped_unchanged"] == 2
    assert stored[0]["by_reason"]["NO_CANDIDATES"] == 1
    assert run_rows(engine) == [("match", "completed"), ("recover", "completed")]


def test_retry_only_when_the_lead_or_the_driver_index_changed(engine):
    seed(engine)
    recover(engine)
    later = NOW + dt.timedelta(hours=1)
    assert recover(engine, now=later).processed == 0  # nothing changed: no pointless rework
    # the lead changed after its decision -> decided again (and now it matches d4)
    update_lead(engine, "L3", later, park_phone="933344455", first_name="Luis Alberto",
                last_name="Chavez Rojas", asset_plate_number="PQR321")  # fmt: skip
    again = recover(engine, now=later + dt.timedelta(minutes=1))
    assert again.processed == 1 and again.writes.matched == 1
    # a new driver changes the index version -> the remaining review lead is decided again
    add_drivers(
        engine, [("d5", SETTINGS.park_id, "51955566677", "PEDRO PABLO RAMOS SOTO", "QQQ111",
                  "Rio", "2026-11-20")], now=later,
    )  # fmt: skip
    third = recover(engine, now=later + dt.timedelta(minutes=2))
    assert third.processed == 1 and third.index_changed == 1
    with engine.connect() as conn:
        assert links(conn)[(LEADS, "L4")] == links(conn)[("drivers", "d5")]
        versions = (
            conn.execute(
                sa.select(match_decisions.c.index_version)
                .where(match_decisions.c.source_pk == "L4")
                .order_by(match_decisions.c.id)
            )
            .scalars()
            .all()
        )
        assert len(versions) == 2 and versions[0] != versions[1]
        assert invariant_violations(conn) == []


def test_a_new_matcher_version_decides_the_open_records_again(engine, monkeypatch):
    seed(engine)
    first = recover(engine)
    assert first.processed > 0
    later = NOW + dt.timedelta(hours=1)
    assert recover(engine, now=later).processed == 0
    monkeypatch.setitem(RULESETS, "idgap", "idgap-next")  # a release with changed rules
    again = recover(engine, now=later + dt.timedelta(minutes=1))
    # only the records still without identity are decided again; linked ones never are
    assert again.processed == first.writes.review + first.writes.unmatched
    assert recover(engine, now=later + dt.timedelta(minutes=2)).processed == 0


def test_limit_counts_only_records_that_need_work_in_window_newest_first(engine):
    seed(engine)
    recover(engine, limit=2)  # L4 (Nov 21) and L3 (Nov 20): inside the 14-day window, newest
    with engine.connect() as conn:
        decided = set(conn.execute(sa.select(match_decisions.c.source_pk)).scalars())
    assert decided == {"L4", "L3"}
    nxt = recover(engine, limit=2)  # the two decided leads no longer count against the limit
    assert nxt.processed == 2 and nxt.skipped_unchanged == 2
    with engine.connect() as conn:
        decided = set(conn.execute(sa.select(match_decisions.c.source_pk)).scalars())
    assert decided == {"L4", "L3", "L5", "L2"}


def test_a_run_killed_in_batch_k_keeps_earlier_batches_and_the_rerun_finishes(engine, monkeypatch):
    seed(engine)
    real, calls = job_module.apply_decisions, {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed in batch 2")
        return real(*args, **kwargs)

    monkeypatch.setattr(job_module, "apply_decisions", dying)
    with pytest.raises(KeyboardInterrupt):
        recover(engine)  # batches of 2 records
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(match_decisions)).scalar() == 2
        assert invariant_violations(conn) == []
    monkeypatch.setattr(job_module, "apply_decisions", real)
    report = recover(engine)
    assert report.processed == 3
    with engine.connect() as conn:
        assert invariant_violations(conn) == []
        assert len([k for k in links(conn) if k[0] == LEADS]) == 3
    assert run_rows(engine) == [("recover", "interrupted"), ("recover", "completed")]


def test_a_failing_run_is_recorded_failed_and_nothing_of_its_batch_stays(engine, monkeypatch):
    seed(engine)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(changes, "refresh_lead_status", broken)  # the last step of a batch
    with pytest.raises(RuntimeError):
        recover(engine)
    with engine.connect() as conn:
        assert counts(conn)["identity_links"] == 0
        error = conn.execute(sa.select(runs.c.error)).scalar_one()
    assert "disk full" in error and run_rows(engine) == [("recover", "failed")]


def test_a_second_run_while_one_is_running_gets_job_locked(engine):
    seed(engine)
    inside, release, errors = threading.Event(), threading.Event(), []

    def slow_progress(step, done, total):
        if step == "matching":
            inside.set()
            release.wait(timeout=30)

    def first():
        try:
            recover(engine, progress=slow_progress)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t = threading.Thread(target=first)
    t.start()
    try:
        assert inside.wait(timeout=30)
        with pytest.raises(JobLocked, match=r"another recovery run is in progress \(run #1 since"):
            recover(engine)
    finally:
        release.set()
        t.join(timeout=60)
    assert errors == []
    assert run_rows(engine) == [("recover", "completed")]


def test_dry_run_reports_but_writes_nothing(engine):
    seed(engine)
    with engine.connect() as conn:
        before = counts(conn)
    report = recover(engine, dry_run=True)
    assert (report.processed, report.writes.matched, report.run_id) == (5, 3, None)
    assert report.stats()["origins_created"] == 2
    with engine.connect() as conn:
        assert counts(conn) == before
        assert conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one() == 0


def _legacy_link(engine, table, pk, person, snap=None):
    """A link as an imported legacy store would have it: no driver link, no origin."""
    with engine.begin() as conn:
        exists = conn.execute(sa.select(persons.c.person_key).where(persons.c.person_key == person))
        if exists.first() is None:
            conn.execute(
                persons.insert().values(
                    person_key=person, status="active", created_at=NOW, updated_at=NOW,
                    created_by="legacy",
                )
            )  # fmt: skip
        conn.execute(
            identity_links.insert().values(
                person_key=person, source_table=table, source_pk=pk, snapshot_date=snap,
                match_rule="LEGACY", linked_at=NOW, linked_by="legacy",
            )
        )  # fmt: skip


def test_step_one_repairs_driver_links_and_origins_of_existing_links(engine):
    seed(engine)
    # L1: a legacy lead link without driver link and without origin -> re-matched to d1
    _legacy_link(engine, LEADS, "L1", "p-legacy-1", dt.date(2026, 11, 9))
    # L2: the driver it would match is already held by another person -> no driver link
    _legacy_link(engine, LEADS, "L2", "p-legacy-2", dt.date(2026, 11, 11))
    _legacy_link(engine, "drivers", "d2", "p-other")
    _legacy_link(engine, LEADS, "L3", "p-other", dt.date(2026, 11, 20))
    report = recover(engine)
    assert report.driver_links_repaired == 1 and report.origins_backfilled == 3
    with engine.connect() as conn:
        got = links(conn)
        assert got[("drivers", "d1")] == "p-legacy-1"
        assert got[("drivers", "d2")] == "p-other"
        assert [k for k, p in got.items() if p == "p-legacy-2"] == [(LEADS, "L2")]
        assert origins(conn)["p-legacy-1"] == ("cabinet_lead", "L1")
        # L5 is d1's later lead: it joins the repaired person, whose origin stays L1
        assert got[(LEADS, "L5")] == "p-legacy-1"
    again = recover(engine)
    assert (again.driver_links_repaired, again.origins_backfilled, again.processed) == (0, 0, 0)


def test_migrations_are_linked_directly_to_their_driver(engine):
    seed(engine)
    add_migration(engine, "m1", "d3", "2026-11-01")
    add_migration(engine, "m2", "d3", "2026-11-03")
    report = recover(engine)
    assert report.migrations_linked == 2
    with engine.connect() as conn:
        got = links(conn)
        person = got[("drivers", "d3")]
        assert got[("module_ct_migrations", "m1")] == got[("module_ct_migrations", "m2")] == person
        assert origins(conn)[person] == ("migration", "m1")
    assert recover(engine).migrations_linked == 0


def test_backfill_origins_creates_missing_origins_and_names_unknown_leads(engine):
    seed(engine)
    _legacy_link(engine, LEADS, "L1", "p1", dt.date(2026, 11, 9))
    _legacy_link(engine, "drivers", "d1", "p1")
    _legacy_link(engine, LEADS, "GONE-1", "p2", dt.date(2026, 1, 1))
    dry = run_backfill_origins(engine, settings=SETTINGS, now_fn=lambda: NOW, dry_run=True)
    assert (dry["origins_created"], dry["run_id"]) == (2, None)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(identity_origin)).scalar() == 0
    done = run_backfill_origins(engine, settings=SETTINGS, now_fn=lambda: NOW)
    assert done["origins_created"] == 2 and done["unknown_lead_links"] == ["GONE-1"]
    with engine.connect() as conn:
        assert origins(conn) == {"p1": ("cabinet_lead", "L1"), "p2": ("cabinet_lead", "GONE-1")}
    assert (
        run_backfill_origins(engine, settings=SETTINGS, now_fn=lambda: NOW)["origins_created"] == 0
    )
    assert run_rows(engine)[-1] == ("backfill_origins", "completed")


def test_driver_index_is_persisted_and_updated_incrementally(engine):
    add_drivers(engine)
    forget_cache()
    with engine.begin() as conn:
        first, info = load_driver_index(conn, now=NOW)
    assert info.n_changed == len(DRIVERS) and first.height == len(DRIVERS)
    with engine.begin() as conn:
        conn.execute(
            drivers.update()
            .where(drivers.c.driver_id == "d4")
            .values(
                phone="51999999999", idgap_row_hash="changed",
                idgap_changed_at=NOW + dt.timedelta(1),
            )
        )  # fmt: skip
        conn.execute(drivers.delete().where(drivers.c.driver_id == "d9"))
    with engine.begin() as conn:
        second, info2 = load_driver_index(conn, now=NOW)
        stored = dict(index_store.build_from_store(conn).select("driver_id", "phone_norm").rows())
        n_versions = conn.execute(sa.select(sa.func.count()).select_from(index_versions)).scalar()
    assert (info2.n_changed, info2.n_removed) == (1, 1) and info2.version != info.version
    assert stored["d4"] == "999999999" and "d9" not in stored and n_versions == 2
    with engine.begin() as conn:
        cached, info3 = load_driver_index(conn, now=NOW)
    assert info3.cache in ("memory", "parquet") and info3.version == info2.version
    forget_cache()
    with engine.begin() as conn:
        reread, info4 = load_driver_index(conn, now=NOW)
    assert info4.version == info2.version and reread.sort("driver_id").equals(
        second.sort("driver_id")
    )


def _set_phone(engine, driver_id: str, phone: str, at: dt.datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            drivers.update()
            .where(drivers.c.driver_id == driver_id)
            .values(phone=phone, idgap_row_hash=f"h-{phone}", idgap_changed_at=at)
        )


def test_a_cached_index_is_patched_with_only_the_changed_drivers(engine):
    add_drivers(engine)
    forget_cache()
    with engine.begin() as conn:
        load_driver_index(conn, now=NOW)
    _set_phone(engine, "d2", "51900000002", NOW + dt.timedelta(1))
    with engine.begin() as conn:
        patched, info = load_driver_index(conn, now=NOW)
        from_table = index_store.build_from_store(conn)
    assert (info.cache, info.n_changed) == ("memory", 1)  # patched, not re-read
    assert patched.equals(from_table)
    assert patched.filter(pl.col("driver_id") == "d2")["phone_norm"].item() == "900000002"


def test_more_new_drivers_than_indexed_ones_keep_the_indexed_ones(engine):
    add_drivers(engine)
    with engine.begin() as conn:
        first, _ = load_driver_index(conn, now=NOW)
    forget_cache()  # a new process: the Parquet file (SQLite) or a full build is the base
    newcomers = [
        (f"n{i}", SETTINGS.park_id, f"5190000{i:04d}", f"NUEVO CONDUCTOR {i}", f"NEW{i:03d}",
         "Rio", "2026-11-20")
        for i in range(first.height + 2)
    ]  # fmt: skip
    add_drivers(engine, newcomers, now=NOW + dt.timedelta(1))
    with engine.begin() as conn:
        frame, info = load_driver_index(conn, now=NOW)
        stored = index_store.build_from_store(conn)
    assert info.n_removed == 0 and info.n_changed >= len(newcomers)
    assert frame.equals(stored) and frame.height == first.height + len(newcomers)
    assert set(first["driver_id"]) <= set(frame["driver_id"])


def test_a_cache_older_than_another_process_update_is_patched_by_row_hash(engine):
    add_drivers(engine)
    forget_cache()
    with engine.begin() as conn:
        load_driver_index(conn, now=NOW)
    ours = dict(index_store._memory)  # this process's cache: the first version
    forget_cache()  # another process updates the drivers and the index meanwhile
    _set_phone(engine, "d4", "51900000004", NOW + dt.timedelta(1))
    with engine.begin() as conn:
        load_driver_index(conn, now=NOW)
    index_store._memory.update(ours)
    _set_phone(engine, "d1", "51900000001", NOW + dt.timedelta(2))
    with engine.begin() as conn:
        frame, info = load_driver_index(conn, now=NOW)
        from_store = index_store.build_from_store(conn)
    assert (info.cache, info.n_changed) == ("memory", 2) and frame.equals(from_store)
    phones = dict(frame.select("driver_id", "phone_norm").iter_rows())
    assert (phones["d4"], phones["d1"]) == ("900000004", "900000001")


def test_a_cache_made_by_other_normaliser_code_is_never_a_base(engine, monkeypatch):
    add_drivers(engine)
    forget_cache()
    with engine.begin() as conn:
        first, _ = load_driver_index(conn, now=NOW)
    monkeypatch.setattr(index_store, "CODE", "other-code")
    with engine.begin() as conn:
        again, info = load_driver_index(conn, now=NOW)
    assert (info.cache, info.n_changed) == ("none", first.height) and again.equals(first)


def test_an_unchanged_index_in_a_new_process_is_read_not_built(engine):
    add_drivers(engine)
    forget_cache()
    with engine.begin() as conn:
        first, info = load_driver_index(conn, now=NOW)
    forget_cache()
    with engine.begin() as conn:
        again, info2 = load_driver_index(conn, now=NOW)
    assert (info2.cache, info2.n_changed, info2.version) == ("parquet", 0, info.version)
    assert again.equals(first)


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(engine):
    seed(engine)
    with engine.begin() as conn:
        conn.execute(runs.insert().values(kind="recover", status="running", started_at=NOW))
    recover(engine)
    assert run_rows(engine) == [("recover", "interrupted"), ("recover", "completed")]
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(identity_unmatched)).scalar_one()
            == 2
        )


def _keyed_persons(engine) -> set[str]:
    """Persons that have search keys (written by the follow-ups)."""
    from idgap.store.tables import search_keys as sk

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(sk.c.entity_id).where(sk.c.entity == "person").distinct()
        ).scalars()
        return set(rows)


def test_search_keys_and_claims_of_a_failed_run_are_caught_up_by_the_next(engine, monkeypatch):
    seed(engine)
    real = job_module._followups

    def killed(*_a, **_k):
        raise RuntimeError("killed before the follow-ups")

    monkeypatch.setattr(job_module, "_followups", killed)
    with pytest.raises(RuntimeError):
        recover(engine)
    assert _keyed_persons(engine) == set()  # batches committed, follow-ups not
    monkeypatch.setattr(job_module, "_followups", real)
    again = recover(engine, now=NOW + dt.timedelta(hours=1))
    assert again.processed == 0  # nothing left to decide, yet the follow-ups ran
    with engine.connect() as conn:
        n_persons = conn.execute(sa.select(sa.func.count()).select_from(persons)).scalar_one()
    assert len(_keyed_persons(engine)) == n_persons > 0
