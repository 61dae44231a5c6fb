"""Payments import, matching, ledger and manual resolution on both backends."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa

from idgap.claims import read
from idgap.claims.export import write_claims
from idgap.claims.resolve import dismiss_payment, link_payment
from idgap.config import Settings
from idgap.errors import Conflict, NotFound
from idgap.intake.service import import_bytes, import_path
from idgap.recovery.job import run_recovery
from idgap.store.tables import claims, import_rejects, payment_matches, runs
from idgap.synth import generate_park, write_park

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
SETTINGS = Settings(database_url="sqlite://", recovery_batch_size=100)
PAYMENTS = "module_ct_cabinet_payments.csv"


@pytest.fixture(scope="module")
def park_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("park")
    write_park(generate_park(leads=300, drivers=3000, seed=11, anchor_date=TODAY), out)
    return out


def _table(engine: sa.Engine, table: sa.Table, *order: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(*order)).all()]


def _recovered(engine: sa.Engine, park_dir) -> None:
    import_path(engine, park_dir, now=NOW, settings=SETTINGS)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    read.ensure_current(engine, settings=SETTINGS, now=LATER, by="test")


def test_payment_rows_are_upserted_idempotently_and_rejects_keep_line_and_reason(engine):
    data = (
        "id,date,time,scout_id,driver,trip_1,trip_5,trip_25,created_at,updated_at\n"
        "1,2026-11-20,10:00:00,S1,Juan Pérez,1,0,0,,\n"
        "2,20/11/2026,,S1,Rosa Quispe,true,false,f,,\n"
        "3,someday,,S1,Ana Ruiz,1,0,0,,\n"
        "4,2026-11-21,,S1,Ana Ruiz,maybe,0,0,,\n"
    ).encode()
    first = import_bytes(engine, data, file_name=PAYMENTS, table=None, now=NOW, settings=SETTINGS)
    t = first.tables[0]
    assert (t.loaded, t.updated, t.unchanged, t.rejected) == (2, 0, 0, 2)
    assert [(r["line"], r["reason"]) for r in t.rejects] == [
        (4, "unparsable date in date: 'someday'"),
        (5, "trip_1 is not a yes/no flag: 'maybe'"),
    ]
    decided = _table(engine, payment_matches, "payment_id")
    assert [(r[0], r[1], r[2]) for r in decided] == [
        ("1", "unmatched", "NO_CANDIDATES"),
        ("2", "unmatched", "NO_CANDIDATES"),
    ]
    again = import_bytes(engine, data, file_name=PAYMENTS, table=None, now=LATER, settings=SETTINGS)
    t = again.tables[0]
    assert (t.loaded, t.updated, t.unchanged) == (0, 0, 2)
    assert _table(engine, payment_matches, "payment_id") == decided
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(import_rejects)).scalar_one()
    assert n == 4  # every run keeps its own rejects


def test_park_with_payments_recovered_agrees_with_the_truth(engine, park_dir, tmp_path):
    _recovered(engine, park_dir)
    out = tmp_path / "claims.csv"
    with engine.connect() as conn:
        n = write_claims(conn, out)
        tot = read.totals(conn)
    ledger = pl.read_csv(out, infer_schema=False)
    assert n == ledger.height == 300 * 3
    assert ledger.columns == list(read.ITEM_COLUMNS)
    assert set(ledger["reached"]) <= {"true", "false"}
    truth = pl.read_csv(park_dir / "truth_claims.csv", infer_schema=False)
    both = ledger.join(truth, on=["lead_id", "milestone"], suffix="_t").filter(
        pl.col("driver_id") == pl.col("true_driver_id")
    )
    status = pl.when(pl.col("status") == "expired").then(pl.lit("owed")).otherwise("status")
    agree = both.filter(
        (status == pl.col("status_t"))
        & (pl.col("paid") == pl.col("paid_t").str.to_lowercase())
        & pl.col("payment_id").eq_missing(pl.col("payment_id_t"))
    )
    assert both.height > 400
    assert agree.height / both.height >= 0.98
    assert tot["paid"] > 0 and tot["owed"] + tot["expired"] > 0
    assert tot["expected"] == pytest.approx(
        sum(tot["by_status"][s]["amount"] for s in ("paid", "owed", "expired"))
    )


def test_reimporting_the_same_payment_report_changes_nothing(engine, park_dir):
    _recovered(engine, park_dir)
    before = (
        _table(engine, claims, "lead_id", "milestone"),
        _table(engine, payment_matches, "payment_id"),
    )
    report = import_path(engine, park_dir / PAYMENTS, now=LATER, settings=SETTINGS)
    assert report.tables[0].loaded == report.tables[0].updated == 0
    read.ensure_current(engine, settings=SETTINGS, now=LATER + dt.timedelta(minutes=5), by="t")
    after = (
        _table(engine, claims, "lead_id", "milestone"),
        _table(engine, payment_matches, "payment_id"),
    )
    assert after == before


def test_a_reviewed_payment_is_linked_by_hand_and_kept_by_later_settlements(engine, park_dir):
    _recovered(engine, park_dir)
    with engine.connect() as conn:
        queue = read.payment_items(conn, "review", page=1, page_size=50)["items"]
        linked = conn.execute(
            sa.select(claims.c.lead_id).where(claims.c.driver_id.is_not(None)).limit(1)
        ).scalar_one()
    payment = queue[0] if queue else None
    if payment is None:  # no namesakes in this park: link an unmatched one by hand instead
        with engine.connect() as conn:
            payment = read.payment_items(conn, "unmatched", page=1, page_size=1)["items"][0]
    target = payment["candidates"][0]["lead_id"] if payment["candidates"] else linked
    with engine.begin() as conn:
        link_payment(
            conn,
            payment["payment_id"],
            target,
            who="ana",
            note="same phone",
            settings=SETTINGS,
            now=LATER,
        )
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(claims.c.milestone, claims.c.paid).where(
                claims.c.payment_id == payment["payment_id"]
            )
        ).all()
        got = read.payment(conn, payment["payment_id"])
    assert rows and all(paid for _, paid in rows)
    assert (got["outcome"], got["reason_code"], got["decided_by"]) == (
        "matched",
        "MANUAL",
        "manual:ana",
    )
    with engine.begin() as conn:
        from idgap.claims.settle import settle

        settle(conn, settings=SETTINGS, now=LATER + dt.timedelta(hours=1), by="t")
    with engine.connect() as conn:
        assert read.payment(conn, payment["payment_id"])["lead_id"] == target
    with engine.begin() as conn:
        dismiss_payment(
            conn, payment["payment_id"], who="ana", note=None, settings=SETTINGS, now=LATER
        )
    with engine.connect() as conn:
        left = conn.execute(
            sa.select(sa.func.count()).where(claims.c.payment_id == payment["payment_id"])
        ).scalar_one()
    assert left == 0


def test_linking_to_an_unknown_lead_or_payment_is_refused(engine, park_dir):
    _recovered(engine, park_dir)
    with engine.connect() as conn:
        pid = read.payment_items(conn, None, page=1, page_size=1)["items"][0]["payment_id"]
        lonely = conn.execute(
            sa.select(claims.c.lead_id).where(claims.c.person_key.is_(None)).limit(1)
        ).scalar()
    with pytest.raises(NotFound), engine.begin() as conn:
        link_payment(conn, "nope", "x", who="a", note=None, settings=SETTINGS, now=LATER)
    with pytest.raises(NotFound), engine.begin() as conn:
        link_payment(conn, pid, "no-such-lead", who="a", note=None, settings=SETTINGS, now=LATER)
    if lonely:
        with pytest.raises(Conflict), engine.begin() as conn:
            link_payment(conn, pid, lonely, who="a", note=None, settings=SETTINGS, now=LATER)


def test_settlement_runs_only_when_leads_or_payments_moved(engine, park_dir):
    _recovered(engine, park_dir)

    def claim_runs() -> int:
        with engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.count()).where(runs.c.kind == "claims")
            ).scalar_one()

    n = claim_runs()
    read.ensure_current(engine, settings=SETTINGS, now=LATER + dt.timedelta(hours=2), by="t")
    assert claim_runs() == n


def test_an_unchanged_reimport_does_not_settle_the_payments_again(engine, park_dir, monkeypatch):
    from idgap.intake import service

    import_path(engine, park_dir, now=NOW, settings=SETTINGS)
    settled: list[int] = []
    monkeypatch.setattr(service, "settle_payments", lambda *a, **k: settled.append(1) or ([], {}))
    again = import_path(engine, park_dir, now=LATER, settings=SETTINGS)
    assert all(t.loaded == t.updated == 0 for t in again.tables) and settled == []
    pays = (park_dir / PAYMENTS).read_text().splitlines()
    changed = park_dir.parent / "changed"
    changed.mkdir(exist_ok=True)
    (changed / PAYMENTS).write_text("\n".join([pays[0], pays[1].replace(",1,", ",0,", 1)]) + "\n")
    import_path(engine, changed, now=LATER, settings=SETTINGS)  # a payments row moved: settles
    assert settled == [1]
