"""Gap alerts (REF §5.2) without its defects.

- `over_7d_unresolved`: any unresolved lead open 7 days or more (a 10-day-old no_identity lead
  is one; REF's CASE order hid it behind over_24h_no_identity);
- `over_24h_no_identity`: a no_identity lead open 1 to 6 days;
- `other_origin`: the person's origin is another lead or channel, at any age (its own action).
Severity is the lead's risk level and sorts high > medium > low (REF sorted the text).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from idgap.gaps.query import ensure_current_ages, money
from idgap.gaps.rules import HIGH_AGE_DAYS, RISK_LEVELS, UNRESOLVED
from idgap.store.tables import lead_status

ls = lead_status
DEFAULT_LIMIT = 1000
ALERT_TYPES = ("over_7d_unresolved", "over_24h_no_identity", "other_origin")

_is_other = ls.c.gap_reason == "other_origin"
_is_old = sa.and_(ls.c.gap_reason != "resolved", ls.c.gap_age_days >= HIGH_AGE_DAYS)
_is_young_noid = sa.and_(ls.c.gap_reason == "no_identity", ls.c.gap_age_days >= 1)
# the IN lets the database walk the gap_reason index and skip resolved leads (the majority)
ALERTING = sa.and_(ls.c.gap_reason.in_(UNRESOLVED), sa.or_(_is_other, _is_old, _is_young_noid))
ALERT_TYPE = sa.case(
    (_is_other, "other_origin"), (_is_old, "over_7d_unresolved"), else_="over_24h_no_identity"
)
RISK_RANK = sa.case((ls.c.risk_level == "high", 2), (ls.c.risk_level == "medium", 1), else_=0)

ACTIONS = {  # (alert_type, gap_reason) -> what the analyst should do, in Spanish
    ("over_24h_no_identity", "no_identity"): (
        "Reintentar el matching automático (idgap recover) y revisar sus candidatos en la "
        "cola de revisión."
    ),
    ("over_7d_unresolved", "no_identity"): (
        "Más de 7 días sin identidad: revisión manual ahora; la ventana de 14 días para cobrar "
        "se está cerrando."
    ),
    ("over_7d_unresolved", "no_driver"): (
        "La persona no tiene cuenta de conductor: vincular su conductor del parque desde la "
        "ficha de la persona o ejecutar idgap recover."
    ),
    ("over_7d_unresolved", "no_origin"): (
        "Falta el origen de la persona: ejecutar idgap backfill-origins (o esperar al "
        "recovery programado)."
    ),
}
OTHER_ORIGIN_ACTION = (
    "El origen de la persona es {detail}: confirmar si este lead es un re-registro o corregir "
    "el origen en la ficha de la persona."
)


def suggested_action(alert_type: str, gap_reason: str, origin_detail: str | None) -> str:
    if alert_type == "other_origin":
        return OTHER_ORIGIN_ACTION.format(detail=origin_detail or "otra fuente")
    return ACTIONS.get((alert_type, gap_reason), "Revisar el lead manualmente.")


def gap_alerts(
    conn: sa.Connection, *, today: dt.date, limit: int | None = DEFAULT_LIMIT
) -> dict[str, Any]:
    """Alerting leads, most severe and oldest first; `total` counts them all."""
    ensure_current_ages(conn, today=today)
    counts = alert_counts(conn)
    rows: list[sa.Row] = []
    for severity in RISK_LEVELS:  # high, medium, low: one index-friendly query each
        room = None if limit is None else limit - len(rows)
        if not counts.get(severity) or room == 0:
            continue
        stmt = (
            sa.select(
                ls.c.lead_id, ALERT_TYPE.label("alert_type"), ls.c.risk_level, ls.c.gap_age_days,
                ls.c.gap_reason, ls.c.origin_detail, ls.c.lead_date, ls.c.amount_at_stake,
            )
            .where(ALERTING, ls.c.risk_level == severity)
            .order_by(ls.c.gap_age_days.desc(), ls.c.lead_id)
        )  # fmt: skip
        rows += conn.execute(stmt if room is None else stmt.limit(room)).all()
    items = [
        {
            "lead_id": r.lead_id,
            "alert_type": r.alert_type,
            "severity": r.risk_level,
            "days_open": r.gap_age_days,
            "gap_reason": r.gap_reason,
            "lead_date": r.lead_date,
            "origin_detail": r.origin_detail,
            "amount_at_stake": money(r.amount_at_stake),
            "suggested_action": suggested_action(r.alert_type, r.gap_reason, r.origin_detail),
        }
        for r in rows
    ]
    return {"items": items, "total": sum(counts.values()), "meta": {"limit": limit}}


def alert_counts(conn: sa.Connection) -> dict[str, int]:
    """Alerting leads per severity (for health and diagnosis)."""
    stmt = sa.select(ls.c.risk_level, sa.func.count()).where(ALERTING).group_by(ls.c.risk_level)
    return {risk: int(n) for risk, n in conn.execute(stmt)}


GROUP_SAMPLE = 3


def alert_groups(
    conn: sa.Connection, *, filters: Any = None, today: dt.date, sample: int = GROUP_SAMPLE
) -> dict[str, Any]:
    """Alerts grouped by kind (alert type and gap reason) with counts, following the gap filters.

    One group per action an analyst takes, instead of one alert per lead with the same text;
    each group keeps its most urgent leads as a sample (highest risk, then longest open).
    """
    from idgap.gaps.query import GapFilters  # query imports nothing from here; keep it local

    ensure_current_ages(conn, today=today)
    where = [ALERTING, *GapFilters.of(filters).clauses()]
    inner = (
        sa.select(ALERT_TYPE.label("alert_type"), ls.c.gap_reason, ls.c.risk_level,
                  ls.c.amount_at_stake, ls.c.gap_age_days)
        .where(*where)
        .subquery()
    )  # fmt: skip
    stmt = sa.select(
        inner.c.alert_type, inner.c.gap_reason, inner.c.risk_level, sa.func.count(),
        sa.func.sum(inner.c.amount_at_stake), sa.func.max(inner.c.gap_age_days),
    ).group_by(inner.c.alert_type, inner.c.gap_reason, inner.c.risk_level)  # fmt: skip
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, reason, risk, n, stake, oldest in conn.execute(stmt):
        g = groups.setdefault((kind, reason), _empty_group(kind, reason))
        g["count"] += int(n)
        g["by_severity"][risk] = g["by_severity"].get(risk, 0) + int(n)
        g["amount_at_stake"] = money(g["amount_at_stake"] + float(stake or 0))
        g["max_days_open"] = max(g["max_days_open"], int(oldest or 0))
    ordered = sorted(groups.values(), key=_group_rank)
    for g in ordered:
        g["sample"] = _group_sample(conn, where, g["alert_type"], g["gap_reason"], sample)
    return {"groups": ordered, "total": sum(g["count"] for g in ordered)}


def _empty_group(kind: str, reason: str) -> dict[str, Any]:
    return {
        "alert_type": kind,
        "gap_reason": reason,
        "count": 0,
        "by_severity": {},
        "amount_at_stake": 0.0,
        "max_days_open": 0,
        "suggested_action": suggested_action(kind, reason, None),
    }


def _group_rank(group: dict[str, Any]) -> tuple:
    worst = next((i for i, r in enumerate(RISK_LEVELS) if group["by_severity"].get(r)), 9)
    return (worst, -group["amount_at_stake"], -group["count"], group["alert_type"])


def _group_sample(
    conn: sa.Connection, where: list, kind: str, reason: str, n: int
) -> list[dict[str, Any]]:
    stmt = (
        sa.select(ls.c.lead_id, ls.c.risk_level, ls.c.gap_age_days, ls.c.amount_at_stake)
        .where(*where, ALERT_TYPE == kind, ls.c.gap_reason == reason)  # noqa: SIM300
        .order_by(-RISK_RANK, ls.c.amount_at_stake.desc(), ls.c.gap_age_days.desc(), ls.c.lead_id)
        .limit(n)
    )
    return [
        {"lead_id": r.lead_id, "severity": r.risk_level, "days_open": r.gap_age_days,
         "amount_at_stake": money(r.amount_at_stake)}
        for r in conn.execute(stmt)
    ]  # fmt: skip
