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
        str | None,
        typer.Option(help="Last day of the park's data (YYYY-MM-DD); default today."),
    ] = None,
) -> None:
    """Generate a realistic synthetic park with ground truth (truth_leads.csv)."""
    from idgap.synth import generate_park, write_park

    anchor = _anchor(anchor_date)
    if leads < 1 or drivers < 1:
        raise InputError("--leads and --drivers must be positive")
    started = time.perf_counter()
    with console.status(f"generating {leads:,} leads x {drivers:,} drivers (seed {seed})..."):
        park = generate_park(leads=leads, drivers=drivers, seed=seed, anchor_date=anchor)
    generated = time.perf_counter()
    with console.status(f"writing CSV files to {out}/..."):
        counts = write_park(park, out)
    done = time.perf_counter()
    title = (
        f"synthetic park in {out}/ - anchor {anchor.isoformat()}, generated in "
        f"{generated - started:.1f}s, written in {done - generated:.1f}s"
    )
    table = Table(title=title)
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("size", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}", f"{(out / name).stat().st_size / 1e6:.1f} MB")
    console.print(table)
    cases = park.truth["case"].value_counts(sort=True).iter_rows()
    console.print("truth cases: " + ", ".join(f"{case} {n:,}" for case, n in cases))


def _anchor(text: str | None) -> dt.date:
    if not text:
        return today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--anchor-date must be YYYY-MM-DD, got {text!r}") from None
