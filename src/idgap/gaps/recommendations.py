"""What an operator should do next, derived from a diagnosis report (REF §6.2).

Each rule reads one part of the report and returns the recommendations it finds. A
recommendation carries a code and its parameters, so the web can say it in Spanish, and the
CLI's English text. The rules run in order of urgency; 'info' appears only when none applies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from idgap.config import Settings

Report = dict[str, Any]
Recommendation = dict[str, Any]


def _rec(level: str, code: str, text: str, **params: Any) -> Recommendation:
    return {"level": level, "code": code, "params": params, "text": text}


def _last_run_failed(report: Report, settings: Settings) -> list[Recommendation]:
    last = report["job"]["last_run"]
    if not last or last["status"] != "failed":
        return []
    why = last["error"] or "no error text"
    text = (
        f"Last {last['kind']} run #{last['id']} failed ({why}): fix the cause and "
        "run `idgap recover`."
    )
    return [
        _rec("error", "run_failed", text, kind=last["kind"], run_id=last["id"], error=last["error"])
    ]


def _job_freshness(report: Report, settings: Settings) -> list[Recommendation]:
    job = report["job"]
    minutes = settings.recovery_interval_minutes
    if job["state"] == "NUNCA":
        text = (
            "The recovery job never completed: run `idgap recover` now and schedule it "
            f"(`idgap serve` runs it every {minutes} min, or cron `0 * * * * idgap recover`)."
        )
        return [_rec("error", "never_completed", text, minutes=minutes)]
    if job["state"] == "STALE":
        hours = job["hours_since_last_completed"]
        text = (
            f"Recovery job STALE: last completed {hours} h ago; check the scheduler "
            "(idgap serve / cron) and run `idgap recover`."
        )
        return [_rec("warning", "stale", text, hours=hours)]
    return []


def _origins(report: Report, settings: Settings) -> list[Recommendation]:
    integ = report["integrity"]
    out = []
    missing = integ["persons_with_lead_links_without_origin"]
    if missing:
        text = (
            f"{missing:,} persons with lead links have no origin: run `idgap backfill-origins` "
            "(the recovery job also does it)."
        )
        out.append(_rec("warning", "persons_with_lead_links_without_origin", text, n=missing))
    stray, contradicting = integ["origins_not_among_links"], integ["origins_contradicting_rule"]
    if stray or contradicting:
        text = (
            f"{stray:,} origins name a record not linked to their person and "
            f"{contradicting:,} contradict the origin rule (legacy data): run "
            "`idgap backfill-origins` to repair them by the rule."
        )
        out.append(
            _rec("warning", "inconsistent_origins", text, n=stray, contradicting=contradicting)
        )
    return out


def _links(report: Report, settings: Settings) -> list[Recommendation]:
    integ = report["integrity"]
    out = []
    no_driver = integ["lead_links_without_driver_link"]
    if no_driver:
        text = (
            f"{no_driver:,} lead links have no driver link (no trips can be counted): "
            "run `idgap recover` to repair them."
        )
        out.append(_rec("warning", "lead_links_without_driver_link", text, n=no_driver))
    unknown = integ["lead_links_to_unknown_leads"]
    if unknown:
        sample = ", ".join(integ["unknown_lead_ids"])
        text = (
            f"{unknown:,} lead links name a lead absent from module_ct_cabinet_leads "
            f"(e.g. {sample}): import the missing leads or split those links."
        )
        out.append(_rec("warning", "lead_links_to_unknown_leads", text, n=unknown, sample=sample))
    return out


def _nothing_processed(report: Report, settings: Settings) -> list[Recommendation]:
    if not report["volume_24h"]["nothing_processed"] or report["job"]["state"] == "NUNCA":
        return []
    unresolved = report["gap"]["totals"]["unresolved"]
    text = (
        f"{unresolved:,} leads unresolved but nothing processed in 24 h: check that the "
        "recovery job is scheduled."
    )
    return [_rec("warning", "nothing_processed", text, n=unresolved)]


def _review_queue(report: Report, settings: Settings) -> list[Recommendation]:
    queue = report["review_queue"]
    if not queue["open"]:
        return []
    amount = queue["amount_at_stake"]
    text = (
        f"Work the review queue: {queue['open']:,} leads, {settings.currency} {amount:,.2f} "
        "at stake (dashboard > Revisión)."
    )
    return [_rec("action", "review_queue", text, n=queue["open"], amount=amount)]


def _other_origin(report: Report, settings: Settings) -> list[Recommendation]:
    breakdown = report["gap"]["breakdown"]
    other = sum(row["count"] for row in breakdown if row["gap_reason"] == "other_origin")
    if not other:
        return []
    text = (
        f"{other:,} leads are other_origin (re-registrations or another channel): "
        "confirm each origin on the person page."
    )
    return [_rec("action", "other_origin", text, n=other)]


RULES: tuple[Callable[[Report, Settings], list[Recommendation]], ...] = (
    _last_run_failed,
    _job_freshness,
    _origins,
    _links,
    _nothing_processed,
    _review_queue,
    _other_origin,
)


def recommendations(report: Report, *, settings: Settings) -> list[Recommendation]:
    """Actionable lines, most urgent first; 'info' only when there is nothing to do."""
    out = [rec for rule in RULES for rec in rule(report, settings)]
    if not out:
        text = "No action needed: the job is fresh and the bookkeeping is complete."
        out.append(_rec("info", "all_good", text))
    return out
