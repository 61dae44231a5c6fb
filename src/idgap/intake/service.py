"""Import use cases: a directory, one file, an uploaded file, a frame, or the park's database.

Every input is validated whole first (encoding, headers, at least one row), so a refused file
writes nothing at all, not even the other files of the same directory. Then the whole import
is one transaction: the source tables are planned (read-only comparison of row hashes), their
new/changed/rejected rows staged in bulk at once (`store.bulk.stage_frames`) and merged set-based
in contract order, the legacy identity tables loaded after them, and the gap status of every
lead any of them touched refreshed once, at the end, by the identity change-set
(`identity.changes.ChangeSet`, as every writer), in that same transaction.
Each import records a `runs` row (kind "import") whose stats are the report.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from idgap.claims.settle import settle_payments
from idgap.config import Settings
from idgap.errors import InputError
from idgap.identity.changes import ChangeSet
from idgap.intake.contract import (
    ALL,
    LEADS,
    LOAD_ORDER,
    PAYMENTS,
    Source,
    spec_for,
    table_for_file,
)
from idgap.intake.csv_reader import clean_frame, csv_source, read_csv_file
from idgap.intake.legacy import LOADERS
from idgap.intake.prepare import LINE, prepare, split_nul, with_lines
from idgap.intake.report import LISTED, ImportReport, Progress, Stages, TableReport
from idgap.intake.upsert import (
    UpsertPlan,
    apply_upsert,
    plan_upsert,
    record_rejects,
    reject_frame,
    stage_names,
)
from idgap.recovery.index_store import (
    ImportedIndex,
    finish_imported_index,
    start_imported_index,
    store_marker,
    wait_for_cache_files,
)
from idgap.source_tables import SourceTable
from idgap.store.bulk import refresh_statistics, stage_frames
from idgap.store.keys import in_keys
from idgap.store.runs import finish_run, start_run
from idgap.store.tables import (
    SOURCE_TABLES,
    identity_links,
    identity_origin,
    identity_origin_history,
    import_rejects,
    link_history,
    persons,
)

ANALYZE_FROM_ROWS = 10_000  # a bulk load this large gets fresh planner statistics
WRITES: dict[str, list[sa.Table]] = {  # the store tables each contract table loads into
    **{name: [table] for name, table in SOURCE_TABLES.items()},
    "identity_registry": [persons],
    "identity_links": [identity_links, link_history],
    "identity_origin": [identity_origin, identity_origin_history],
}
PRECISE_REFRESH_UP_TO = 20_000  # touched drivers/persons; beyond, refresh every lead at once


def import_path(
    engine: sa.Engine,
    path: Path | str,
    *,
    table: str | None = None,
    now: dt.datetime,
    settings: Settings,
    triggered_by: str = "cli",
    progress: Progress | None = None,
) -> ImportReport:
    """A directory (whichever contract files it holds) or one file (`table` or its name).

    `progress(step, done, total)` is told every step with its real totals (files, rows)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    report, stages = ImportReport(), Stages(progress)
    with stages.timed("read"):
        if path.is_dir():
            if table:
                raise InputError("--table applies to a single file, not to a directory")
            sources, report.ignored_files = _directory_sources(path, stages)
        else:
            spec = spec_for(table, path.name)
            stages.tell(f"reading {path.name}")
            sources = [read_csv_file(path, spec)]
    params = {"path": str(path), "table": table}
    return _load(engine, sources, report, now=now, settings=settings, by=triggered_by,
                 params=params, stages=stages)  # fmt: skip


def _directory_sources(path: Path, stages: Stages) -> tuple[list[Source], list[str]]:
    files = sorted(p for p in path.iterdir() if p.is_file())
    known = {name: p for p in files if (name := table_for_file(p.name))}
    ignored = [p.name for p in files if not table_for_file(p.name)]
    if not known:
        expected = ", ".join(spec.file_name for spec in ALL.values())
        raise InputError(f"{path}: none of the contract files found (expected {expected})")
    sources = []  # read and validate every file before loading any
    for i, (t, file) in enumerate(known.items()):
        stages.tell(f"reading {file.name} (file {i + 1} of {len(known)})", i, len(known))
        sources.append(read_csv_file(file, ALL[t]))
    return sources, ignored


