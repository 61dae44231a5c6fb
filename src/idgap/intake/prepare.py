"""Validate and shape one source file into table rows + rejects, set-based in Polars."""

from __future__ import annotations

import polars as pl

from idgap.intake.contract import TableSpec
from idgap.intake.dates import parse_date, parse_datetime
from idgap.store.tables import SOURCE_TABLES


def _derive(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Parsed and derived columns of each source table (lead id rule, lead date, ...)."""
    if table == "module_ct_cabinet_leads":
        return df.with_columns(
            lead_id=pl.coalesce(pl.col("external_id"), pl.col("id")),
            lead_created_at=parse_datetime(pl.col("lead_created_at")),
        ).with_columns(lead_date=pl.col("lead_created_at").dt.date())
    if table == "summary_daily":
        return df.with_columns(
            activity_date=parse_date(pl.col("date_file")),
            count_orders_completed=pl.col("count_orders_completed").cast(pl.Int64, strict=False),
            sum_work_time_seconds=pl.col("sum_work_time_seconds")
            .cast(pl.Int64, strict=False)
            .fill_null(0)
            if "sum_work_time_seconds" in df.columns
            else pl.lit(0, dtype=pl.Int64),
        )
    if table == "module_ct_scouting_daily":
        return df.with_columns(registration_date=parse_date(pl.col("registration_date")))
    if "hire_date" in df.columns:
        return df.with_columns(hire_date=parse_date(pl.col("hire_date")))
    return df


def _reason(raw: pl.DataFrame, spec: TableSpec) -> pl.Expr:
    """The first problem of a row, or null; checked in the order a user would fix them."""
    conds: list[tuple[pl.Expr, str]] = []
    for k in spec.key:
        if k == "lead_id":
            conds.append((pl.col(k).is_null(), "missing key: external_id and id are both empty"))
        elif k in raw.columns:
            conds.append((pl.col(k).is_null(), f"missing key {k}"))
    conds += _date_checks(raw, spec)
    if spec.table == "summary_daily":
        conds.append(
            (
                pl.col("count_orders_completed").is_null(),
                "count_orders_completed is not a whole number",
            )
        )
    expr: pl.Expr = pl.lit(None, dtype=pl.Utf8)
    for cond, msg in reversed(conds):
        expr = pl.when(cond).then(pl.lit(msg)).otherwise(expr)
    return expr


def _date_checks(raw: pl.DataFrame, spec: TableSpec) -> list[tuple[pl.Expr, str]]:
    target = {"lead_created_at": "lead_created_at", "date_file": "activity_date"}
    out = []
    for c in spec.dates:
        if c not in raw.columns:
            continue
        parsed = target.get(c, c)
        raw_present = pl.col(f"_raw_{c}").is_not_null()
        if c in spec.required_dates:
            out.append((~raw_present, f"missing {c}"))
        out.append((raw_present & pl.col(parsed).is_null(), f"unparsable date in {c}"))
    return out


def prepare(raw: pl.DataFrame, spec: TableSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    """-> (rows for the table with idgap_extra and idgap_row_hash, rejects line/reason/raw)."""
    table = SOURCE_TABLES[spec.table]
    raw = raw.with_row_index("_line", offset=2)  # header is line 1
    present = [c for c in spec.dates if c in raw.columns]
    derived = _derive(raw.with_columns(pl.col(c).alias(f"_raw_{c}") for c in present), spec.table)
    derived = derived.with_columns(_reason=_reason(raw, spec))
    bad = derived.filter(pl.col("_reason").is_not_null())
    good = derived.filter(pl.col("_reason").is_null())
    # a key seen twice in one file: the first wins, later ones are kept as rejects
    first_line = good.group_by(list(spec.key)).agg(pl.col("_line").min().alias("_first"))
    good = good.join(first_line, on=list(spec.key), nulls_equal=True)
    dups = good.filter(pl.col("_line") != pl.col("_first")).with_columns(
        _reason=pl.format("duplicate key (first at line {})", pl.col("_first"))
    )
    good = good.filter(pl.col("_line") == pl.col("_first")).drop("_first")
    rejects = pl.concat([bad.select("_line", "_reason"), dups.select("_line", "_reason")])
    rejects = rejects.join(raw, on="_line").sort("_line")
    table_cols = [c.name for c in table.columns if not c.name.startswith("idgap_")]
    source_cols = [c for c in raw.columns if c != "_line"]
    extra = sorted(c for c in source_cols if c not in table_cols)
    for c in table_cols:
        if c not in good.columns:
            good = good.with_columns(pl.lit(None).alias(c))
    hash_cols = [pl.col(c).cast(pl.Utf8).fill_null("\x00") for c in table_cols + extra]
    good = good.with_columns(
        idgap_row_hash=pl.concat_str(hash_cols, separator="\x1f").hash(seed=3).cast(pl.Utf8),
        idgap_extra=pl.struct(extra).struct.json_encode() if extra else pl.lit(None, dtype=pl.Utf8),
    )
    return good.select(*table_cols, "idgap_extra", "idgap_row_hash", "_line"), rejects
