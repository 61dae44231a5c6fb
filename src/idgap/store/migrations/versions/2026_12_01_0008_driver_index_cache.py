"""driver_index table dropped: the driver index is a Parquet cache of derived data

The index is `drivers` normalised; every cached frame carries each driver's row hash, so the
store only needs `index_versions` (which content version its drivers have now). Writing and
reading a million-row table cost 10-20 s; the Parquet cache costs well under one
(recovery/index_store.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("driver_index")


def downgrade() -> None:
    op.create_table(
        "driver_index",
        sa.Column("driver_id", sa.String(length=64), nullable=False),
        sa.Column("park_id", sa.String(length=64), nullable=True),
        sa.Column("phone_norm", sa.String(length=16), nullable=True),
        sa.Column("license_norm", sa.String(length=64), nullable=True),
        sa.Column("plate_norm", sa.String(length=32), nullable=True),
        sa.Column("name_norm", sa.String(length=300), nullable=True),
        sa.Column("brand_norm", sa.String(length=100), nullable=True),
        sa.Column("model_norm", sa.String(length=100), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("driver_id", name=op.f("pk_driver_index")),
    )