def import_bytes(
    engine: sa.Engine,
    data: bytes,
    *,
    file_name: str,
    table: str | None,
    now: dt.datetime,
    settings: Settings,
    triggered_by: str = "api",
) -> ImportReport:
    """An uploaded file (the API's and the web page's upload-csv)."""
    spec = spec_for(table, file_name)
    source = csv_source(data, spec, name=file_name)
    params = {"file": file_name, "table": spec.table}
    return _load(
        engine, [source], ImportReport(), now=now, settings=settings, by=triggered_by, params=params
    )


def import_frame(
    engine: sa.Engine,
    table_name: str,
    df_all_utf8: pl.DataFrame,
    *,
    file_name: str,
    now: dt.datetime,
    settings: Settings,
) -> TableReport:
    """A frame already in memory (e.g. a generated park), validated exactly like a file."""
    spec = spec_for(table_name, file_name)
    text = df_all_utf8.with_columns(pl.all().cast(pl.Utf8))
    source = Source(spec, file_name, clean_frame(text, spec, name=file_name))
    report = _load(
        engine, [source], ImportReport(), now=now, settings=settings, by="frame",
        params={"file": file_name, "table": spec.table},
    )  # fmt: skip
    return report.tables[0]


def import_from_db(
    engine: sa.Engine,
    source_url: str,
    *,
    now: dt.datetime,
    settings: Settings,
    source_schema: str | None = None,
    canon_schema: str = "canon",
    triggered_by: str = "cli",
    progress: Progress | None = None,
) -> ImportReport:
    """The source tables (default schema) and canon identity tables of a PostgreSQL database."""
    from idgap.intake.from_db import read_database

    stages = Stages(progress)
    stages.tell("reading the source database")
    with stages.timed("read"):
        sources, skipped = read_database(
            source_url, source_schema=source_schema, canon_schema=canon_schema
        )
    report = ImportReport(ignored_files=skipped)
    params = {"source": sa.make_url(source_url).render_as_string(hide_password=True)}
    return _load(engine, sources, report, now=now, settings=settings, by=triggered_by,
                 params=params, stages=stages)  # fmt: skip


# --- loading ---------------------------------------------------------------------------------


def _load(
    engine: sa.Engine,
    sources: list[Source],
    report: ImportReport,
    *,
    now: dt.datetime,
    settings: Settings,
    by: str,
    params: dict[str, Any],
    stages: Stages | None = None,
) -> ImportReport:
    started = time.perf_counter()
    stages = stages or Stages()
    report.timings = stages.timings
    with engine.begin() as conn:
        report.run_id = start_run(conn, kind="import", now=now, triggered_by=by, params=params)
    try:
        with engine.begin() as conn:  # one transaction: every table of the import, or none
            report.tables = _load_all(conn, sources, run_id=report.run_id, now=now,
                                      settings=settings, stages=stages)  # fmt: skip
    except Exception as exc:
        _finish(engine, report, now, started, error=_one_line(exc))
        raise
    finally:
        wait_for_cache_files()
    _finish(engine, report, now, started)
    return report


