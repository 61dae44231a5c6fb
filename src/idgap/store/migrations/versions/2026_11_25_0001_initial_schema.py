"""initial schema

Every table of SPEC §2-§7 with the indexes for the lookups idgap makes (REF §10.2 lacked them).

Revision ID: 0001
Revises:
Create Date: 2026-11-25 07:00:36.539928
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
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
    op.create_table(
        "drivers",
        sa.Column("driver_id", sa.String(length=64), nullable=False),
        sa.Column("park_id", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("license_number", sa.String(length=64), nullable=True),
        sa.Column("license_normalized_number", sa.String(length=64), nullable=True),
        sa.Column("full_name", sa.String(length=300), nullable=True),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.Column("middle_name", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("car_number", sa.String(length=32), nullable=True),
        sa.Column("car_normalized_number", sa.String(length=32), nullable=True),
        sa.Column("car_brand", sa.String(length=100), nullable=True),
        sa.Column("car_model", sa.String(length=100), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=True),
        sa.Column(
            "idgap_extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("idgap_row_hash", sa.String(length=32), nullable=False),
        sa.Column("idgap_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idgap_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("driver_id", name=op.f("pk_drivers")),
    )
    with op.batch_alter_table("drivers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_drivers_idgap_changed_at"), ["idgap_changed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_drivers_park_id"), ["park_id"], unique=False)

    op.create_table(
        "gap_snapshots",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("total_leads", sa.Integer(), nullable=False),
        sa.Column("unresolved", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("pct_unresolved", sa.Float(), nullable=False),
        sa.Column(
            "breakdown",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("amount_at_stake", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_gap_snapshots")),
    )
    op.create_table(
        "identity_origin_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_key", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("origin_tag_old", sa.String(length=32), nullable=True),
        sa.Column("origin_tag_new", sa.String(length=32), nullable=True),
        sa.Column("origin_source_table_old", sa.String(length=64), nullable=True),
        sa.Column("origin_source_table_new", sa.String(length=64), nullable=True),
        sa.Column("origin_source_id_old", sa.String(length=64), nullable=True),
        sa.Column("origin_source_id_new", sa.String(length=64), nullable=True),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("change_reason", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_origin_history")),
    )
    with op.batch_alter_table("identity_origin_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_origin_history_person_key"), ["person_key"], unique=False
        )

    op.create_table(
        "identity_unmatched",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_table", sa.String(length=64), nullable=False),
        sa.Column("source_pk", sa.String(length=64), nullable=False),
        sa.Column("snapshot_date", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "candidates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("index_version", sa.String(length=64), nullable=True),
        sa.Column("input_hash", sa.String(length=32), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_unmatched")),
        sa.UniqueConstraint(
            "source_table", "source_pk", name=op.f("uq_identity_unmatched_source_table_source_pk")
        ),
    )
    with op.batch_alter_table("identity_unmatched", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_unmatched_reason_code"), ["reason_code"], unique=False
        )
        batch_op.create_index(
            "ix_identity_unmatched_status_outcome",
            ["status", "outcome", "snapshot_date"],
            unique=False,
        )

    op.create_table(
        "index_versions",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n_drivers", sa.Integer(), nullable=False),
        sa.Column("n_changed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_index_versions")),
    )
    op.create_table(
        "lead_status",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("lead_date", sa.Date(), nullable=False),
        sa.Column("person_key", sa.String(length=36), nullable=True),
        sa.Column("driver_id", sa.String(length=64), nullable=True),
        sa.Column("has_identity", sa.Boolean(), nullable=False),
        sa.Column("has_driver", sa.Boolean(), nullable=False),
        sa.Column("has_origin", sa.Boolean(), nullable=False),
        sa.Column("gap_reason", sa.String(length=16), nullable=False),
        sa.Column("origin_detail", sa.String(length=200), nullable=True),
        sa.Column("gap_age_days", sa.Integer(), nullable=False),
        sa.Column("risk_level", sa.String(length=8), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trips_14d", sa.Integer(), nullable=False),
        sa.Column("milestones_reached", sa.Integer(), nullable=False),
        sa.Column("expected_amount", sa.Float(), nullable=False),
        sa.Column("amount_at_stake", sa.Float(), nullable=False),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        sa.Column("last_reason_code", sa.String(length=32), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_status")),
    )
    with op.batch_alter_table("lead_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_status_lead_date"), ["lead_date"], unique=False)
        batch_op.create_index("ix_lead_status_order", ["gap_age_days", "lead_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_status_person_key"), ["person_key"], unique=False)
        batch_op.create_index(
            "ix_lead_status_reason_risk", ["gap_reason", "risk_level"], unique=False
        )
        batch_op.create_index("ix_lead_status_risk", ["risk_level"], unique=False)

    op.create_table(
        "link_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_table", sa.String(length=64), nullable=False),
        sa.Column("source_pk", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("person_key_old", sa.String(length=36), nullable=True),
        sa.Column("person_key_new", sa.String(length=36), nullable=True),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_history")),
    )
    with op.batch_alter_table("link_history", schema=None) as batch_op:
        batch_op.create_index("ix_link_history_person_new", ["person_key_new"], unique=False)
        batch_op.create_index("ix_link_history_source", ["source_table", "source_pk"], unique=False)

    op.create_table(
        "module_ct_cabinet_leads",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("lead_created_at", sa.DateTime(), nullable=False),
        sa.Column("lead_date", sa.Date(), nullable=False),
        sa.Column("park_phone", sa.String(length=64), nullable=True),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.Column("middle_name", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("asset_plate_number", sa.String(length=32), nullable=True),
        sa.Column("asset_model", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=True),
        sa.Column(
            "idgap_extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("idgap_row_hash", sa.String(length=32), nullable=False),
        sa.Column("idgap_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idgap_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_module_ct_cabinet_leads")),
    )
    with op.batch_alter_table("module_ct_cabinet_leads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_module_ct_cabinet_leads_idgap_changed_at"),
            ["idgap_changed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_module_ct_cabinet_leads_lead_date"), ["lead_date"], unique=False
        )

    op.create_table(
        "module_ct_migrations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("driver_id", sa.String(length=64), nullable=False),
        sa.Column("driver_name", sa.String(length=300), nullable=True),
        sa.Column("scout_id", sa.String(length=64), nullable=True),
        sa.Column("scout_name", sa.String(length=300), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.String(length=40), nullable=True),
        sa.Column(
            "idgap_extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("idgap_row_hash", sa.String(length=32), nullable=False),
        sa.Column("idgap_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idgap_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_ct_migrations")),
    )
    with op.batch_alter_table("module_ct_migrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_module_ct_migrations_driver_id"), ["driver_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_module_ct_migrations_idgap_changed_at"),
            ["idgap_changed_at"],
            unique=False,
        )

    op.create_table(
        "module_ct_scouting_daily",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("scout_id", sa.String(length=64), nullable=True),
        sa.Column("driver_phone", sa.String(length=64), nullable=True),
        sa.Column("driver_license", sa.String(length=64), nullable=True),
        sa.Column("driver_name", sa.String(length=300), nullable=True),
        sa.Column("registration_date", sa.Date(), nullable=False),
        sa.Column("acquisition_method", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.String(length=40), nullable=True),
        sa.Column(
            "idgap_extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("idgap_row_hash", sa.String(length=32), nullable=False),
        sa.Column("idgap_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idgap_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_ct_scouting_daily")),
    )
    with op.batch_alter_table("module_ct_scouting_daily", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_module_ct_scouting_daily_idgap_changed_at"),
            ["idgap_changed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_module_ct_scouting_daily_registration_date"),
            ["registration_date"],
            unique=False,
        )

    op.create_table(
        "persons",
        sa.Column("person_key", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("merged_into", sa.String(length=36), nullable=True),
        sa.Column("confidence", sa.String(length=8), nullable=True),
        sa.Column("primary_name", sa.String(length=300), nullable=True),
        sa.Column("primary_phone", sa.String(length=32), nullable=True),
        sa.Column("primary_license", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["persons.person_key"], name=op.f("fk_persons_merged_into_persons")
        ),
        sa.PrimaryKeyConstraint("person_key", name=op.f("pk_persons")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_persons_merged_into"), ["merged_into"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("triggered_by", sa.String(length=64), nullable=True),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "stats",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_kind_started", ["kind", "started_at"], unique=False)
        batch_op.create_index(
            "ix_runs_kind_status_finished", ["kind", "status", "finished_at"], unique=False
        )

    op.create_table(
        "summary_daily",
        sa.Column("driver_id", sa.String(length=64), nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("date_file", sa.String(length=20), nullable=False),
        sa.Column("count_orders_completed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sum_work_time_seconds", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "idgap_extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("idgap_row_hash", sa.String(length=32), nullable=False),
        sa.Column("idgap_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idgap_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("driver_id", "activity_date", name=op.f("pk_summary_daily")),
    )
    with op.batch_alter_table("summary_daily", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_summary_daily_activity_date"), ["activity_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_summary_daily_idgap_changed_at"), ["idgap_changed_at"], unique=False
        )

    op.create_table(
        "identity_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_key", sa.String(length=36), nullable=False),
        sa.Column("source_table", sa.String(length=64), nullable=False),
        sa.Column("source_pk", sa.String(length=64), nullable=False),
        sa.Column("snapshot_date", sa.Date(), nullable=True),
        sa.Column("match_rule", sa.String(length=64), nullable=False),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("confidence", sa.String(length=8), nullable=True),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_key"],
            ["persons.person_key"],
            name=op.f("fk_identity_links_person_key_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_identity_links_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_links")),
        sa.UniqueConstraint(
            "source_table", "source_pk", name=op.f("uq_identity_links_source_table_source_pk")
        ),
    )
    with op.batch_alter_table("identity_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_links_person_key"), ["person_key"], unique=False
        )
        batch_op.create_index(
            "ix_identity_links_table_linked_at", ["source_table", "linked_at"], unique=False
        )
        batch_op.create_index(
            "ix_identity_links_table_person", ["source_table", "person_key"], unique=False
        )

    op.create_table(
        "identity_origin",
        sa.Column("person_key", sa.String(length=36), nullable=False),
        sa.Column("origin_tag", sa.String(length=32), nullable=False),
        sa.Column("origin_source_table", sa.String(length=64), nullable=True),
        sa.Column("origin_source_id", sa.String(length=64), nullable=False),
        sa.Column("origin_date", sa.Date(), nullable=True),
        sa.Column("origin_confidence", sa.Float(), nullable=False),
        sa.Column("ruleset_version", sa.String(length=32), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("resolution_status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_key"],
            ["persons.person_key"],
            name=op.f("fk_identity_origin_person_key_persons"),
        ),
        sa.PrimaryKeyConstraint("person_key", name=op.f("pk_identity_origin")),
    )
    with op.batch_alter_table("identity_origin", schema=None) as batch_op:
        batch_op.create_index(
            "ix_identity_origin_source", ["origin_source_table", "origin_source_id"], unique=False
        )

    op.create_table(
        "import_rejects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("raw_row", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_import_rejects_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_rejects")),
    )
    with op.batch_alter_table("import_rejects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_rejects_run_id"), ["run_id"], unique=False)

    op.create_table(
        "match_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_table", sa.String(length=64), nullable=False),
        sa.Column("source_pk", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("driver_id", sa.String(length=64), nullable=True),
        sa.Column("person_key", sa.String(length=36), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("confidence", sa.String(length=8), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "candidates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("ruleset", sa.String(length=16), nullable=False),
        sa.Column("ruleset_version", sa.String(length=32), nullable=False),
        sa.Column("index_version", sa.String(length=64), nullable=True),
        sa.Column("input_hash", sa.String(length=32), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_match_decisions_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_decisions")),
    )
    with op.batch_alter_table("match_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_match_decisions_source", ["source_table", "source_pk", "decided_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("match_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_match_decisions_source")

    op.drop_table("match_decisions")
    with op.batch_alter_table("import_rejects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_rejects_run_id"))

    op.drop_table("import_rejects")
    with op.batch_alter_table("identity_origin", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_origin_source")

    op.drop_table("identity_origin")
    with op.batch_alter_table("identity_links", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_links_table_person")
        batch_op.drop_index("ix_identity_links_table_linked_at")
        batch_op.drop_index(batch_op.f("ix_identity_links_person_key"))

    op.drop_table("identity_links")
    with op.batch_alter_table("summary_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summary_daily_idgap_changed_at"))
        batch_op.drop_index(batch_op.f("ix_summary_daily_activity_date"))

    op.drop_table("summary_daily")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_kind_status_finished")
        batch_op.drop_index("ix_runs_kind_started")

    op.drop_table("runs")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_merged_into"))

    op.drop_table("persons")
    with op.batch_alter_table("module_ct_scouting_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_module_ct_scouting_daily_registration_date"))
        batch_op.drop_index(batch_op.f("ix_module_ct_scouting_daily_idgap_changed_at"))

    op.drop_table("module_ct_scouting_daily")
    with op.batch_alter_table("module_ct_migrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_module_ct_migrations_idgap_changed_at"))
        batch_op.drop_index(batch_op.f("ix_module_ct_migrations_driver_id"))

    op.drop_table("module_ct_migrations")
    with op.batch_alter_table("module_ct_cabinet_leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_module_ct_cabinet_leads_lead_date"))
        batch_op.drop_index(batch_op.f("ix_module_ct_cabinet_leads_idgap_changed_at"))

    op.drop_table("module_ct_cabinet_leads")
    with op.batch_alter_table("link_history", schema=None) as batch_op:
        batch_op.drop_index("ix_link_history_source")
        batch_op.drop_index("ix_link_history_person_new")

    op.drop_table("link_history")
    with op.batch_alter_table("lead_status", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_status_risk")
        batch_op.drop_index("ix_lead_status_reason_risk")
        batch_op.drop_index(batch_op.f("ix_lead_status_person_key"))
        batch_op.drop_index("ix_lead_status_order")
        batch_op.drop_index(batch_op.f("ix_lead_status_lead_date"))

    op.drop_table("lead_status")
    op.drop_table("index_versions")
    with op.batch_alter_table("identity_unmatched", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_unmatched_status_outcome")
        batch_op.drop_index(batch_op.f("ix_identity_unmatched_reason_code"))

    op.drop_table("identity_unmatched")
    with op.batch_alter_table("identity_origin_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_origin_history_person_key"))

    op.drop_table("identity_origin_history")
    op.drop_table("gap_snapshots")
    with op.batch_alter_table("drivers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drivers_park_id"))
        batch_op.drop_index(batch_op.f("ix_drivers_idgap_changed_at"))

    op.drop_table("drivers")
    op.drop_table("driver_index")
    op.drop_table("api_tokens")
