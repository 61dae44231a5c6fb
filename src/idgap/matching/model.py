"""Closed vocabularies of the engine and the decision value object."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl


class Outcome(StrEnum):
    MATCHED = "matched"
    REVIEW = "review"
    UNMATCHED = "unmatched"


class Reason(StrEnum):
    NO_CANDIDATES = "NO_CANDIDATES"
    WEAK_MATCH_ONLY = "WEAK_MATCH_ONLY"
    MULTIPLE_CANDIDATES = "MULTIPLE_CANDIDATES"
    MISSING_KEYS = "MISSING_KEYS"
    INVALID_DATE_FORMAT = "INVALID_DATE_FORMAT"
    OTHER_PARK_ONLY = "OTHER_PARK_ONLY"
    # ct4's R3b when its driver belongs to no person yet; as in the reference, only a rule
    # result: the decision reports the first reason in rule order (R3's NO_CANDIDATES)
    NO_PERSON_KEY = "NO_PERSON_KEY"
    # a human undid the lead's automatic link (identity.undo); the matcher leaves it to humans
    REOPENED = "REOPENED"


class Rule(StrEnum):
    R1_PHONE_EXACT = "R1_PHONE_EXACT"
    R2_LICENSE_EXACT = "R2_LICENSE_EXACT"
    R3_PLATE_EXACT_NAME_SIMILAR = "R3_PLATE_EXACT_NAME_SIMILAR"
    R3B = "R3b"
    R4_CAR_FINGERPRINT_NAME_SIMILAR = "R4_CAR_FINGERPRINT_NAME_SIMILAR"
    IG_SCORED = "IG_SCORED"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    driver_id: str | None = None
    rule: str | None = None
    score: float | None = None
    confidence: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)


def confidence_for(score: float) -> str:
    return "HIGH" if score >= 90 else "MEDIUM" if score >= 80 else "LOW"


# The decision frame (engine -> store), one definition imported by the engine and the writer.
# The writer stores every column by name in `match_decisions`; contracts change only by adding.
DECISION_SCHEMA: dict[str, type[pl.DataType]] = {
    "source_table": pl.Utf8, "source_pk": pl.Utf8, "outcome": pl.Utf8, "driver_id": pl.Utf8,
    "rule": pl.Utf8, "score": pl.Float64, "confidence": pl.Utf8, "reason_code": pl.Utf8,
    "evidence_json": pl.Utf8, "candidates_json": pl.Utf8, "ruleset": pl.Utf8,
    "ruleset_version": pl.Utf8, "index_version": pl.Utf8,
    # posterior match probability of the chosen (or best) candidate; null for ct4
    "probability": pl.Float64,
}  # fmt: skip
