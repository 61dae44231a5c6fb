"""Matcher settings are data: frozen, serialisable, stored with every decision."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from idgap.config import YEGO_PARK_ID


@dataclass(frozen=True)
class MatchSettings:
    target_park_id: str = YEGO_PARK_ID
    # reference (ct4) constants, REF §3.1-§3.3
    name_threshold: float = 0.66
    name_gap: float = 0.15
    hire_window: tuple[int, int] = (-90, 30)
    # idgap scoring (points; see scoring.py)
    auto_link_score: float = 75.0
    auto_link_margin: float = 15.0
    auto_link_min_name: float = 0.5
    review_score: float = 45.0
    other_park_review_score: float = 60.0
    max_block_size: int = 50  # a phone or plate shared by more accounts identifies nobody
    max_candidates: int = 5

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchSettings:
        known = {f.name for f in fields(cls)}
        clean = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
        return cls(**clean)  # type: ignore[arg-type]  # values validated by the dataclass fields

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
