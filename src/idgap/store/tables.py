"""Every table idgap reads or writes, as SQLAlchemy Core metadata (the Alembic source of truth).

Source tables keep the park's real names and columns (SPEC §2); our bookkeeping columns on
them start with `idgap_`. Timestamps are timezone-aware UTC; business dates are `Date`.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = sa.JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC on both backends (SQLite forgets the zone; we put it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


TS = UtcDateTime()


def _bookkeeping() -> list[sa.Column]:
    return [
        sa.Column("idgap_extra", Json, nullable=True),  # source columns idgap keeps but ignores
        sa.Column("idgap_row_hash", sa.String(32), nullable=False),
        sa.Column("idgap_loaded_at", TS, nullable=False),
        sa.Column("idgap_changed_at", TS, nullable=False, index=True),
    ]


# --- source tables (SPEC §2) -------------------------------------------------------------

cabinet_leads = sa.Table(
    "module_ct_cabinet_leads",
    metadata,
    sa.Column("lead_id", sa.String(64), primary_key=True),  # external_id, else id as text
    sa.Column("id", sa.String(64), nullable=True),
    sa.Column("external_id", sa.String(64), nullable=True),
    sa.Column("lead_created_at", sa.DateTime(), nullable=False),
    sa.Column("lead_date", sa.Date(), nullable=False, index=True),
    sa.Column("park_phone", sa.String(64)),
    sa.Column("first_name", sa.String(200)),
    sa.Column("middle_name", sa.String(200)),
    sa.Column("last_name", sa.String(200)),
    sa.Column("asset_plate_number", sa.String(32)),
    sa.Column("asset_model", sa.String(100)),
    sa.Column("created_at", sa.String(40)),
    *_bookkeeping(),
)

drivers = sa.Table(
    "drivers",
    metadata,
    sa.Column("driver_id", sa.String(64), primary_key=True),
    sa.Column("park_id", sa.String(64), index=True),
    sa.Column("phone", sa.String(64)),
    sa.Column("license_number", sa.String(64)),
    sa.Column("license_normalized_number", sa.String(64)),
    sa.Column("full_name", sa.String(300)),
    sa.Column("first_name", sa.String(200)),
    sa.Column("middle_name", sa.String(200)),
    sa.Column("last_name", sa.String(200)),
    sa.Column("car_number", sa.String(32)),
    sa.Column("car_normalized_number", sa.String(32)),
    sa.Column("car_brand", sa.String(100)),
    sa.Column("car_model", sa.String(100)),
    sa.Column("hire_date", sa.Date()),
    sa.Column("created_at", sa.String(40)),
    *_bookkeeping(),
)

summary_daily = sa.Table(
    "summary_daily",
    metadata,
    sa.Column("driver_id", sa.String(64), primary_key=True),
    sa.Column("activity_date", sa.Date(), primary_key=True, index=True),  # parsed date_file
    sa.Column("date_file", sa.String(20), nullable=False),
    sa.Column("count_orders_completed", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("sum_work_time_seconds", sa.BigInteger(), nullable=False, server_default="0"),
    *_bookkeeping(),
)

scouting_daily = sa.Table(
    "module_ct_scouting_daily",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("scout_id", sa.String(64)),
    sa.Column("driver_phone", sa.String(64)),
    sa.Column("driver_license", sa.String(64)),
    sa.Column("driver_name", sa.String(300)),
    sa.Column("registration_date", sa.Date(), nullable=False, index=True),
    sa.Column("acquisition_method", sa.String(100)),
    sa.Column("created_at", sa.String(40)),
    sa.Column("updated_at", sa.String(40)),
    *_bookkeeping(),
)

migrations = sa.Table(
    "module_ct_migrations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("driver_id", sa.String(64), nullable=False, index=True),
    sa.Column("driver_name", sa.String(300)),
    sa.Column("scout_id", sa.String(64)),
    sa.Column("scout_name", sa.String(300)),
    sa.Column("hire_date", sa.Date()),
    sa.Column("created_at", sa.String(40)),
    sa.Column("updated_at", sa.String(40)),
    *_bookkeeping(),
)

cabinet_payments = sa.Table(  # Yango's payment report (REF §1.5): one row per paid milestone
    "module_ct_cabinet_payments",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("date", sa.Date(), nullable=False, index=True),  # parsed payment date
    sa.Column("time", sa.String(20)),
    sa.Column("scout_id", sa.String(64)),
    sa.Column("driver", sa.String(300)),  # the payee as free text, no driver id
    sa.Column("trip_1", sa.Boolean(), nullable=False),
    sa.Column("trip_5", sa.Boolean(), nullable=False),
    sa.Column("trip_25", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.String(40)),
    sa.Column("updated_at", sa.String(40)),
    *_bookkeeping(),
)

SOURCE_TABLES = {
    t.name: t
    for t in (cabinet_leads, drivers, summary_daily, scouting_daily, migrations, cabinet_payments)
}

# --- runs and import bookkeeping -----------------------------------------------------------

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),  # import | match | recover | backfill_origins
    sa.Column(
        "status", sa.String(16), nullable=False
    ),  # running | completed | failed | interrupted
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS),
    sa.Column("heartbeat_at", TS),
    sa.Column("triggered_by", sa.String(64)),  # cli | api:<token> | schedule
    sa.Column("params", Json),
    sa.Column("stats", Json),
    sa.Column("error", sa.Text()),
    sa.Index("ix_runs_kind_started", "kind", "started_at"),
    sa.Index("ix_runs_kind_status_finished", "kind", "status", "finished_at"),
)

import_rejects = sa.Table(
    "import_rejects",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), index=True),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("file_name", sa.String(500), nullable=False),
    sa.Column("line_number", sa.Integer(), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("raw_row", sa.Text()),
    sa.Column("created_at", TS, nullable=False),
)

# --- identity (SPEC §3) --------------------------------------------------------------------

persons = sa.Table(
    "persons",
    metadata,
    sa.Column("person_key", sa.String(36), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),  # active | merged
    sa.Column("merged_into", sa.String(36), sa.ForeignKey("persons.person_key"), index=True),
    sa.Column("confidence", sa.String(8)),
    sa.Column("primary_name", sa.String(300)),
    sa.Column("primary_phone", sa.String(32)),
    sa.Column("primary_license", sa.String(64)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
)

identity_links = sa.Table(
    "identity_links",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "person_key", sa.String(36), sa.ForeignKey("persons.person_key"), nullable=False, index=True
    ),
    sa.Column("source_table", sa.String(64), nullable=False),
    sa.Column("source_pk", sa.String(64), nullable=False),
    sa.Column("snapshot_date", sa.Date()),
    sa.Column("match_rule", sa.String(64), nullable=False),
    sa.Column("match_score", sa.Float()),
    sa.Column("confidence", sa.String(8)),
    sa.Column("evidence", Json),
    sa.Column("decision_id", sa.Integer()),
    sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id")),
    sa.Column("linked_at", TS, nullable=False),
    sa.Column("linked_by", sa.String(64), nullable=False),  # system | manual:<who> | legacy
    sa.UniqueConstraint("source_table", "source_pk"),
    sa.Index("ix_identity_links_table_person", "source_table", "person_key"),
    # covering: "matched in the last 24 h" counts from the index alone
    sa.Index("ix_identity_links_recent", "source_table", "linked_at", "linked_by"),
)

link_history = sa.Table(
    "link_history",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("source_table", sa.String(64), nullable=False),
    sa.Column("source_pk", sa.String(64), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # link | move | unlink
    sa.Column("person_key_old", sa.String(36)),
    sa.Column("person_key_new", sa.String(36)),
    sa.Column("changed_by", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text()),
    sa.Column("run_id", sa.Integer()),
    sa.Column("changed_at", TS, nullable=False),
    sa.Index("ix_link_history_source", "source_table", "source_pk"),
    sa.Index("ix_link_history_person_new", "person_key_new"),
)

identity_origin = sa.Table(
    "identity_origin",
    metadata,
    sa.Column("person_key", sa.String(36), sa.ForeignKey("persons.person_key"), primary_key=True),
    sa.Column("origin_tag", sa.String(32), nullable=False),
    sa.Column("origin_source_table", sa.String(64)),
    sa.Column("origin_source_id", sa.String(64), nullable=False),
    sa.Column("origin_date", sa.Date()),
    sa.Column("origin_confidence", sa.Float(), nullable=False),
    sa.Column("ruleset_version", sa.String(32), nullable=False),
    sa.Column("evidence", Json),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("resolution_status", sa.String(32), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_identity_origin_source", "origin_source_table", "origin_source_id"),
)

identity_origin_history = sa.Table(
    "identity_origin_history",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("person_key", sa.String(36), nullable=False, index=True),
    sa.Column("action", sa.String(16), nullable=False),  # insert | update
    sa.Column("origin_tag_old", sa.String(32)),
    sa.Column("origin_tag_new", sa.String(32)),
    sa.Column("origin_source_table_old", sa.String(64)),
    sa.Column("origin_source_table_new", sa.String(64)),
    sa.Column("origin_source_id_old", sa.String(64)),
    sa.Column("origin_source_id_new", sa.String(64)),
    sa.Column("changed_by", sa.String(64), nullable=False),
    sa.Column("change_reason", sa.Text(), nullable=False),
    sa.Column("run_id", sa.Integer()),
    sa.Column("changed_at", TS, nullable=False),
)

match_decisions = sa.Table(  # append-only: every decision ever made, reproducible
    "match_decisions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("source_table", sa.String(64), nullable=False),
    sa.Column("source_pk", sa.String(64), nullable=False),
    sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id")),
    sa.Column("outcome", sa.String(16), nullable=False),  # matched | review | unmatched
    sa.Column("driver_id", sa.String(64)),
    sa.Column("person_key", sa.String(36)),
    sa.Column("rule", sa.String(64)),
    sa.Column("score", sa.Float()),
    sa.Column("confidence", sa.String(8)),
    sa.Column("reason_code", sa.String(32), nullable=False),
    sa.Column("evidence", Json),
    sa.Column("candidates", Json),
    sa.Column("ruleset", sa.String(16), nullable=False),
    sa.Column("ruleset_version", sa.String(32), nullable=False),
    sa.Column("index_version", sa.String(64)),
    sa.Column("input_hash", sa.String(32)),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("decided_at", TS, nullable=False),
    sa.Column("probability", sa.Float()),  # posterior of the chosen/best candidate (idgap v3)
    sa.Index("ix_match_decisions_source", "source_table", "source_pk", "decided_at"),
)

identity_unmatched = sa.Table(  # the review queue and the unmatched list, one row per record
    "identity_unmatched",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("source_table", sa.String(64), nullable=False),
    sa.Column("source_pk", sa.String(64), nullable=False),
    sa.Column("snapshot_date", sa.Date()),
    sa.Column("outcome", sa.String(16), nullable=False),  # review | unmatched
    sa.Column("reason_code", sa.String(32), nullable=False, index=True),
    sa.Column("details", Json),
    sa.Column("candidates", Json),
    sa.Column("status", sa.String(16), nullable=False),  # OPEN | RESOLVED | DISMISSED
    sa.Column("decision_id", sa.Integer()),
    sa.Column("index_version", sa.String(64)),
    sa.Column("input_hash", sa.String(32)),
    sa.Column("run_id", sa.Integer()),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("resolved_at", TS),
    sa.Column("resolved_by", sa.String(64)),
    sa.Column("resolution_note", sa.Text()),
    sa.UniqueConstraint("source_table", "source_pk"),
    sa.Index("ix_identity_unmatched_status_outcome", "status", "outcome", "snapshot_date"),
)

# --- gap analysis (SPEC §5), kept current by writers ----------------------------------------

lead_status = sa.Table(
    "lead_status",
    metadata,
    sa.Column("lead_id", sa.String(64), primary_key=True),
    sa.Column("lead_date", sa.Date(), nullable=False, index=True),
    sa.Column("person_key", sa.String(36), index=True),
    sa.Column("driver_id", sa.String(64)),
    sa.Column("has_identity", sa.Boolean(), nullable=False),
    sa.Column("has_driver", sa.Boolean(), nullable=False),
    sa.Column("has_origin", sa.Boolean(), nullable=False),
    sa.Column("gap_reason", sa.String(16), nullable=False),
    sa.Column("origin_detail", sa.String(200)),  # for other_origin: which source holds it
    sa.Column("gap_age_days", sa.Integer(), nullable=False),
    sa.Column("risk_level", sa.String(8), nullable=False),
    sa.Column("as_of", sa.Date(), nullable=False),  # the day age and risk were computed for
    sa.Column("trips_14d", sa.Integer(), nullable=False),
    sa.Column("milestones_reached", sa.Integer(), nullable=False),
    sa.Column("expected_amount", sa.Float(), nullable=False),
    sa.Column("amount_at_stake", sa.Float(), nullable=False),
    sa.Column("last_outcome", sa.String(16)),
    sa.Column("last_reason_code", sa.String(32)),
    sa.Column("resolved_at", TS),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_lead_status_reason_risk", "gap_reason", "risk_level"),
    sa.Index("ix_lead_status_order", "gap_age_days", "lead_date"),
    sa.Index("ix_lead_status_risk", "risk_level"),
    # covering: the dashboard totals (count and money per reason x risk) never touch the table
    sa.Index(
        "ix_lead_status_summary", "gap_reason", "risk_level", "expected_amount", "amount_at_stake"
    ),
)

gap_snapshots = sa.Table(
    "gap_snapshots",
    metadata,
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("total_leads", sa.Integer(), nullable=False),
    sa.Column("unresolved", sa.Integer(), nullable=False),
    sa.Column("resolved", sa.Integer(), nullable=False),
    sa.Column("pct_unresolved", sa.Float(), nullable=False),
    sa.Column("breakdown", Json),
    sa.Column("amount_at_stake", sa.Float(), nullable=False),
    sa.Column("recorded_at", TS, nullable=False),
)

# --- search (normalised keys written with lead_status, read by every search box) -----------

search_keys = sa.Table(  # one row per (entity, kind, normalised key): name token, phone, ...
    "search_keys",
    metadata,
    sa.Column("entity", sa.String(8), primary_key=True),  # lead | person
    sa.Column("kind", sa.String(8), primary_key=True),  # name | phone | doc | plate
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("entity_id", sa.String(64), primary_key=True),
    sa.Index("ix_search_keys_entity", "entity", "entity_id"),
)

search_sources = sa.Table(  # what each entity's keys were made from, so unchanged ones are skipped
    "search_sources",
    metadata,
    sa.Column("entity", sa.String(8), primary_key=True),
    sa.Column("entity_id", sa.String(64), primary_key=True),
    sa.Column("digest", sa.String(32), nullable=False),
)

# --- driver index versions (the index itself is a Parquet cache: recovery/index_store.py) ---

index_versions = sa.Table(
    "index_versions",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("n_drivers", sa.Integer(), nullable=False),
    sa.Column("n_changed", sa.Integer(), nullable=False),
    sa.Column("generation", sa.Integer()),  # the highest: what the drivers hold now
)

# --- access ---------------------------------------------------------------------------------

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),  # viewer | operator | admin
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex
    sa.Column("prefix", sa.String(12), nullable=False),  # shown in listings, never the secret
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_used_at", TS),
    sa.Column("revoked_at", TS),
    sa.Column("expires_at", TS),  # optional: `idgap token create --expires-days N`
)

web_sessions = sa.Table(  # one row per web login; logout or the token's end ends it
    "web_sessions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("sid_hash", sa.String(64), nullable=False, unique=True),  # sha256 of the cookie's id
    sa.Column("token_id", sa.Integer(), sa.ForeignKey("api_tokens.id"), nullable=False, index=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("ended_at", TS),
)


# --- claims (SPEC §5.1): payments tied to leads, and the ledger per lead x milestone --------

payment_matches = sa.Table(  # one decision per payment row; manual ones are never re-decided
    "payment_matches",
    metadata,
    sa.Column("payment_id", sa.String(64), primary_key=True),
    sa.Column("outcome", sa.String(16), nullable=False),  # matched | review | unmatched
    sa.Column("reason_code", sa.String(32), nullable=False),
    sa.Column("lead_id", sa.String(64), index=True),
    sa.Column("person_key", sa.String(36)),
    sa.Column("candidates", Json),  # [{person_key, lead_id, driver_id, names, trips...}] best first
    sa.Column("decided_by", sa.String(64), nullable=False),  # system | manual:<who>
    sa.Column("note", sa.Text()),
    sa.Column("decided_at", TS, nullable=False),
    sa.Index("ix_payment_matches_outcome", "outcome", "reason_code"),
)

claims = sa.Table(  # kept current by the writers, like lead_status
    "claims",
    metadata,
    sa.Column("lead_id", sa.String(64), primary_key=True),
    sa.Column("milestone", sa.Integer(), primary_key=True),  # trips: 1 | 5 | 25
    sa.Column("lead_date", sa.Date(), nullable=False, index=True),
    sa.Column("person_key", sa.String(36)),
    sa.Column("driver_id", sa.String(64)),
    sa.Column("amount", sa.Float(), nullable=False),  # what the milestone is worth
    sa.Column("trips_14d", sa.Integer(), nullable=False),
    sa.Column("reached", sa.Boolean(), nullable=False),
    sa.Column("paid", sa.Boolean(), nullable=False),
    sa.Column("payment_id", sa.String(64)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("at_stake", sa.Float(), nullable=False),  # unidentified: best candidate earned it
    sa.Column("deadline", sa.Date(), nullable=False),  # last day Yango accepts the claim
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_claims_status_milestone", "status", "milestone", "amount", "at_stake"),
)
