"""CLI progress: real totals when a step counts something, never '0/None'."""

from __future__ import annotations

import io

from rich.console import Console

from idgap.cli.progress import CountColumn, counted, step_progress


def test_a_step_without_total_shows_no_count():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with step_progress(console) as bar:
        task = bar.add_task("recover: driver index", total=counted(1))
        column = CountColumn()
        assert str(column.render(bar.tasks[task])) == ""
        bar.update(task, description="recover: writing", completed=500, total=counted(1200))
        assert str(column.render(bar.tasks[task])) == "500/1,200"
        bar.refresh()
    assert "None" not in out.getvalue()


def test_counted_keeps_real_totals_only():
    assert (counted(None), counted(0), counted(1), counted(7)) == (None, None, None, 7)
