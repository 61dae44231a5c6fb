import datetime as dt

import sqlalchemy as sa

from idgap.store.db import current_revision, head_revision, make_engine
from idgap.store.tables import metadata


def test_migrations_create_every_table_at_head(engine):
    names = set(sa.inspect(engine).get_table_names())
    assert set(metadata.tables) <= names
    assert current_revision(engine) == head_revision()


def test_upgrade_on_first_use_is_idempotent(db_url):
    first = make_engine(db_url)
    second = make_engine(db_url)  # already at head: nothing to do, nothing breaks
    assert current_revision(second) == head_revision()
    first.dispose()
    second.dispose()


def test_every_lookup_column_is_indexed(engine):
    insp = sa.inspect(engine)

    def indexed(table: str) -> set[str]:
        cols = {c for ix in insp.get_indexes(table) for c in ix["column_names"][:1]}
        cols |= {c for uq in insp.get_unique_constraints(table) for c in uq["column_names"][:1]}
        cols |= set(insp.get_pk_constraint(table)["constrained_columns"][:1])
        return cols

    assert "person_key" in indexed("identity_links")  # the index the reference lacked
    assert "source_table" in indexed("identity_links")
    assert "lead_date" in indexed("module_ct_cabinet_leads")
    assert "gap_reason" in indexed("lead_status")
    assert "driver_id" in indexed("summary_daily")


def test_the_migrations_build_exactly_the_declared_schema(engine):
    """Alembic's autogenerate finds nothing to add: tables.py and the revisions agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_statistics_are_refreshed_after_bulk_writes_on_postgresql(engine):
    from idgap.store.bulk import refresh_statistics, statistics_due
    from idgap.store.tables import match_decisions, persons

    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    rows = [{"person_key": f"p{i:04d}", "status": "active", "created_at": now,
             "updated_at": now, "created_by": "test"} for i in range(500)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(persons.insert(), rows)
        refresh_statistics(conn, [persons, match_decisions])  # JSON columns left out
        if engine.dialect.name == "postgresql":  # the planner now knows the table's size
            tuples = conn.execute(
                sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                {"t": "persons"},
            ).scalar_one()
            assert tuples == 500
        else:  # SQLite plans without statistics: nothing is written
            assert "sqlite_stat1" not in sa.inspect(conn).get_table_names()
    assert [k for k in range(1, 20) if statistics_due(k)] == [1, 2, 4, 8, 16]


def test_large_json_values_are_compressed_with_lz4_on_postgresql(engine):
    if engine.dialect.name != "postgresql":
        return  # SQLite stores text as it is
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE big (v jsonb) ON COMMIT DROP"))
        conn.execute(sa.text("INSERT INTO big VALUES (CAST(:v AS jsonb))"),
                     {"v": '{"candidates": "' + "ab" * 20_000 + '"}'})  # fmt: skip
        method = conn.execute(sa.text("SELECT pg_column_compression(v) FROM big")).scalar_one()
    assert method == "lz4"


def test_sqlite_checkpoints_its_wal_in_large_steps(engine):
    from idgap.store.db import WAL_CHECKPOINT_PAGES

    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    assert pages == WAL_CHECKPOINT_PAGES > 1000  # SQLite's default: every 1,000 pages
