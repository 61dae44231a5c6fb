"""`idgap import`: load a park's source tables (CSV directory, one file, or its database)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from idgap.cli.common import console, fail, one_line_errors, print_json, state
from idgap.cli.progress import counted, step_progress
from idgap.clock import utc_now
from idgap.intake.report import ImportReport

SHOWN_REJECTS = 10  # per table; all of them are in the import_rejects table


def import_(
    path: Annotated[
        Path | None,
        typer.Argument(help="A directory of contract CSVs (SPEC §2), or one CSV file."),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(help="Table of a single file whose name does not say it, e.g. drivers."),
    ] = None,
    from_db: Annotated[
        str | None,
        typer.Option("--from-db", help="Read the park's PostgreSQL database instead (URL)."),
    ] = None,
    source_schema: Annotated[
        str | None, typer.Option(help="--from-db: schema of the source tables (default public).")
    ] = None,
    canon_schema: Annotated[
        str, typer.Option(help="--from-db: schema of the reference's identity tables.")
    ] = "canon",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import source data: idempotent upserts; bad rows are kept as rejects with file and line."""
    from idgap.intake.service import import_from_db, import_path

    st = state()
    if (path is None) == (from_db is None):
        raise fail("give either PATH or --from-db URL")
    with step_progress(console, disable=as_json) as bar:
        task = bar.add_task("import: reading", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"import: {step}", completed=done, total=counted(total))

        if from_db:
            report = import_from_db(
                st.engine, from_db, now=utc_now(), settings=st.settings,
                source_schema=source_schema, canon_schema=canon_schema, progress=progress,
            )  # fmt: skip
        else:
            assert path is not None
            report = import_path(st.engine, path, table=table, now=utc_now(),
                                 settings=st.settings, progress=progress)  # fmt: skip
    if as_json:
        print_json(report.to_dict())
    else:
        print_report(report)


def print_report(report: ImportReport) -> None:
    t = Table(title=f"import run #{report.run_id}")
    t.add_column("table")
    t.add_column("file")
    for col in ("loaded", "updated", "unchanged", "rejected"):
        t.add_column(col, justify="right")
    for r in report.tables:
        rejected = f"[red]{r.rejected:,}[/]" if r.rejected else "0"
        t.add_row(r.table, r.file, f"{r.loaded:,}", f"{r.updated:,}", f"{r.unchanged:,}", rejected)
    console.print(t)
    for r in report.tables:
        for rej in r.rejects[:SHOWN_REJECTS]:
            console.print(
                f"  [red]rejected[/] {r.file}:{rej['line']}: {rej['reason']}",
                highlight=False,
                soft_wrap=True,
            )
        if r.rejected > SHOWN_REJECTS:
            more = r.rejected - SHOWN_REJECTS
            console.print(f"  ... and {more:,} more rejects of {r.file} in table import_rejects")
        for w in r.warnings[:SHOWN_REJECTS]:
            console.print(f"  [yellow]warning[/] {r.file}: {w}", highlight=False, soft_wrap=True)
        if r.warned > SHOWN_REJECTS:
            console.print(f"  ... and {r.warned - SHOWN_REJECTS:,} more warnings of {r.file}")
    if report.ignored_files:
        console.print(
            f"ignored: {', '.join(report.ignored_files)}", highlight=False, soft_wrap=True
        )


def register(app: typer.Typer) -> None:
    app.command("import")(one_line_errors(import_))
