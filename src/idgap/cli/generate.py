"""`idgap generate`: write a synthetic park (five source CSVs + truth_leads.csv)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from idgap.cli.common import console
from idgap.clock import today
from idgap.errors import InputError


def generate(
    leads: Annotated[int, typer.Option(help="Number of cabinet leads.")] = 800,
    drivers: Annotated[int, typer.Option(help="Number of driver accounts (all parks).")] = 127_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same park.")] = 42,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("park"),
    anchor_date: Annotated[
        str | None, typer.Option(help="Last day of the park (YYYY-MM-DD); default today.")
    ] = None,
) -> None:
    """Generate a realistic synthetic park with ground truth."""
    from idgap.synth import generate_park, write_park

    try:
        anchor = dt.date.fromisoformat(anchor_date) if anchor_date else today()
    except ValueError:
        raise InputError(f"--anchor-date must be YYYY-MM-DD, got {anchor_date!r}") from None
    if leads < 1 or drivers < 1:
        raise InputError("--leads and --drivers must be positive")
    started = time.perf_counter()
    with console.status(f"generating {leads:,} leads x {drivers:,} drivers"):
        park = generate_park(leads=leads, drivers=drivers, seed=seed, anchor_date=anchor)
        counts = write_park(park, out)
    table = Table(title=f"synthetic park in {out}/ ({time.perf_counter() - started:.1f}s)")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
