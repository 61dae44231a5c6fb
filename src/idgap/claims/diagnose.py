"""The claims section of `idgap diagnose`: what Yango owes, has paid and disputes, in S/."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from idgap.claims.read import payment_counts, totals


def claims_section(conn: sa.Connection) -> dict[str, Any]:
    """expected, paid, owed (+ expired), disputes, unidentified, and the payment queue."""
    t = totals(conn)
    return {
        "expected": t["expected"],
        "paid": t["paid"],
        "owed": t["owed"],
        "expired": t["expired"],
        "disputes": t["disputes"],
        "unidentified": t["unidentified"],
        "unidentified_leads": t["unidentified_leads"],
        "owed_milestones": t["by_status"]["owed"]["count"],
        "payments": payment_counts(conn),
    }
