"""`idgap match`, `idgap export matches OUT.csv`, `idgap evaluate --truth FILE`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import orjson
import polars as pl
import sqlalchemy as sa
import typer
from rich.table import Table

from idgap.cli.common import console, one_line_errors, print_json, state
from idgap.cli.recovery import print_run, run_job
from idgap.errors import InputError
from idgap.identity.persons import DRIVERS, LEADS
from idgap.store.tables import cabinet_leads, identity_links, identity_unmatched, match_decisions

export_app = typer.Typer(help="Export results.", no_args_is_help=True)
EXPORT_COLUMNS = (
    "lead_id", "driver_id", "person_key", "outcome", "rule", "score", "confidence", "reason",
)  # fmt: skip


def match(
    ruleset: Annotated[
        str | None, typer.Option(help="idgap (default) or ct4 (the reference rules).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Match every lead, scouting row and migration without identity against the driver index."""
    if ruleset is not None and ruleset not in ("idgap", "ct4"):
        raise InputError(f"unknown ruleset {ruleset!r}: choose idgap or ct4")
    report = run_job("match", None, False, as_json, ruleset)
    if as_json:
        print_json(report.to_dict())
        return
    print_run(report)
    by_rule = report.writes.by_rule
    if by_rule:
        console.print("matched by rule: " + ", ".join(f"{k} {v:,}" for k, v in _desc(by_rule)))


