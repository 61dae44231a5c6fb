"""Alembic environment: runs on the engine idgap passes in (no alembic.ini, no URL in the repo)."""

from alembic import context

from idgap.store.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` CLI use: take the URL from idgap's settings
    from idgap.config import get_settings
    from idgap.store.db import make_engine

    engine = make_engine(get_settings().database_url, upgrade_schema=False)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
