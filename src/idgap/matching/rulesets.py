"""Rulesets behind one protocol: `name`, `version`, `decide(usable, index, settings, context)`.

`decide` returns one row per usable candidate with the columns of `DECIDED`; the engine adds
the pre-checks and the decision frame around it. The registry `RULESETS` maps a name to its
ruleset: the engine never branches on the name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import orjson
import polars as pl

from idgap.matching import ct4
from idgap.matching.blocking import candidate_pairs
from idgap.matching.model import Decision
from idgap.matching.prepared import PreparedIndex
from idgap.matching.settings import MatchSettings

CHUNK = 10_000  # candidates per slice: bounds the pair frames (and peak memory)
INPUTS = ("phone_norm", "license_norm", "plate_norm", "name_norm", "model_norm")
DECIDED = {
    "ci": pl.UInt32, "outcome": pl.Utf8, "reason_code": pl.Utf8, "driver_id": pl.Utf8,
    "rule": pl.Utf8, "score": pl.Float64, "confidence": pl.Utf8, "extra_json": pl.Utf8,
    "candidates_json": pl.Utf8, "probability": pl.Float64,
}  # fmt: skip


@dataclass(frozen=True)
class MatchContext:
    """What a ruleset may read besides the candidates and the index.

    linked_drivers: drivers that already belong to a person (ct4's R3b).
    trips: per-account daily trips (di, activity_date, trips), or None when not given.
    """

    linked_drivers: frozenset[str] = field(default_factory=frozenset)
    trips: pl.DataFrame | None = None


class Ruleset(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    def decide(
        self, usable: pl.DataFrame, ix: PreparedIndex, s: MatchSettings, ctx: MatchContext
    ) -> pl.DataFrame: ...

    def thresholds(self, s: MatchSettings) -> dict: ...


def chunks(frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """Slices of CHUNK candidates; each candidate is decided on its own pairs."""
    for start in range(0, max(frame.height, 1), CHUNK):
        yield frame.slice(start, CHUNK)


@dataclass(frozen=True)
class Ct4Ruleset:
    """The reference rules, rule by rule in Python over each candidate's few pairs."""

    name: str = "ct4"
    version: str = ct4.VERSION

    def decide(
        self, usable: pl.DataFrame, ix: PreparedIndex, s: MatchSettings, ctx: MatchContext
    ) -> pl.DataFrame:
        return pl.concat([self._slice(part, ix, s, ctx) for part in chunks(usable)])

    def _slice(
        self, cands: pl.DataFrame, ix: PreparedIndex, s: MatchSettings, ctx: MatchContext
    ) -> pl.DataFrame:
        pairs = candidate_pairs(cands, ix, s, by_name=False)
        by_ci: dict[int, list[dict]] = defaultdict(list)
        for p in dicts(pairs):
            by_ci[p["ci"]].append(p)
        cols = ["ci", *INPUTS, "brand_norm", "name_tokens"]
        rows = [
            _decided_row(c["ci"], ct4.decide(c, by_ci.get(c["ci"], []), s, ctx.linked_drivers))
            for c in dicts(cands.select(cols))
        ]
        return pl.DataFrame(rows, schema=DECIDED, orient="row")

    def thresholds(self, s: MatchSettings) -> dict:
        return {"name": s.name_threshold, "gap": s.name_gap, "hire_window": list(s.hire_window)}


def _decided_row(ci: int, d: Decision) -> tuple:
    extra = to_json(d.evidence) if d.evidence else None
    return (ci, d.outcome.value, str(d.reason), d.driver_id, d.rule, d.score, d.confidence,
            extra, to_json(d.candidates), None)  # fmt: skip


def dicts(df: pl.DataFrame) -> list[dict]:
    """Rows as dicts, built from column lists (several times faster than iter_rows)."""
    cols = df.to_dict(as_series=False)
    names = list(cols)
    return [dict(zip(names, values, strict=True)) for values in zip(*cols.values(), strict=True)]


def to_json(value: object) -> str:
    return orjson.dumps(value, default=str).decode()
