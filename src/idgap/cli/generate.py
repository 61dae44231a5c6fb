"""`idgap generate`: write a synthetic park (five source CSVs + truth_leads.csv)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from idgap.cli.common import console, state
from idgap.clock import today
from idgap.errors import InputError

if TYPE_CHECKING:
    import polars as pl


def generate(
    leads: Annotated[int, typer.Option(help="Number of cabinet leads.")] = 800,
    drivers: Annotated[int, typer.Option(help="Number of driver accounts (all parks).")] = 127_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same park.")] = 42,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("park"),
    variant: Annotated[
        str,
        typer.Option(
            help="Noise model: default, hard (to develop and tune on) or holdout (never tune "
            "on it: report on it)."
        ),
    ] = "default",
    flag_errors: Annotated[
        float | None,
        typer.Option(
            help="hard/holdout: share of leads whose Yango activity flags are stale or wrong "
            "(default 0.10)."
        ),
    ] = None,
    anchor_date: Annotated[
        str | None,
        typer.Option(help="Last day of the park's data (YYYY-MM-DD); default today."),
    ] = None,
) -> None:
    """Generate a realistic synthetic park with ground truth (truth_leads.csv)."""
    from idgap.synth import generate_park, write_park

    anchor = _anchor(anchor_date)
    _check_options(leads, drivers, variant, flag_errors)
    started = time.perf_counter()
    label = f"{variant} park, {leads:,} leads x {drivers:,} drivers (seed {seed})"
    with console.status(f"generating a {label}..."):
        park = generate_park(
            leads=leads,
            drivers=drivers,
            seed=seed,
            anchor_date=anchor,
            variant=variant,
            flag_error_share=flag_errors,
        )
    generated = time.perf_counter()
    with console.status(f"writing CSV files to {out}/..."):
        counts = write_park(park, out)
    done = time.perf_counter()
    title = (
        f"synthetic {variant} park in {out}/ - anchor {anchor.isoformat()}, generated in "
        f"{generated - started:.1f}s, written in {done - generated:.1f}s"
    )
    _print_files(title, out, counts)
    _print_cases(park.truth)


def _check_options(leads: int, drivers: int, variant: str, flag_errors: float | None) -> None:
    from idgap.synth.variants import VARIANTS

    if leads < 1 or drivers < 1:
        raise InputError("--leads and --drivers must be positive")
    if variant not in VARIANTS:
        raise InputError(f"--variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if flag_errors is not None and (variant == "default" or not 0.0 <= flag_errors <= 1.0):
        raise InputError("--flag-errors needs --variant hard or holdout and a share in 0..1")


def _print_files(title: str, out: Path, counts: dict[str, int]) -> None:
    table = Table(title=title)
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("size", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}", f"{(out / name).stat().st_size / 1e6:.1f} MB")
    console.print(table)


def _print_cases(truth: pl.DataFrame) -> None:
    cases = truth["case"].value_counts(sort=True).iter_rows()
    console.print("truth cases: " + ", ".join(f"{case} {n:,}" for case, n in cases))
    if "cases" in truth.columns:
        tags = truth["cases"].str.split("|").explode().value_counts(sort=True)
        console.print(
            "every case and mishap: " + ", ".join(f"{t} {n:,}" for t, n in tags.iter_rows())
        )


def _anchor(text: str | None) -> dt.date:
    if not text:
        return today(state().settings.timezone)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--anchor-date must be YYYY-MM-DD, got {text!r}") from None
