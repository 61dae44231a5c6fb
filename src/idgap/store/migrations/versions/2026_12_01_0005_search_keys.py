"""search_keys and search_sources: normalised name tokens, phones, licences and plates

Written together with lead_status for the leads a writer touched (and their persons), so a
search by name, phone, licence or plate is an indexed equality or prefix lookup on both
backends instead of a LIKE over raw columns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_keys",
        sa.Column("entity", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("entity", "kind", "key", "entity_id", name="pk_search_keys"),
    )
    op.create_index("ix_search_keys_entity", "search_keys", ["entity", "entity_id"])
    op.create_table(
        "search_sources",
        sa.Column("entity", sa.String(length=8), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("entity", "entity_id", name="pk_search_sources"),
    )


def downgrade() -> None:
    op.drop_index("ix_search_keys_entity", table_name="search_keys")
    op.drop_table("search_keys")
    op.drop_table("search_sources")
