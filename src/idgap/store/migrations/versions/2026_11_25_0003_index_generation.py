"""index_versions.generation: which version the persisted driver index holds now

Each update of `driver_index` stamps its resulting version with the next generation, so the
current version is the one with the highest generation (a version seen before, A -> B -> A,
gets a new generation). A process can then tell whether its cached index frame is still the
table's content and patch it with only the changed drivers instead of re-reading a million rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("index_versions", sa.Column("generation", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("index_versions") as batch:
        batch.drop_column("generation")
