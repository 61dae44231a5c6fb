"""match_decisions.probability: the engine's posterior match probability (matching v3)

The calibrated probability of the chosen (or best) candidate, next to the legacy 0-100 score;
null for the ct4 baseline and for decisions made before v3.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("match_decisions", sa.Column("probability", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match_decisions") as batch:
        batch.drop_column("probability")
