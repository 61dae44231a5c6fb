"""`idgap match`, `idgap recover`, `idgap backfill-origins`, `idgap export`, `idgap evaluate`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import polars as pl
import sqlalchemy as sa
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from idgap.cli.common import console, one_line_errors, print_json, state
from idgap.clock import utc_now
from idgap.recovery.job import RunReport, run_recovery
from idgap.store.tables import identity_links, identity_unmatched, lead_status

export_app = typer.Typer(help="Export results.", no_args_is_help=True)


def _run(
    kind: str, limit: int | None, dry_run: bool, as_json: bool, ruleset: str | None = None
) -> None:
    st = state()
    settings = st.settings.model_copy(update={"ruleset": ruleset}) if ruleset else st.settings
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as bar:
        task = bar.add_task(kind, total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        report = run_recovery(
            st.engine, settings=settings, limit=limit, dry_run=dry_run, kind=kind, progress=progress
        )
    print_json(report.to_dict()) if as_json else print_run(report)


def print_run(r: RunReport) -> None:
    w = r.writes
    head = "dry run (nothing written)" if r.dry_run else f"run #{r.run_id}"
    t = Table(title=f"{r.kind} {head} in {r.elapsed_seconds}s, index {r.index_version}")
    t.add_column("what")
    t.add_column("count", justify="right")
    for label, n in (
        ("decided", r.processed),
        ("matched (linked)", w.matched),
        ("review", w.review),
        ("unmatched", w.unmatched),
        ("driver links created", w.driver_links_created),
        ("origins created", w.origins_created + r.origins_backfilled),
        ("driver links repaired", r.driver_links_repaired),
        ("migrations linked", r.migrations_linked),
    ):
        t.add_row(label, f"{n:,}")
    console.print(t)
    if w.by_reason:
        console.print(
            "by reason: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(w.by_reason.items(), key=lambda x: -x[1]))
        )


def match(
    ruleset: Annotated[
        str | None, typer.Option(help="idgap (default) or ct4 (the reference rules).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Match every lead and scouting row without identity against the driver index."""
    _run("match", None, False, as_json, ruleset)