def _load_all(
    conn: sa.Connection,
    sources: list[Source],
    *,
    run_id: int | None,
    now: dt.datetime,
    settings: Settings,
    stages: Stages,
) -> list[TableReport]:
    """Plan the source tables (reads only), stage all their frames at once, merge them, the
    driver index from the rows loaded, the legacy tables, then the gap status of every lead
    touched, once."""
    ordered = sorted(sources, key=lambda s: LOAD_ORDER.index(s.spec.table))
    with stages.timed("plan"):
        plans = _plan_all(conn, [s for s in ordered if not s.spec.legacy], run_id, now, stages)
    index = _start_index(conn, plans)  # normalised from the rows in memory while they write
    with stages.timed("write"):
        reports, leads = _merge_all(conn, plans, stages)
    if index is not None:
        stages.tell("driver index")
        with stages.timed("index"):
            finish_imported_index(conn, index, now=now)
    with stages.timed("write"):
        if _settles(reports):  # tie payments to leads (issue 14)
            stages.tell("settling payments")
            leads = _union(leads, settle_payments(conn, settings=settings, now=now)[0])
        for source in (s for s in ordered if s.spec.legacy):
            stages.tell(f"loading {source.label}")
            rep, touched = _load_legacy(conn, source, run_id=run_id, now=now)
            leads = _union(leads, touched)
            reports.append(rep)
        _analyze(conn, reports)
    stages.tell("gap status" + ("" if leads is None else f" ({len(leads):,} leads)"))
    with stages.timed("gap_status"):
        changes = ChangeSet(conn, by="import", now=now, run_id=run_id, reason="import")
        changes.touch_leads(leads)
        changes.finish(settings)
    return reports


Planned = tuple[UpsertPlan, TableReport, pl.DataFrame]


def _start_index(conn: sa.Connection, plans: list[Planned]) -> ImportedIndex | None:
    """The driver index patched with the import's new and changed drivers, in a thread."""
    drivers_plan = next((p for p, _, _ in plans if p.spec.table == SourceTable.DRIVERS), None)
    if drivers_plan is None:
        return None
    rows = pl.concat([drivers_plan.new, drivers_plan.changed], how="diagonal_relaxed")
    return start_imported_index(conn, rows, before=store_marker(conn))


def _plan_all(
    conn: sa.Connection, sources: list[Source], run_id: int | None, now: dt.datetime,
    stages: Stages,
) -> list[Planned]:  # fmt: skip
    total, done, plans = sum(s.frame.height for s in sources), 0, []
    for source in sources:
        stages.tell(f"comparing {source.label} with the store", done, total)
        plans.append(_plan(conn, source, run_id=run_id, now=now))
        done += source.frame.height
    return plans


def _merge_all(
    conn: sa.Connection, plans: list[Planned], stages: Stages
) -> tuple[list[TableReport], list[str] | None]:
    """Stage every new/changed/rejected frame at once, then merge table by table."""
    frames = {
        name: frame
        for plan, rep, rejects in plans
        for name, frame in zip(stage_names(rep.table), _plan_frames(plan, rejects), strict=True)
    }
    total = sum(f.height for f, _ in frames.values())
    stages.tell(f"staging {total:,} new, changed and rejected rows", 0, total)
    reports: list[TableReport] = []
    leads: list[str] | None = []
    done = 0
    with stage_frames(conn, frames) as staged:
        for plan, rep, rejects in plans:
            stages.tell(f"writing {rep.table}", done, total)
            apply_upsert(staged, plan)
            record_rejects(conn, rejects, rep, listed=LISTED, staged=staged)
            leads = _union(leads, _touched_leads(conn, plan))
            reports.append(rep)
            done += plan.new.height + plan.changed.height + rejects.height
    return reports, leads


def _plan(
    conn: sa.Connection, source: Source, *, run_id: int | None, now: dt.datetime
) -> tuple[UpsertPlan, TableReport, pl.DataFrame]:
    rep = TableReport(source.spec.table, source.label)
    raw, early = _early_rejects(source, rep, run_id=run_id, now=now)
    rows, rejects = prepare(raw, source.spec)
    plan = plan_upsert(conn, source.spec, rows, rep, now=now)
    return plan, rep, _all_rejects(early, reject_frame(rejects, rep, run_id=run_id, now=now))


