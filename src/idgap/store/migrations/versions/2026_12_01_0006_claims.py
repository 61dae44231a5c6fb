"""claims: Yango's payment report, payment decisions and the claims ledger

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:40:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "module_ct_cabinet_payments",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("time", sa.String(20)),
        sa.Column("scout_id", sa.String(64)),
        sa.Column("driver", sa.String(300)),
        sa.Column("trip_1", sa.Boolean(), nullable=False),
        sa.Column("trip_5", sa.Boolean(), nullable=False),
        sa.Column("trip_25", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(40)),
        sa.Column("updated_at", sa.String(40)),
        sa.Column("idgap_extra", Json, nullable=True),
        sa.Column("idgap_row_hash", sa.String(32), nullable=False),
        sa.Column("idgap_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idgap_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_module_ct_cabinet_payments"),
    )
    op.create_index("ix_module_ct_cabinet_payments_date", "module_ct_cabinet_payments", ["date"])
    op.create_index(
        "ix_module_ct_cabinet_payments_idgap_changed_at",
        "module_ct_cabinet_payments",
        ["idgap_changed_at"],
    )
    op.create_table(
        "payment_matches",
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("lead_id", sa.String(64)),
        sa.Column("person_key", sa.String(36)),
        sa.Column("candidates", Json),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payment_id", name="pk_payment_matches"),
    )
    op.create_index("ix_payment_matches_lead_id", "payment_matches", ["lead_id"])
    op.create_index("ix_payment_matches_outcome", "payment_matches", ["outcome", "reason_code"])
    op.create_table(
        "claims",
        sa.Column("lead_id", sa.String(64), nullable=False),
        sa.Column("milestone", sa.Integer(), nullable=False),
        sa.Column("lead_date", sa.Date(), nullable=False),
        sa.Column("person_key", sa.String(36)),
        sa.Column("driver_id", sa.String(64)),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("trips_14d", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("payment_id", sa.String(64)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("at_stake", sa.Float(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", "milestone", name="pk_claims"),
    )
    op.create_index("ix_claims_lead_date", "claims", ["lead_date"])
    op.create_index(
        "ix_claims_status_milestone", "claims", ["status", "milestone", "amount", "at_stake"]
    )


def downgrade() -> None:
    op.drop_table("claims")
    op.drop_table("payment_matches")
    op.drop_table("module_ct_cabinet_payments")
