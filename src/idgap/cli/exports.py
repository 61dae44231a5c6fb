"""`idgap export gaps OUT [--xlsx]`, `idgap export review OUT [--xlsx]`: the screens' filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from idgap.cli.common import console, one_line_errors, state
from idgap.clock import today

Out = Annotated[Path, typer.Argument(help="File to write (.csv, or .xlsx with --xlsx).")]
Xlsx = Annotated[bool, typer.Option("--xlsx", help="Write an Excel workbook instead of CSV.")]
Search = Annotated[
    str | None, typer.Option("--q", "--search", help="Name, phone, licence, plate or lead id.")
]


def _fmt(out: Path, xlsx: bool) -> str:
    return "xlsx" if xlsx or out.suffix.lower() == ".xlsx" else "csv"


def export_gaps(
    out: Out,
    xlsx: Xlsx = False,
    gap_reason: Annotated[str | None, typer.Option(help="A gap reason, or 'unresolved'.")] = None,
    risk_level: Annotated[str | None, typer.Option(help="high, medium or low.")] = None,
    date_from: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    date_to: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    q: Search = None,
    sort: Annotated[str | None, typer.Option(help="e.g. -amount_at_stake, lead_date.")] = None,
) -> None:
    """The gap table (one row per lead), filtered as on the dashboard."""
    filters = {"gap_reason": gap_reason, "risk_level": risk_level, "date_from": date_from,
               "date_to": date_to, "q": q}  # fmt: skip
    from idgap.exports import gap_frame, write_file  # Polars and xlsxwriter: this command only

    st = state()
    with st.engine.connect() as conn:
        df = gap_frame(conn, filters=filters, sort=sort, today=today(st.settings.timezone))
    write_file(df, out, _fmt(out, xlsx), sheet="brechas")
    console.print(f"wrote {df.height:,} leads to {out}")


def export_review(
    out: Out,
    xlsx: Xlsx = False,
    status: Annotated[str, typer.Option(help="OPEN, DISMISSED or RESOLVED.")] = "OPEN",
    reason_code: Annotated[str | None, typer.Option(help="e.g. WEAK_MATCH_ONLY.")] = None,
    min_amount: Annotated[
        float | None, typer.Option(help="At least this many S/ at stake.")
    ] = None,
    linkable_only: Annotated[
        bool, typer.Option(help="Leave out leads whose only account is in another park.")
    ] = False,
    q: Search = None,
    sort: Annotated[
        str, typer.Option(help="-amount, -age, age, -lead_date, lead_date, reason.")
    ] = ("-amount"),
) -> None:
    """The review queue (one row per item, best candidate included), most money first."""
    filters = {"status": status, "reason_code": reason_code, "min_amount": min_amount,
               "linkable_only": linkable_only, "q": q, "sort": sort}  # fmt: skip
    from idgap.exports import review_frame, write_file

    st = state()
    with st.engine.connect() as conn:
        df = review_frame(conn, filters=filters, today=today(st.settings.timezone))
    write_file(df, out, _fmt(out, xlsx), sheet="revision")
    console.print(f"wrote {df.height:,} queue items to {out}")


def register(app: typer.Typer) -> None:
    from idgap.cli.matching import export_app  # the `export` group (matches lives there)

    export_app.command("gaps")(one_line_errors(export_gaps))
    export_app.command("review")(one_line_errors(export_review))