def _early_rejects(
    source: Source, rep: TableReport, *, run_id: int | None, now: dt.datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """-> (rows with their lines and without NUL characters, the rows refused before the
    table's own rules: by their shape in the file, or for a NUL character)."""
    raw, nul = split_nul(with_lines(source.frame), nul_free=source.nul_free)
    early = [reject_frame(nul, rep, run_id=run_id, now=now)]
    if source.shape_rejects is not None:
        early.append(reject_frame(source.shape_rejects, rep, run_id=run_id, now=now))
    return raw, _all_rejects(*early)


def _all_rejects(*frames: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(frames).sort("line_number")


def _plan_frames(
    plan: UpsertPlan, rejects: pl.DataFrame
) -> tuple[tuple[pl.DataFrame, sa.Table], ...]:
    table = SOURCE_TABLES[plan.spec.table]
    return (plan.new, table), (plan.changed, table), (rejects, import_rejects)


def _settles(reports: list[TableReport]) -> bool:
    """A payments file came and something was written: an import that loaded and updated
    nothing leaves the settlement as the last import made it (a reader settles anything
    newer: claims.settle.ensure_settled)."""
    wrote = any(rep.loaded or rep.updated for rep in reports)
    return wrote and any(rep.table == PAYMENTS for rep in reports)


def _union(a: list[str] | None, b: list[str] | None) -> list[str] | None:
    """Leads to refresh; None means every lead."""
    return None if a is None or b is None else a + b


def _analyze(conn: sa.Connection, reports: list[TableReport]) -> None:
    big = [r.table for r in reports if r.loaded + r.updated >= ANALYZE_FROM_ROWS]
    refresh_statistics(conn, [t for name in big for t in WRITES[name]])


def _load_legacy(
    conn: sa.Connection, source: Source, *, run_id: int | None, now: dt.datetime
) -> tuple[TableReport, list[str] | None]:
    rep = TableReport(source.spec.table, source.label)
    raw, early = _early_rejects(source, rep, run_id=run_id, now=now)
    loaded = LOADERS[source.spec.table](conn, raw, rep, run_id=run_id, now=now)
    rejects = reject_frame(loaded.rejects.join(raw, on=LINE), rep, run_id=run_id, now=now)
    record_rejects(conn, _all_rejects(early, rejects), rep, listed=LISTED)
    return rep, _leads_of_persons(conn, loaded.person_keys)


def _touched_leads(conn: sa.Connection, plan: UpsertPlan) -> list[str] | None:
    """The lead ids whose gap status may have moved by this table's writes."""
    table = plan.spec.table
    if table == LEADS:
        return plan.touched_keys["lead_id"].to_list()
    if table in ("drivers", "summary_daily"):
        return _leads_of_drivers(conn, plan.touched_keys["driver_id"].unique().to_list())
    return []


def _lead_links_where(conn: sa.Connection, person_filter: Callable[[list[str]], Any],
                      keys: list[str]) -> list[str]:  # fmt: skip
    lk = identity_links
    if not keys:
        return []
    stmt = sa.select(lk.c.source_pk).where(lk.c.source_table == LEADS, person_filter(keys))
    return list(conn.execute(stmt).scalars())


def _leads_of_persons(conn: sa.Connection, person_keys: Sequence[str]) -> list[str] | None:
    keys = list(dict.fromkeys(person_keys))
    if len(keys) > PRECISE_REFRESH_UP_TO:
        return None
    return _lead_links_where(conn, lambda k: in_keys(identity_links.c.person_key, k), keys)


def _leads_of_drivers(conn: sa.Connection, driver_ids: list[str]) -> list[str] | None:
    """Trips or a driver's park changed: the leads of the persons linked to those drivers."""
    if len(driver_ids) > PRECISE_REFRESH_UP_TO:
        return None
    dl = identity_links.alias("dl")

    def of(keys: list[str]) -> Any:
        persons = sa.select(dl.c.person_key).where(
            dl.c.source_table == "drivers", in_keys(dl.c.source_pk, keys)
        )
        return identity_links.c.person_key.in_(persons)

    return _lead_links_where(conn, of, driver_ids)


# --- the run row -------------------------------------------------------------------------------


def _finish(
    engine: sa.Engine,
    report: ImportReport,
    now: dt.datetime,
    started: float,
    *,
    error: str | None = None,
) -> None:
    seconds = time.perf_counter() - started
    stats = {**report.to_dict(), "seconds": round(seconds, 3)}
    at = now + dt.timedelta(seconds=seconds)
    finish_run(engine, report.run_id, now=at, stats=stats, error=error)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]