def recover(
    limit: Annotated[
        int | None, typer.Option(help="Decide at most N records (newest first).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compute and report, write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The recovery job: repair links and origins, re-match what changed. Cron-safe."""
    _run("recover", limit, dry_run, as_json)


def backfill_origins(
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create the origin of every person that has links but none (legacy data)."""
    from idgap.gaps.status import refresh_lead_status
    from idgap.identity.origin import ensure_origins
    from idgap.recovery.job import _persons_without_origin
    from idgap.recovery.lock import recovery_lock

    st = state()
    now = utc_now()
    with recovery_lock(st.engine), st.engine.begin() as conn:
        people = _persons_without_origin(conn)
        stats = ensure_origins(
            conn,
            people,
            now=now,
            run_id=None,
            changed_by="backfill-origins",
            reason="backfill of links without origin",
            dry_run=dry_run,
        )
        unknown = _unknown_lead_links(conn)
        if dry_run:
            conn.rollback()
        else:
            refresh_lead_status(conn, None, today=now.date(), settings=st.settings, now=now)
    data = {
        "persons_without_origin": len(people),
        "origins_created": stats.created,
        "dry_run": dry_run,
        "links_to_unknown_leads": unknown,
    }
    if as_json:
        print_json(data)
    else:
        console.print(
            f"{'would create' if dry_run else 'created'} {stats.created:,} origins "
            f"for {len(people):,} persons without one"
        )
        for lead in unknown:
            console.print(
                f"[yellow]warning[/] lead link to a lead absent from the leads table: {lead}"
            )


def _unknown_lead_links(conn: sa.Connection) -> list[str]:
    from idgap.store.tables import cabinet_leads

    lk = identity_links
    q = (
        sa.select(lk.c.source_pk)
        .outerjoin(cabinet_leads, cabinet_leads.c.lead_id == lk.c.source_pk)
        .where(lk.c.source_table == "module_ct_cabinet_leads", cabinet_leads.c.lead_id.is_(None))
    )
    return list(conn.execute(q).scalars())


@export_app.command("matches")
@one_line_errors
def export_matches(out: Annotated[Path, typer.Argument(help="CSV file to write.")]) -> None:
    """One row per lead: lead_id, driver_id, person_key, outcome, rule, score, confidence,
    reason."""
    with state().engine.connect() as conn:
        rows = export_rows(conn)
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "lead_id",
                "driver_id",
                "person_key",
                "outcome",
                "rule",
                "score",
                "confidence",
                "reason",
            ]
        )
        w.writerows(rows)
    console.print(f"wrote {len(rows):,} leads to {out}")


def export_rows(conn: sa.Connection) -> list[tuple]:
    ls, lk, u = lead_status, identity_links, identity_unmatched
    link = lk.alias("l")
    q = (
        sa.select(
            ls.c.lead_id,
            ls.c.driver_id,
            ls.c.person_key,
            link.c.match_rule,
            link.c.match_score,
            link.c.confidence,
            u.c.outcome,
            u.c.reason_code,
        )
        .select_from(
            ls.outerjoin(
                link,
                sa.and_(
                    link.c.source_table == "module_ct_cabinet_leads",
                    link.c.source_pk == ls.c.lead_id,
                ),
            ).outerjoin(
                u,
                sa.and_(
                    u.c.source_table == "module_ct_cabinet_leads", u.c.source_pk == ls.c.lead_id
                ),
            )
        )
        .order_by(ls.c.lead_id)
    )
    out = []
    for lead, driver, person, rule, score, conf, outcome, reason in conn.execute(q):
        if person:
            out.append((lead, driver or "", person, "matched", rule, score, conf or "", rule))
        else:
            out.append((lead, "", "", outcome or "pending", "", "", "", reason or ""))
    return out


def evaluate(
    truth: Annotated[Path, typer.Option(help="CSV with lead_id,true_driver_id[,case].")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Precision, recall, F1 and wrong links of the automatic links against ground truth."""
    from idgap.errors import InputError
    from idgap.matching.evaluate import evaluate as run_eval

    if not truth.exists():
        raise InputError(f"{truth}: no such file")
    t = pl.read_csv(truth, infer_schema=False)
    if not {"lead_id", "true_driver_id"} <= set(t.columns):
        raise InputError(f"{truth.name}: needs columns lead_id,true_driver_id")
    with state().engine.connect() as conn:
        rows = export_rows(conn)
        cands = dict(
            conn.execute(
                sa.select(identity_unmatched.c.source_pk, identity_unmatched.c.candidates).where(
                    identity_unmatched.c.source_table == "module_ct_cabinet_leads"
                )
            ).all()
        )
        auto = set(
            conn.execute(
                sa.select(identity_links.c.source_pk).where(
                    identity_links.c.source_table == "module_ct_cabinet_leads",
                    identity_links.c.linked_by == "system",
                )
            ).scalars()
        )
    import json

    d = pl.DataFrame(
        {
            "lead_id": [r[0] for r in rows],
            "driver_id": [r[1] if r[0] in auto and r[1] else None for r in rows],
            "candidates_json": [json.dumps(cands.get(r[0]) or []) for r in rows],
        },
        schema={"lead_id": pl.Utf8, "driver_id": pl.Utf8, "candidates_json": pl.Utf8},
    )
    rep = run_eval(d, t.with_columns(pl.col("true_driver_id").fill_null("")))
    if as_json:
        print_json(rep.to_dict())
        return
    console.print(
        f"precision {rep.precision:.2%}  recall {rep.recall:.2%}  F1 {rep.f1:.2%}  "
        f"wrong links {rep.wrong_links}  auto-link rate {rep.auto_link_rate:.2%}  "
        f"review coverage {rep.review_coverage:.2%}  ({rep.leads} leads)"
    )
    t2 = Table(title="per case")
    for c in ("case", "leads", "auto_links", "wrong_links", "recall", "review_coverage"):
        t2.add_column(c)
    for row in rep.per_case:
        t2.add_row(
            *(
                str(row[c])
                for c in ("case", "leads", "auto_links", "wrong_links", "recall", "review_coverage")
            )
        )
    console.print(t2)


def register(app: typer.Typer) -> None:
    app.command("match")(one_line_errors(match))
    app.command("recover")(one_line_errors(recover))
    app.command("backfill-origins")(one_line_errors(backfill_origins))
    app.command("evaluate")(one_line_errors(evaluate))
    app.add_typer(export_app, name="export")
