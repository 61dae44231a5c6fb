"""`idgap diagnose`: the gap, the job and what to do next (REF §6.2), as Rich tables or JSON."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from idgap.cli.common import console, one_line_errors, print_json, state
from idgap.clock import utc_now

LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "action": "cyan", "info": "green"}
RISK_STYLE = {"high": "red", "medium": "yellow", "low": "dim"}
STATUS_STYLE = {"OK": "green", "WARNING": "yellow", "ERROR": "bold red"}


def diagnose_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Gap metrics, job freshness, top fail reasons, 24 h volume, links, recommendations."""
    report = current_diagnosis(state())
    if as_json:
        print_json(report)
    else:
        print_diagnosis(report, console)


def current_diagnosis(st: Any) -> dict[str, Any]:
    """The diagnosis after settling payments the store has not tied yet (claims read current)."""
    from idgap.claims.read import ensure_current
    from idgap.gaps.diagnose import diagnose

    ensure_current(st.engine, settings=st.settings, now=utc_now(), by="cli")
    with st.engine.connect() as conn:
        return diagnose(conn, now=utc_now(), settings=st.settings)


def _fmt_ts(value: Any) -> str:
    return "NUNCA" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def gap_panel(report: dict[str, Any]) -> Panel:
    t, cur = report["gap"]["totals"], report["currency"]
    head = Table.grid(padding=(0, 2))
    for label, value in (
        ("Total leads", f"{t['total_leads']:,}"),
        ("Unresolved", f"{t['unresolved']:,} ({t['pct_unresolved']:.2f} %)"),
        ("Resolved", f"{t['resolved']:,}"),
        ("High risk", f"{t['high_risk']:,}"),
        ("Expected (resolved)", f"{cur} {t['expected_amount_resolved']:,.2f}"),
        ("At stake (unresolved)", f"{cur} {t['amount_at_stake_unresolved']:,.2f}"),
    ):
        head.add_row(Text(label, style="bold"), value)
    table = Table("gap_reason", "risk", "leads", title="Breakdown", title_justify="left")
    for row in report["gap"]["breakdown"]:
        risk = row["risk_level"]
        table.add_row(
            row["gap_reason"], Text(risk, style=RISK_STYLE.get(risk, "")), f"{row['count']:,}"
        )
    return Panel(Group(head, table), title="1. Gap metrics")


def job_panel(report: dict[str, Any]) -> Panel:
    job, vol = report["job"], report["volume_24h"]
    state_style = {"OK": "green", "STALE": "bold yellow", "NUNCA": "bold red"}[job["state"]]
    hours = job["hours_since_last_completed"]
    grid = Table.grid(padding=(0, 2))
    grid.add_row(Text("Last completed run", style="bold"), _fmt_ts(job["last_completed_at"]))
    grid.add_row(
        Text("Hours since", style="bold"),
        Text(f"{hours} h [{job['state']}]" if hours is not None else "NUNCA", style=state_style),
    )
    if job["state"] == "STALE":
        grid.add_row("", Text("[WARNING] JOB STALE (> 24 h)", style="bold yellow"))
    last = job["last_run"]
    if last:
        started = _fmt_ts(last["started_at"])
        grid.add_row(
            Text("Last run", style="bold"),
            f"#{last['id']} {last['kind']} {last['status']} at {started}",
        )
    grid.add_row(
        Text("Runs (all / 24 h)", style="bold"),
        f"{job['total_runs']:,} / {job['runs_last_24h']:,}  {job['by_status']}",
    )
    grid.add_row(
        Text("24 h volume", style="bold"),
        f"processed {vol['processed']:,} · matched {vol['matched']:,} · review "
        f"{vol['review']:,} · unmatched {vol['unmatched']:,} · lead links "
        f"{vol['matched_links_24h']:,}",
    )
    return Panel(grid, title="2. Job freshness and 24 h volume")


def reasons_panel(report: dict[str, Any]) -> Panel:
    table = Table("reason_code", "outcome", "open", "oldest", "at stake")
    for r in report["fail_reasons"]:
        oldest = str(r["oldest_date"] or "")
        table.add_row(
            r["reason_code"],
            r["outcome"],
            f"{r['count']:,}",
            oldest,
            f"{report['currency']} {r['amount_at_stake']:,.2f}",
        )
    if not report["fail_reasons"]:
        table.add_row("—", "", "0", "", "")
    return Panel(table, title="3. Top fail reasons (open)")


def links_panel(report: dict[str, Any]) -> Panel:
    lk, integ = report["links"], report["integrity"]
    table = Table("", "total", "24 h", "7 d")
    table.add_row(
        "lead links",
        f"{lk['lead_links_total']:,}",
        f"{lk['lead_links_24h']:,}",
        f"{lk['lead_links_7d']:,}",
    )
    table.add_row(
        "origins", f"{lk['origins_total']:,}", f"{lk['origins_24h']:,}", f"{lk['origins_7d']:,}"
    )
    table.add_row("driver links", f"{lk['driver_links_total']:,}", "", "")
    by_tag = Text(f"origins by tag: {lk['origins_by_tag']}", style="dim")
    lines: list[Table | Text] = [table, by_tag]
    for key, label in (
        ("lead_links_without_driver_link", "lead links without driver link"),
        ("persons_with_lead_links_without_origin", "persons with lead links without origin"),
        ("lead_links_to_unknown_leads", "lead links to unknown leads"),
        ("origins_not_among_links", "origins not among the person's links"),
        ("origins_contradicting_rule", "origins contradicting the origin rule"),
    ):
        n = integ[key]
        lines.append(
            Text(f"{'[WARNING] ' if n else 'ok: '}{label}: {n:,}", style="yellow" if n else "green")
        )
    return Panel(Group(*lines), title="4. Links and origins created")


def recommendations_panel(report: dict[str, Any]) -> Panel:
    lines: list[Text] = [
        Text(f"{i}. [{r['level'].upper()}] {r['text']}", style=LEVEL_STYLE.get(r["level"], ""))
        for i, r in enumerate(report["recommendations"], 1)
    ]
    style = STATUS_STYLE.get(report["status"], "")
    return Panel(
        Group(*lines), title=f"5. Recommendations — status {report['status']}", border_style=style
    )


def claims_panel(report: dict[str, Any]) -> Panel:
    c, cur = report["claims"], report["currency"]
    table = Table.grid(padding=(0, 2))
    rows = (
        ("Expected (milestones reached)", c["expected"]),
        ("Paid by Yango", c["paid"]),
        (f"Owed, to claim ({c['owed_milestones']:,} milestones)", c["owed"]),
        ("Expired (past the claim deadline)", c["expired"]),
        ("Disputes (paid, not reached)", c["disputes"]),
        (f"Unidentified ({c['unidentified_leads']:,} leads, best candidate)", c["unidentified"]),
    )
    for label, amount in rows:
        table.add_row(label, f"{cur} {amount:,.2f}")
    pays = ", ".join(f"{k} {v:,}" for k, v in c["payments"].items())
    return Panel(Group(table, Text(f"payments: {pays}")), title="Claims (Cobranza)")


def print_diagnosis(report: dict[str, Any], out: Console) -> None:
    out.print(f"[bold]idgap diagnosis[/] at {_fmt_ts(report['generated_at'])}")
    panels = (gap_panel, job_panel, reasons_panel, links_panel, claims_panel, recommendations_panel)
    for panel in panels:
        out.print(panel(report))


def register(app: typer.Typer) -> None:
    app.command("diagnose")(one_line_errors(diagnose_cmd))