def _desc(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def export_rows(conn: sa.Connection) -> list[tuple]:
    """One row per lead (EXPORT_COLUMNS); linked leads are `matched` with their link's rule."""
    lk, u, md, cl = identity_links, identity_unmatched, match_decisions, cabinet_leads
    drv = (
        sa.select(lk.c.person_key, sa.func.min(lk.c.source_pk).label("driver_id"))
        .where(lk.c.source_table == DRIVERS)
        .group_by(lk.c.person_key)
        .subquery("drv")
    )
    q = (
        sa.select(
            cl.c.lead_id, drv.c.driver_id, lk.c.person_key, lk.c.match_rule, lk.c.match_score,
            lk.c.confidence, u.c.outcome, u.c.reason_code, md.c.rule, md.c.score,
            md.c.confidence,
        )
        .select_from(
            cl.outerjoin(lk, sa.and_(lk.c.source_table == LEADS, lk.c.source_pk == cl.c.lead_id))
            .outerjoin(drv, drv.c.person_key == lk.c.person_key)
            .outerjoin(u, sa.and_(u.c.source_table == LEADS, u.c.source_pk == cl.c.lead_id))
            .outerjoin(md, md.c.id == u.c.decision_id)
        )
        .order_by(cl.c.lead_id)
    )  # fmt: skip
    out = []
    for (
        lead,
        driver,
        person,
        rule,
        score,
        conf,
        outcome,
        reason,
        d_rule,
        d_score,
        d_conf,
    ) in conn.execute(q):
        if person:
            out.append((lead, driver or "", person, "matched", rule, _num(score), conf or "", rule))
        else:
            out.append(
                (lead, "", "", outcome or "pending", d_rule or "", _num(d_score), d_conf or "",
                 reason or "")
            )  # fmt: skip
    return out


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@export_app.command("matches")
@one_line_errors
def export_matches(out: Annotated[Path, typer.Argument(help="CSV file to write.")]) -> None:
    """One row per lead: lead_id, driver_id, person_key, outcome, rule, score, confidence,
    reason (driver_id empty when the lead is not linked)."""
    with state().engine.connect() as conn:
        rows = export_rows(conn)
    try:
        with out.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(EXPORT_COLUMNS)
            w.writerows(rows)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None
    console.print(f"wrote {len(rows):,} leads to {out}")


def _read_truth(path: Path) -> pl.DataFrame:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        t = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: not a readable CSV ({type(exc).__name__})") from None
    if not {"lead_id", "true_driver_id"} <= set(t.columns):
        raise InputError(f"{path.name}: needs columns lead_id,true_driver_id")
    return t.with_columns(pl.col("true_driver_id").fill_null(""))


def _stored_decisions(conn: sa.Connection) -> pl.DataFrame:
    """lead_id, automatic link's driver_id (null otherwise), queued candidates."""
    u, lk = identity_unmatched, identity_links
    rows = export_rows(conn)
    cands = dict(
        conn.execute(
            sa.select(u.c.source_pk, u.c.candidates).where(u.c.source_table == LEADS)
        ).all()
    )
    auto = set(
        conn.execute(
            sa.select(lk.c.source_pk).where(lk.c.source_table == LEADS, lk.c.linked_by == "system")
        ).scalars()
    )
    probability = _decision_probabilities(conn)
    return pl.DataFrame(
        {
            "lead_id": [r[0] for r in rows],
            "driver_id": [r[1] if r[0] in auto and r[1] else None for r in rows],
            "candidates_json": [orjson.dumps(cands.get(r[0]) or []).decode() for r in rows],
            "probability": [probability.get(r[0]) for r in rows],
        },
        schema={
            "lead_id": pl.Utf8, "driver_id": pl.Utf8, "candidates_json": pl.Utf8,
            "probability": pl.Float64,
        },
    )  # fmt: skip


def _decision_probabilities(conn: sa.Connection) -> dict[str, float | None]:
    """lead_id -> posterior of the decision its link or queue entry points at."""
    md, out = match_decisions, dict[str, float | None]()
    for t in (identity_links, identity_unmatched):
        q = sa.select(t.c.source_pk, md.c.probability).join(md, md.c.id == t.c.decision_id)
        out.update(conn.execute(q.where(t.c.source_table == LEADS)).all())
    return out


def evaluate(
    truth: Annotated[
        Path | None, typer.Option(help="CSV with lead_id,true_driver_id[,case].")
    ] = None,
    claims_truth: Annotated[
        Path | None,
        typer.Option(help="truth_payments.csv (truth_claims.csv beside it): score payments."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Precision, recall, F1 and wrong links of the automatic links against ground truth."""
    from idgap.matching.evaluate import calibration
    from idgap.matching.evaluate import evaluate as run_eval

    if claims_truth is not None:
        from idgap.cli.claims import evaluate_claims

        evaluate_claims(claims_truth, as_json=as_json)
        if truth is None:
            return
    if truth is None:
        raise InputError("pass --truth truth_leads.csv and/or --claims-truth truth_payments.csv")
    t = _read_truth(truth)
    with state().engine.connect() as conn:
        decisions = _stored_decisions(conn)
    rep = run_eval(decisions, t)
    if as_json:
        print_json({**rep.to_dict(), "calibration": calibration(decisions, t)})
        return
    console.print(
        f"precision {rep.precision:.2%}  recall {rep.recall:.2%}  F1 {rep.f1:.2%}  "
        f"wrong links {rep.wrong_links}  auto-link rate {rep.auto_link_rate:.2%}  "
        f"review coverage {rep.review_coverage:.2%}  ({rep.leads} leads)"
    )
    _print_cases(rep.per_case)
    _print_calibration(calibration(decisions, t))


CASE_COLUMNS = {  # evaluate's per-case keys -> short headers that fit an 80-column terminal
    "case": "case", "leads": "leads", "auto_links": "auto", "wrong_links": "wrong",
    "precision": "precision", "recall": "recall", "review_coverage": "coverage",
}  # fmt: skip
RATES = ("precision", "recall", "review_coverage")


def _print_cases(per_case: list[dict[str, Any]]) -> None:
    t = Table(title="per case")
    for key, header in CASE_COLUMNS.items():
        t.add_column(header, justify="left" if key == "case" else "right", no_wrap=key == "case")
    for row in per_case:
        # a rate over nothing (no link made, no true driver to find) is shown as a dash
        undefined = {
            "precision": row.get("auto_links") == 0,
            "recall": row.get("with_true_driver") == 0,
            "review_coverage": row.get("with_true_driver") == 0,
        }
        t.add_row(
            *(
                "–" if undefined.get(key) else _cell(row.get(key), key in RATES)
                for key in CASE_COLUMNS
            )
        )
    console.print(t)


def _print_calibration(rows: list[dict[str, Any]]) -> None:
    """Predicted vs observed precision per probability band (the engine's own posterior)."""
    if not rows:
        return
    t = Table(title="calibration (best candidate per lead)")
    for header in ("probability", "leads", "predicted", "observed", "auto"):
        t.add_column(header, justify="left" if header == "probability" else "right")
    for r in rows:
        t.add_row(
            r["band"], f"{r['leads']:,}", f"{r['predicted']:.2%}", f"{r['observed']:.2%}",
            f"{r['auto_links']:,}",
        )  # fmt: skip
    console.print(t)


def _cell(value: Any, rate: bool) -> str:
    if value is None:
        return ""
    return f"{value:.1%}" if rate else f"{value:,}" if isinstance(value, int) else str(value)


def register(app: typer.Typer) -> None:
    app.command("match")(one_line_errors(match))
    app.command("evaluate")(one_line_errors(evaluate))
    app.add_typer(export_app, name="export")
