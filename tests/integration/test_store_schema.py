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
