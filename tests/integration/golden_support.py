"""The stored outcome of a small frozen park, as a frame that does not depend on random keys.

`tests/data/golden_park/` holds the park's CSVs (frozen: the generator may change, this park
does not) and `golden_outcome.csv` what the store held per lead after `match` then `recover`,
written by the code before the identity change-set (python -m tests.integration.golden_support
regenerates it from the current code: only do that when a decision change is intended).
"""

from __future__ import annotations

import datetime as dt
import gzip
import sys
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from idgap.config import Settings
from idgap.intake.service import import_path
from idgap.matching.engine import RULESETS
from idgap.recovery.job import run_recovery
from idgap.store.tables import cabinet_leads, identity_links, identity_unmatched, lead_status

DATA = Path(__file__).parent.parent / "data"
PARK = DATA / "golden_park"
GOLDEN = DATA / "golden_outcome.csv"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SETTINGS = Settings(database_url="sqlite://", recovery_batch_size=40)
LEADS, DRIVERS = "module_ct_cabinet_leads", "drivers"


def unpack_park(out: Path) -> Path:
    """The frozen park's CSVs (stored gzipped) unpacked into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for gz in sorted(PARK.glob("*.csv.gz")):
        (out / gz.name.removesuffix(".gz")).write_bytes(gzip.decompress(gz.read_bytes()))
    return out


def run_park(engine: sa.Engine, work_dir: Path) -> None:
    """Import the frozen park, `match` it, then `recover` (which must change nothing)."""
    import_path(engine, unpack_park(work_dir / "park"), now=NOW, settings=SETTINGS)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW, kind="match")
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW, kind="recover")


def outcome(engine: sa.Engine) -> pl.DataFrame:
    """Per lead: outcome, driver, reason, queue status, gap reason, and `person_of` - the
    smallest lead id of its person (person keys are random; who shares a person is not)."""
    lk, u, ls, cl = identity_links, identity_unmatched, lead_status, cabinet_leads
    drv = lk.alias("drv")
    with engine.connect() as conn:
        linked = pl.DataFrame(
            conn.execute(
                sa.select(lk.c.source_pk, lk.c.person_key, lk.c.match_rule, drv.c.source_pk)
                .outerjoin(
                    drv, sa.and_(drv.c.person_key == lk.c.person_key, drv.c.source_table == DRIVERS)
                )
                .where(lk.c.source_table == LEADS)
            ).all(),
            schema={"lead_id": pl.Utf8, "person_key": pl.Utf8, "rule": pl.Utf8,
                    "driver_id": pl.Utf8},
            orient="row",
        )  # fmt: skip
        queued = pl.DataFrame(
            conn.execute(
                sa.select(u.c.source_pk, u.c.outcome, u.c.reason_code, u.c.status).where(
                    u.c.source_table == LEADS
                )
            ).all(),
            schema={"lead_id": pl.Utf8, "queue_outcome": pl.Utf8, "reason_code": pl.Utf8,
                    "queue_status": pl.Utf8},
            orient="row",
        )  # fmt: skip
        status = pl.DataFrame(
            conn.execute(sa.select(ls.c.lead_id, ls.c.gap_reason, ls.c.trips_14d)).all(),
            schema={"lead_id": pl.Utf8, "gap_reason": pl.Utf8, "trips_14d": pl.Int64},
            orient="row",
        )
        leads = pl.DataFrame(
            {"lead_id": list(conn.execute(sa.select(cl.c.lead_id)).scalars())},
            schema={"lead_id": pl.Utf8},
        )
    person_of = linked.group_by("person_key").agg(pl.col("lead_id").min().alias("person_of"))
    linked = (
        linked.sort("driver_id")
        .unique("lead_id", keep="first")
        .join(person_of, on="person_key")
        .drop("person_key")
    )
    return (
        leads.join(linked, on="lead_id", how="left")
        .join(queued, on="lead_id", how="left")
        .join(status, on="lead_id", how="left")
        .with_columns(
            outcome=pl.when(pl.col("person_of").is_not_null())
            .then(pl.lit("matched"))
            .otherwise(pl.col("queue_outcome"))
        )
        .select(
            "lead_id",
            "outcome",
            "driver_id",
            "rule",
            "reason_code",
            "queue_status",
            "person_of",
            "gap_reason",
            "trips_14d",
        )  # fmt: skip
        .sort("lead_id")
    )


def golden() -> pl.DataFrame:
    return pl.read_csv(GOLDEN, infer_schema=False).with_columns(pl.col("trips_14d").cast(pl.Int64))


def golden_ruleset_version() -> str:
    return (DATA / "golden_ruleset_version.txt").read_text().strip()


def main() -> int:
    import tempfile

    from idgap.store.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/g.db")
        run_park(engine, Path(tmp))
        outcome(engine).write_csv(GOLDEN)
        engine.dispose()
    (DATA / "golden_ruleset_version.txt").write_text(RULESETS["idgap"] + "\n")
    print(f"wrote {GOLDEN}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
