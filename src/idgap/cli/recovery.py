"""`idgap recover [--limit N] [--dry-run]` and `idgap backfill-origins [--dry-run]`.

Both take the job lock: a second run at the same time exits with code 2 and says which run
holds it (cron-safe).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from idgap.cli.common import console, one_line_errors, print_json, state
from idgap.cli.progress import counted, step_progress
from idgap.errors import InputError

if TYPE_CHECKING:  # the job pulls in the engine: imported by the commands that run it
    from idgap.recovery.job import RunReport


def run_job(
    kind: str, limit: int | None, dry_run: bool, quiet: bool, ruleset: str | None = None
) -> RunReport:
    """Run the job with a Rich progress bar (hidden for --json)."""
    from idgap.recovery.job import run_recovery

    st = state()
    settings = st.settings.model_copy(update={"ruleset": ruleset}) if ruleset else st.settings
    with step_progress(console, disable=quiet) as bar:
        task = bar.add_task(f"{kind}: starting", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"{kind}: {step}", completed=done, total=counted(total))

        return run_recovery(
            st.engine, settings=settings, limit=limit, dry_run=dry_run, kind=kind,
            progress=progress,
        )  # fmt: skip


def print_run(r: RunReport) -> None:
    s = r.stats()
    head = "dry run (nothing written)" if r.dry_run else f"run #{r.run_id}"
    t = Table(title=f"{r.kind} {head} in {r.elapsed_seconds}s, driver index {r.index_version}")
    t.add_column("what")
    t.add_column("count", justify="right")
    for label, key in (
        ("decided", "processed"),
        ("matched (linked)", "matched"),
        ("review", "review"),
        ("unmatched", "unmatched"),
        ("unchanged since last decision (skipped)", "skipped_unchanged"),
        ("driver links created", "driver_links_created"),
        ("origins created", "origins_created"),
        ("migrations linked", "migrations_linked"),
        ("drivers re-normalised in the index", "index_changed"),
    ):
        t.add_row(label, f"{s[key]:,}")
    console.print(t)
    if s["by_reason"]:
        console.print(
            "by reason: "
            + ", ".join(
                f"{k} {v:,}" for k, v in sorted(s["by_reason"].items(), key=lambda x: -x[1])
            )
        )


def recover(
    limit: Annotated[
        int | None,
        typer.Option(help="Decide at most N records that need it (in-window and newest first)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compute and report, write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The recovery job: repair links and origins, re-match what changed. Cron-safe."""
    if limit is not None and limit < 0:
        raise InputError("--limit must be 0 or more")
    report = run_job("recover", limit, dry_run, as_json)
    print_json(report.to_dict()) if as_json else print_run(report)


def backfill_origins(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create missing origins and repair inconsistent ones by the origin rule (legacy data)."""
    from idgap.recovery.backfill import run_backfill_origins

    data = run_backfill_origins(state().engine, settings=state().settings, dry_run=dry_run)
    if as_json:
        print_json(data)
        return
    verb = "would create" if dry_run else "created"
    console.print(
        f"{verb} {data['origins_created']:,} origins for "
        f"{data['persons_without_origin']:,} persons without one; repaired "
        f"{data['origins_repaired']:,} inconsistent origins "
        f"({data['origins_not_among_links']:,} not among the person's links, "
        f"{data['origins_contradicting_rule']:,} against the origin rule)"
    )
    if data["links_to_unknown_leads"]:
        console.print(
            f"[yellow]warning[/] {data['links_to_unknown_leads']:,} lead links point to leads "
            "absent from the leads table, e.g. " + ", ".join(data["unknown_lead_links"][:10])
        )


def register(app: typer.Typer) -> None:
    app.command("recover")(one_line_errors(recover))
    app.command("backfill-origins")(one_line_errors(backfill_origins))
