"""Legacy consistency of origins: stored origins checked against the one origin rule.

Two kinds of inconsistency survive a legacy import (REF `inconsistent_origin`):
- the origin names a record that is not among the person's links;
- the origin contradicts the rule (another link ranks first: priority, then date, then id).
The first kind is almost always also the second; both are counted, and `backfill-origins`
repairs every person of either kind by the rule (identity.origin.ensure_origins).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from idgap.identity.origin import LinkRef, choose_origin
from idgap.store.tables import identity_links, identity_origin, persons


@dataclass
class OriginAudit:
    not_among_links: list[str] = field(default_factory=list)
    contradicting_rule: list[str] = field(default_factory=list)

    @property
    def to_repair(self) -> list[str]:
        return sorted(set(self.not_among_links) | set(self.contradicting_rule))


def audit_origins(conn: sa.Connection) -> OriginAudit:
    """Every active person with links and a stored origin, checked (read-only)."""
    lk, og, ps = identity_links, identity_origin, persons
    links: dict[str, list[LinkRef]] = defaultdict(list)
    for key, table, pk, snap in conn.execute(
        sa.select(lk.c.person_key, lk.c.source_table, lk.c.source_pk, lk.c.snapshot_date)
    ):
        links[key].append(LinkRef(table, pk, snap))
    stored = conn.execute(
        sa.select(og.c.person_key, og.c.origin_tag, og.c.origin_source_table,
                  og.c.origin_source_id)
        .join(ps, ps.c.person_key == og.c.person_key)
        .where(ps.c.status == "active")
        .order_by(og.c.person_key)
    ).all()  # fmt: skip
    audit = OriginAudit()
    for key, tag, table, source_id in stored:
        refs = links.get(key)
        if not refs:
            continue  # nothing to decide from: the rule needs links
        if not any(r.source_pk == source_id and r.source_table == table for r in refs):
            audit.not_among_links.append(key)
        best = choose_origin(refs)
        if best is not None and (best.tag, best.source_table, best.source_id) != (
            tag, table, source_id
        ):  # fmt: skip
            audit.contradicting_rule.append(key)
    return audit
