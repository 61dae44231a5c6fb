"""Load what the engine needs from the store: the driver index and the work list."""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa

from idgap.matching.candidates import leads_to_candidates, scouting_to_candidates
from idgap.matching.index import build_driver_index, index_version
from idgap.store.tables import (
    cabinet_leads,
    drivers,
    identity_links,
    identity_unmatched,
    index_versions,
    scouting_daily,
)

_cache: dict[str, tuple[tuple, pl.DataFrame, str]] = {}


def driver_index(conn: sa.Connection, *, now: dt.datetime) -> tuple[pl.DataFrame, str]:
    """Normalised drivers + version; rebuilt only when `drivers` changed (cached per process)."""
    cols = [
        drivers.c[c]
        for c in (
            "driver_id",
            "park_id",
            "phone",
            "license_number",
            "license_normalized_number",
            "full_name",
            "first_name",
            "middle_name",
            "last_name",
            "car_number",
            "car_normalized_number",
            "car_brand",
            "car_model",
            "hire_date",
        )
    ]
    marker = tuple(
        conn.execute(sa.select(sa.func.count(), sa.func.max(drivers.c.idgap_changed_at))).one()
    )
    key = str(conn.engine.url)
    if key in _cache and _cache[key][0] == marker:
        return _cache[key][1], _cache[key][2]
    raw = pl.DataFrame(
        conn.execute(sa.select(*cols)).all(),
        orient="row",
        schema={c.name: (pl.Date if c.name == "hire_date" else pl.Utf8) for c in cols},
    )
    index = build_driver_index(raw)
    version = index_version(index)
    if not conn.execute(
        sa.select(index_versions.c.version).where(index_versions.c.version == version)
    ).first():
        conn.execute(
            index_versions.insert().values(
                version=version, created_at=now, n_drivers=index.height, n_changed=index.height
            )
        )
    _cache[key] = (marker, index, version)
    return index, version


def work_list(
    conn: sa.Connection, *, version: str, today: dt.date, window_days: int
) -> pl.DataFrame:
    """Leads and scouting rows without identity that are worth deciding (again).

    A queued record is retried only when the driver index changed since its decision or the
    record itself changed after it (REF §10.3 defect 7: nothing terminal forever, no rework).
    Newest and inside-the-claim-window first.
    """
    frames = []
    for table, to_cands, date_col in (
        (cabinet_leads, leads_to_candidates, "lead_date"),
        (scouting_daily, scouting_to_candidates, "registration_date"),
    ):
        lk = identity_links
        u = identity_unmatched
        pk = table.c.lead_id if table is cabinet_leads else table.c.id
        q = (
            sa.select(table, u.c.index_version.label("_iv"), u.c.updated_at.label("_decided"))
            .select_from(
                table.outerjoin(
                    lk, sa.and_(lk.c.source_table == table.name, lk.c.source_pk == pk)
                ).outerjoin(u, sa.and_(u.c.source_table == table.name, u.c.source_pk == pk))
            )
            .where(lk.c.id.is_(None))
        )
        rows = conn.execute(q).mappings().all()
        if not rows:
            continue
        df = pl.DataFrame([dict(r) for r in rows], infer_schema_length=None)
        due = (
            pl.col("_iv").is_null()
            | (pl.col("_iv") != version)
            | (pl.col("idgap_changed_at") > pl.col("_decided"))
        )
        df = df.filter(due)
        if df.height == 0:
            continue
        cands = to_cands(df.with_columns(pl.col(date_col).cast(pl.Date)))
        frames.append(cands)
    if not frames:
        return pl.DataFrame()
    out = pl.concat(frames, how="vertical_relaxed")
    age = (pl.lit(today) - pl.col("lead_date")).dt.total_days()
    return (
        out.with_columns(_in_window=age < window_days)
        .sort(["_in_window", "lead_date"], descending=[True, True], nulls_last=True)
        .drop("_in_window")
    )
