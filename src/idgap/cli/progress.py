"""Rich progress for long CLI commands: a spinner that keeps turning, real totals or none.

A step without a known total (loading the driver index, repairing links) shows a pulsing bar
and its elapsed time instead of "0/None"; a counted step (matching, writing) shows done/total.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class CountColumn(ProgressColumn):
    """'1,234/5,000' when the step counts something, nothing otherwise."""

    def render(self, task: Task) -> Text:
        if task.total is None or task.total <= 1:
            return Text("")
        return Text(f"{int(task.completed):,}/{int(task.total):,}", style="progress.download")


def step_progress(console: Console, *, disable: bool = False) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        CountColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=disable,
        transient=True,
    )


def counted(total: int | None) -> int | None:
    """The bar's total: None (pulsing) for a step that is one unit of work."""
    return total if total is not None and total > 1 else None
