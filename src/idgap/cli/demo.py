"""`idgap demo`: generate a synthetic park, import it, match it, diagnose it, in one command.

Idempotent: the same seed and day generate the same files, so a second run re-imports
nothing new and the match run finds nothing left to re-decide.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from idgap.cli.common import console, one_line_errors, state
from idgap.cli.progress import CountColumn, counted
from idgap.clock import today, utc_now
from idgap.errors import InputError

SERVE_URL = "http://127.0.0.1:8000/"


class Steps:
    """Rich progress with one line per step and the wall time of each."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.timings: list[tuple[str, float]] = []

    @contextmanager
    def step(self, label: str, total: float | None = None) -> Iterator[Callable[..., None]]:
        task = self.progress.add_task(label, total=total)
        started = time.perf_counter()

        def update(done: float | None = None, of: float | None = None, note: str = "") -> None:
            desc = f"{label} {note}".rstrip()
            self.progress.update(task, completed=done, total=of, description=desc)

        yield update
        elapsed = time.perf_counter() - started
        self.timings.append((label, elapsed))
        final_total = self.progress.tasks[task].total or 1
        self.progress.update(
            task,
            completed=final_total,
            total=final_total,
            description=f"{label} [green]✓[/] {elapsed:.1f}s",
        )


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
        CountColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )  # fmt: skip


def demo(
    leads: Annotated[int, typer.Option(help="Cabinet leads to generate.")] = 800,
    drivers: Annotated[int, typer.Option(help="Driver accounts (all parks).")] = 127_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed and day, same park.")] = 42,
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the park's CSV files are written.")
    ] = Path("demo-park"),
) -> None:
    """Generate a realistic park, import, match and diagnose it; then open the dashboard."""
    if leads < 1 or drivers < 1:
        raise InputError("--leads and --drivers must be positive")
    st = state()
    started = time.perf_counter()
    with _progress() as progress:
        steps = Steps(progress)
        files = _generate(
            steps, leads=leads, drivers=drivers, seed=seed, directory=directory,
            anchor=today(st.settings.timezone),
        )  # fmt: skip
        imported = _import(steps, st, directory)
        run = _match(steps, st)
        report = _diagnose(steps, st)
    total = time.perf_counter() - started
    _print_summary(steps, files, imported, run, total)
    from idgap.cli.diagnose import print_diagnosis

    print_diagnosis(report, console)
    _print_next_steps(st, directory)


def _generate(
    steps: Steps, *, leads: int, drivers: int, seed: int, directory: Path, anchor: dt.date
) -> dict:
    from idgap.synth import generate_park, write_park

    with steps.step(f"generate {leads:,} leads x {drivers:,} drivers", total=2) as update:
        park = generate_park(leads=leads, drivers=drivers, seed=seed, anchor_date=anchor)
        update(1, 2)
        return write_park(park, directory)


def _import(steps: Steps, st: Any, directory: Path) -> Any:
    from idgap.intake.service import import_path

    with steps.step(f"import {directory}/", total=1):
        return import_path(st.engine, directory, now=utc_now(), settings=st.settings)


def _match(steps: Steps, st: Any) -> Any:
    from idgap.recovery.job import run_recovery

    with steps.step("match and recover", total=1) as update:

        def progress(stage: str, done: int, total: int) -> None:
            update(done, counted(total) or 1, note=f"({stage})")

        return run_recovery(
            st.engine, settings=st.settings, now_fn=utc_now, kind="match",
            triggered_by="demo", progress=progress,
        )  # fmt: skip


def _diagnose(steps: Steps, st: Any) -> dict[str, Any]:
    from idgap.cli.diagnose import current_diagnosis

    with steps.step("diagnose", total=1):
        return current_diagnosis(st)


def _print_summary(steps: Steps, files: dict, imported: Any, run: Any, total: float) -> None:
    table = Table(title=f"idgap demo: {total:.1f}s end to end", title_justify="left")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for label, seconds in steps.timings:
        table.add_row(label, f"{seconds:.2f}")
    console.print(table)
    loaded = sum(t.loaded for t in imported.tables)
    updated = sum(t.updated for t in imported.tables)
    unchanged = sum(t.unchanged for t in imported.tables)
    rejected = sum(t.rejected for t in imported.tables)
    console.print(
        f"import: {loaded:,} loaded, {updated:,} updated, {unchanged:,} unchanged, "
        f"{rejected:,} rejected"
    )
    writes = run.writes
    console.print(
        f"match run #{run.run_id}: {run.processed:,} decided - {writes.matched:,} matched, "
        f"{writes.review:,} to review, {writes.unmatched:,} unmatched"
    )


def _admin_token(st: Any) -> str | None:
    try:
        from idgap.access import create_token
    except ImportError:
        return None
    with st.engine.begin() as conn:
        return create_token(conn, name="demo-admin", role="admin", now=utc_now())


def _print_next_steps(st: Any, directory: Path) -> None:
    token = _admin_token(st)
    console.print("\n[bold]Next:[/]")
    console.print(f"  idgap evaluate --truth {directory}/truth_leads.csv   # precision / recall")
    console.print(f"  idgap serve      then open [link={SERVE_URL}]{SERVE_URL}[/link]")
    if token:
        console.print(f"  admin token (shown once): [bold]{token}[/]")
    else:
        console.print("  create a login token with: idgap token create --role admin")


def register(app: typer.Typer) -> None:
    app.command("demo")(one_line_errors(demo))
