"""Import use cases: a directory, one file, an uploaded file, or the park's own database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from idgap.config import Settings
from idgap.errors import InputError
from idgap.intake.contract import ALL, LEGACY, SOURCES, TableSpec, table_for_file
from idgap.intake.legacy import LOADERS
from idgap.intake.prepare import prepare
from idgap.intake.reading import read_csv_text
from idgap.intake.report import ImportReport, TableReport
from idgap.intake.upsert import upsert_rows
from idgap.store.db import make_engine
from idgap.store.tables import identity_links, runs

LOAD_ORDER = [*SOURCES, *LEGACY]  # sources first, so legacy links can see their leads


def _spec(table: str | None, file_name: str) -> TableSpec:
    name = table or table_for_file(file_name)
    if name is None:
        raise InputError(
            f"{file_name}: cannot tell which table this is; "
            f"pass --table with one of {', '.join(ALL)}"
        )
    if name not in ALL:
        raise InputError(f"unknown table {name!r}; choose one of {', '.join(ALL)}")
    return ALL[name]


def import_path(
    engine: sa.Engine, path: Path, *, table: str | None = None, now: dt.datetime, settings: Settings
) -> ImportReport:
    """Import a directory (whichever contract files it holds) or one file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    report = ImportReport()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
        chosen = {table_for_file(p.name): p for p in files if table_for_file(p.name)}
        report.ignored_files = [p.name for p in files if not table_for_file(p.name)]
        if not chosen:
            raise InputError(
                f"{path}: no known file ({', '.join(s.file_name for s in ALL.values())})"
            )
        frames = [
            (ALL[t], p.name, read_csv_text(p, ALL[t])) for t in LOAD_ORDER if (p := chosen.get(t))
        ]
    else:
        spec = _spec(table, path.name)
        frames = [(spec, path.name, read_csv_text(path, spec))]
    return _load(engine, frames, report, now=now, settings=settings)


def import_bytes(
    engine: sa.Engine,
    data: bytes,
    *,
    file_name: str,
    table: str,
    now: dt.datetime,
    settings: Settings,
) -> ImportReport:
    """An uploaded file (the API's upload-csv)."""
    spec = _spec(table, file_name)
    return _load(
        engine,
        [(spec, file_name, read_csv_text(file_name, spec, data))],
        ImportReport(),
        now=now,
        settings=settings,
    )


def import_frame(
    engine: sa.Engine,
    table_name: str,
    df: pl.DataFrame,
    *,
    file_name: str,
    now: dt.datetime,
    settings: Settings,
) -> TableReport:
    spec = _spec(table_name, file_name)
    text = df.with_columns(pl.all().cast(pl.Utf8))
    return _load(
        engine, [(spec, file_name, text)], ImportReport(), now=now, settings=settings
    ).tables[0]


def import_from_db(
    engine: sa.Engine, source_url: str, *, now: dt.datetime, settings: Settings
) -> ImportReport:
    """Read the source tables (schema public) and the reference's canon tables from a database."""
    source = make_engine(source_url, upgrade_schema=False)
    frames = []
    with source.connect() as conn:
        insp = sa.inspect(conn)
        for name in LOAD_ORDER:
            schema = "canon" if name in LEGACY else None
            if schema and schema not in insp.get_schema_names():
                continue
            if not insp.has_table(name, schema=schema):
                continue
            t = sa.Table(name, sa.MetaData(), autoload_with=conn, schema=schema)
            rows = conn.execute(sa.select(t)).all()
            df = pl.DataFrame(
                [[None if v is None else str(v) for v in r] for r in rows],
                schema={c.name: pl.Utf8 for c in t.columns},
                orient="row",
            )
            if df.height:
                frames.append((ALL[name], f"db:{schema or 'public'}.{name}", df))
    source.dispose()
    if not frames:
        raise InputError(f"{source.url.render_as_string()}: none of the source tables were found")
    return _load(engine, frames, ImportReport(), now=now, settings=settings)


def _load(
    engine: sa.Engine, frames: list, report: ImportReport, *, now: dt.datetime, settings: Settings
) -> ImportReport:
    from idgap.gaps.status import refresh_lead_status

    with engine.begin() as conn:
        report.run_id = conn.execute(
            runs.insert()
            .values(kind="import", status="running", started_at=now, triggered_by="import")
            .returning(runs.c.id)
        ).scalar_one()
    try:
        for spec, file_name, df in frames:
            with engine.begin() as conn:  # one transaction per file
                if spec.table in LEGACY:
                    rep = TableReport(spec.table, file_name)
                    people = LOADERS[spec.table](conn, df, rep, now)
                    leads: list[str] | None = _leads_of(conn, people)
                else:
                    rows, rejects = prepare(df, spec)
                    rep, touched = upsert_rows(
                        conn,
                        spec,
                        rows,
                        rejects,
                        file_name=file_name,
                        run_id=report.run_id,
                        now=now,
                    )
                    leads = (
                        touched
                        if spec.table == "module_ct_cabinet_leads"
                        else _leads_for_table(conn, spec.table, touched)
                    )
                if leads is None or leads:
                    refresh_lead_status(conn, leads, today=now.date(), settings=settings)
                report.tables.append(rep)
    except Exception as exc:
        _finish(engine, report, "failed", now, error=str(exc).splitlines()[0][:500])
        raise
    _finish(engine, report, "completed", now)
    return report


def _leads_of(conn: sa.Connection, person_keys: list[str]) -> list[str]:
    if not person_keys:
        return []
    rows = conn.execute(
        sa.select(identity_links.c.source_pk).where(
            identity_links.c.source_table == "module_ct_cabinet_leads",
            identity_links.c.person_key.in_(person_keys),
        )
    ).scalars()
    return list(rows)


def _leads_for_table(conn: sa.Connection, table: str, touched: list[str]) -> list[str] | None:
    """Trips or drivers changed: the gap figures of every lead may move (None = all)."""
    return None if touched and table in ("summary_daily", "drivers") else []


def _finish(
    engine: sa.Engine, report: ImportReport, status: str, now: dt.datetime, error: str | None = None
) -> None:
    with engine.begin() as conn:
        conn.execute(
            runs.update()
            .where(runs.c.id == report.run_id)
            .values(status=status, finished_at=now, stats=report.to_dict(), error=error)
        )
