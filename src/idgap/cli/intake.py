"""`idgap import`: load a park's source tables (CSV directory, one file, or its database)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from idgap.cli.common import console, fail, one_line_errors, print_json, state
from idgap.clock import utc_now
from idgap.intake.report import ImportReport


def import_(
    path: Annotated[
        Path | None, typer.Argument(help="A directory of contract CSVs, or one CSV.")
    ] = None,
    table: Annotated[str | None, typer.Option(help="Table of a single file, e.g. drivers.")] = None,
    from_db: Annotated[
        str | None, typer.Option("--from-db", help="Read the park's PostgreSQL database.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import source data: idempotent upserts, bad rows kept as rejects with file and line."""
    from idgap.intake.service import import_from_db, import_path

    st = state()
    if (path is None) == (from_db is None):
        raise fail("give either PATH or --from-db URL")
    with console.status("importing", spinner="dots") if not as_json else _null():
        if from_db:
            report = import_from_db(st.engine, from_db, now=utc_now(), settings=st.settings)
        else:
            assert path is not None
            report = import_path(st.engine, path, table=table, now=utc_now(), settings=st.settings)
    if as_json:
        print_json(report.to_dict())
    else:
        print_report(report)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def print_report(report: ImportReport) -> None:
    t = Table(title=f"import run #{report.run_id}")
    for col in ("table", "file", "loaded", "updated", "unchanged", "rejected"):
        t.add_column(col, justify="right" if col not in ("table", "file") else "left")
    for r in report.tables:
        t.add_row(
            r.table,
            r.file,
            f"{r.loaded:,}",
            f"{r.updated:,}",
            f"{r.unchanged:,}",
            f"[red]{r.rejected:,}[/]" if r.rejected else "0",
        )
    console.print(t)
    for r in report.tables:
        for rej in r.rejects[:10]:
            console.print(f"  [red]rejected[/] {r.file}:{rej['line']}: {rej['reason']}")
        if r.rejected > 10:
            console.print(
                f"  ... {r.rejected - 10} more rejects of {r.file} in table import_rejects"
            )
        for w in r.warnings[:10]:
            console.print(f"  [yellow]warning[/] {r.file}: {w}")
    if report.ignored_files:
        console.print(f"ignored files: {', '.join(report.ignored_files)}")


def register(app: typer.Typer) -> None:
    app.command("import")(one_line_errors(import_))
