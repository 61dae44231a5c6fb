"""`idgap claims` (totals by status), `idgap claims export OUT.csv [--xlsx]`, `claims refresh`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.table import Table

from idgap.cli.common import console, one_line_errors, print_json, state
from idgap.clock import park_day, utc_now
from idgap.errors import InputError

claims_app = typer.Typer(help="The claims ledger: what Yango owes, paid and disputes.")


def _current() -> None:
    from idgap.claims.read import ensure_current

    st = state()
    ensure_current(st.engine, settings=st.settings, now=utc_now(), by="cli")


@claims_app.callback(invoke_without_command=True)
@one_line_errors
def claims_totals(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the totals as JSON.")] = False,
) -> None:
    """Totals by status (count and S/), and the payments by outcome."""
    if ctx.invoked_subcommand is not None:
        return
    from idgap.claims.read import payment_counts, totals

    _current()
    with state().engine.connect() as conn:
        report = {"totals": totals(conn), "payments": payment_counts(conn)}
    if as_json:
        print_json(report)
        return
    print_totals(report, state().settings.currency)


def print_totals(report: dict[str, Any], currency: str) -> None:
    t = report["totals"]
    table = Table(title="claims by status (lead x milestone)")
    table.add_column("status")
    table.add_column("rows", justify="right")
    table.add_column(currency, justify="right")
    for status, row in t["by_status"].items():
        table.add_row(status, f"{row['count']:,}", f"{row['amount']:,.2f}")
    console.print(table)
    console.print(
        f"expected {currency} {t['expected']:,.2f} · paid {currency} {t['paid']:,.2f} · "
        f"owed {currency} {t['owed']:,.2f} · disputes {currency} {t['disputes']:,.2f} · "
        f"unidentified {currency} {t['unidentified']:,.2f} ({t['unidentified_leads']:,} leads)"
    )
    pays = report["payments"]
    console.print("payments: " + ", ".join(f"{k} {v:,}" for k, v in pays.items()))


@claims_app.command("export")
@one_line_errors
def export_claims(
    out: Annotated[Path, typer.Argument(help="File to write (CSV, or .xlsx with --xlsx).")],
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Write an Excel workbook.")] = False,
) -> None:
    """One row per lead x milestone: lead_id, driver_id, person_key, lead_date, milestone,
    amount, trips_14d, reached, paid, payment_id, status."""
    from idgap.claims.export import write_claims

    _current()
    try:
        with state().engine.connect() as conn:
            n = write_claims(conn, out, xlsx=xlsx)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None
    console.print(f"wrote {n:,} lead x milestone rows to {out}")


@claims_app.command("refresh")
@one_line_errors
def refresh() -> None:
    """Re-decide every payment and recompute the whole ledger (after a settings change)."""
    from idgap.claims.ledger import refresh_claims
    from idgap.claims.settle import settle

    st = state()
    now = utc_now()
    with st.engine.begin() as conn:
        settle(conn, settings=st.settings, now=now, by="cli")
        n = refresh_claims(
            conn, None, today=park_day(now, st.settings.timezone), settings=st.settings, now=now
        )
    console.print(f"claims ledger refreshed: {n:,} rows rewritten")


def register(app: typer.Typer) -> None:
    app.add_typer(claims_app, name="claims")


def _read_text_csv(path: Path, needed: set[str]) -> Any:
    import polars as pl

    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: not a readable CSV ({type(exc).__name__})") from None
    if not needed <= set(frame.columns):
        raise InputError(f"{path.name}: needs columns {','.join(sorted(needed))}")
    return frame


def evaluate_claims(truth_payments: Path, *, as_json: bool) -> None:
    """`idgap evaluate --claims-truth`: payment matching and ledger agreement vs the truth."""
    import polars as pl

    from idgap.claims.evaluate import score
    from idgap.claims.export import cell_text
    from idgap.claims.read import ITEM_COLUMNS, export_rows
    from idgap.store.tables import payment_matches as pm

    tp = _read_text_csv(truth_payments, {"payment_id", "lead_id", "milestone"})
    tc = _read_text_csv(
        truth_payments.with_name("truth_claims.csv"),
        {"lead_id", "milestone", "true_driver_id", "reached", "paid", "payment_id", "status"},
    )
    _current()
    with state().engine.connect() as conn:
        decisions = pl.read_database(
            sa.select(pm.c.payment_id, pm.c.outcome, pm.c.lead_id), conn,
            schema_overrides={"payment_id": pl.Utf8, "outcome": pl.Utf8, "lead_id": pl.Utf8},
        )  # fmt: skip
        rows = [[cell_text(v) or None for v in r] for r in export_rows(conn)]
    ledger = pl.DataFrame(rows, schema={c: pl.Utf8 for c in ITEM_COLUMNS}, orient="row")
    rep = score(decisions, ledger, tp, tc)
    if as_json:
        print_json({"claims": rep.to_dict()})
        return

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.2%}"

    console.print(
        f"payments: precision {pct(rep.precision)}  recall {pct(rep.recall)} "
        f"(matchable {pct(rep.recall_matchable)})  wrong {rep.wrong}  review {rep.review}  "
        f"({rep.payments:,} payments, {rep.with_true_lead:,} with a true lead)"
    )
    console.print(
        f"ledger agreement on correctly linked leads: {pct(rep.agreement)} "
        f"({rep.agreeing:,} of {rep.linked_lead_milestones:,} lead x milestones)"
    )
