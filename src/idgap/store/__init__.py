"""The store: SQLAlchemy Core tables, engines for SQLite/PostgreSQL, Alembic migrations."""
