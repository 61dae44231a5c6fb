"""Typed settings, read once from the environment (prefix IDGAP_) and passed down."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from idgap.clock import DEFAULT_TIMEZONE

YEGO_PARK_ID = "08e20910d81d42658d4334d3f6d10ac0"


def default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'idgap.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDGAP_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy URL of the store; default an SQLite file in the working directory.",
    )
    park_id: str = Field(YEGO_PARK_ID, description="Target park: links go to its driver accounts.")
    currency: str = Field("S/", description="Currency symbol shown next to amounts.")
    timezone: str = Field(
        DEFAULT_TIMEZONE, description="The park's time zone: the web UI shows times in it."
    )
    ruleset: str = Field("idgap", description="Matching ruleset: 'idgap' (default) or 'ct4'.")
    name_similarity_threshold: float = Field(0.66, description="Reference R3 name threshold.")
    target_precision: float = Field(
        0.999, gt=0, le=1, description="idgap auto-links when a match's posterior reaches this."
    )
    name_gap_threshold: float = Field(
        0.15, description="Reference R3 best-vs-second ambiguity gap."
    )
    hire_window_before_days: int = Field(90, description="R3 hire window start: lead date minus.")
    hire_window_after_days: int = Field(30, description="R3 hire window end: lead date plus.")
    claim_window_days: int = Field(
        14, description="Trips count in [lead_date, lead_date + N days)."
    )
    milestone_trips: tuple[int, int, int] = Field((1, 5, 25), description="Trip milestones.")
    milestone_amounts: tuple[float, float, float] = Field(
        (25.0, 35.0, 100.0), description="Bonus paid per milestone reached (cumulative)."
    )
    claim_deadline_days: int = Field(
        90, description="Days after the claim window closes during which Yango accepts a claim."
    )
    payment_lag_days: int = Field(
        120, description="A payment belongs to a lead whose window closed at most N days before."
    )
    recovery_interval_minutes: int = Field(60, description="Scheduled recovery in `idgap serve`.")
    recovery_batch_size: int = Field(
        5000,
        description="Leads written per atomic batch (a kill loses at most one batch; each batch"
        " pays one gap-status refresh and one commit, so fewer, larger batches write faster).",
    )
    secret_key: str = Field(
        "", description="Signs web session cookies; generated per process when empty."
    )
    cookie_secure: bool = Field(
        False, description="Always mark the session cookie Secure (set it behind a TLS proxy)."
    )
    db_pool_size: int = Field(5, ge=1, description="Database connections kept open per process.")
    db_max_overflow: int = Field(10, ge=0, description="Extra connections allowed under load.")
    db_pool_timeout_s: float = Field(
        10.0, gt=0, description="Seconds a request waits for a free connection before failing."
    )
    auth_window_s: int = Field(60, ge=1, description="Window of the failed-auth counters.")
    login_failures_allowed: int = Field(
        10, ge=1, description="Failed web logins per client and window before 429."
    )
    token_failures_allowed: int = Field(
        60, ge=1, description="Bad API tokens per client and window before 429."
    )
    max_upload_mb: int = Field(
        50, ge=1, description="Largest CSV upload (API and web); bigger files: `idgap import`."
    )
    run_stale_after_s: int = Field(
        600, ge=10, description="A running run without heartbeat for this long is interrupted."
    )
    run_heartbeat_s: float = Field(
        15.0, gt=0, description="Seconds between heartbeats of a live run (well under stale)."
    )

    def pool(self) -> dict[str, float]:
        """Connection-pool sizing for `store.db.make_engine` (servers bound their connections)."""
        return {
            "pool_size": self.db_pool_size,
            "max_overflow": self.db_max_overflow,
            "pool_timeout": self.db_pool_timeout_s,
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
