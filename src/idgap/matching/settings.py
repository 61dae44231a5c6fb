"""Matcher settings are data: frozen, serialisable, stored with every run (`runs.params`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from idgap.config import YEGO_PARK_ID

# (comparison, level, m, u): the starting m/u of every comparison level. m and u are
# re-estimated from the park's own data (fellegi_sunter.estimate); these hold where the park
# has too few unambiguous links, and as the prior the estimates are shrunk towards.
# Identifier u are chance agreements of two different people, far too rare to measure.
DEFAULT_PRIORS: tuple[tuple[str, str, float, float], ...] = (
    ("phone", "exact", 0.85, 1e-7),
    ("phone", "different", 0.15, 1.0),
    ("licence", "exact", 0.9, 1e-7),
    ("licence", "different", 0.1, 1.0),
    ("plate", "exact", 0.7, 2e-6),
    ("plate", "confusable", 0.08, 5e-6),
    ("plate", "one_edit", 0.08, 4e-5),
    ("plate", "two_edits", 0.03, 1e-3),
    ("plate", "different", 0.11, 1.0),
    ("name", "exact", 0.55, 1e-5),
    ("name", "contained", 0.17, 3e-5),
    ("name", "fuzzy_high", 0.12, 1e-5),
    ("name", "fuzzy_mid", 0.08, 1e-4),
    ("name", "core", 0.05, 1e-4),
    ("name", "fuzzy_low", 0.04, 1e-3),
    ("name", "weak", 0.02, 1e-2),
    ("name", "contradicts", 0.01, 0.99),
    ("model", "same", 0.6, 0.05),
    ("model", "different", 0.4, 0.95),
    ("hire", "d-3_14", 0.6, 0.01),
    ("hire", "d-30_30", 0.15, 0.02),
    ("hire", "d31_60", 0.1, 0.01),
    ("hire", "d-90_120", 0.07, 0.05),
    ("hire", "d-365_365", 0.04, 0.2),
    ("hire", "far", 0.04, 0.71),
    ("activity", "agree_active", 0.8, 0.05),
    ("activity", "near_active", 0.08, 0.05),
    ("activity", "agree_idle", 0.05, 0.6),
    ("activity", "contradicts", 0.07, 0.3),
)


@dataclass(frozen=True)
class MatchSettings:
    target_park_id: str = YEGO_PARK_ID
    # reference (ct4) constants, REF §3.1-§3.3
    name_threshold: float = 0.66
    name_gap: float = 0.15
    hire_window: tuple[int, int] = (-90, 30)
    # blocking
    max_block_size: int = 50  # a phone or plate shared by more accounts identifies nobody
    max_candidates: int = 5
    # idgap: comparison levels
    name_levels: tuple[float, float, float, float] = (0.9, 0.75, 0.6, 0.45)
    hire_bands: tuple[tuple[int, int], ...] = (
        (-3, 14), (-30, 30), (31, 60), (-90, 120), (-365, 365),
    )  # fmt: skip
    activity_windows: tuple[int, ...] = (7, 14, 30)  # days from the lead, the best one measured
    priors: tuple[tuple[str, str, float, float], ...] = DEFAULT_PRIORS
    # idgap: estimation from the park's own data
    min_anchors: int = 30  # unambiguous links needed before m is estimated at all
    m_prior_weight: float = 20.0  # pseudo-links of the default m the estimate is shrunk to
    u_sample_pairs: int = 8_000  # random (candidate, account) pairs measuring u
    u_prior_weight: float = 2_000.0  # pseudo-pairs of the default u
    # name tokens are not independent: their product is inflated by at least this, or by the
    # dependence the index shows when higher (fellegi_sunter.name_collisions)
    name_tf_dependence: float = 1.0
    # a name no other account has: as if this many others held it, or the share of long names
    # the index shows held by two different people, when higher
    name_tf_floor: float = 0.005
    plate_tf_floor: float = 0.25  # the same for a plate, a phone or a licence
    phone_tf_floor: float = 0.02
    # other accounts expected with a look-alike plate, one edit away, two edits away
    plate_near_accounts: tuple[float, float, float] = (0.5, 20.0, 1000.0)
    # idgap: the posterior and the decision
    prior_has_driver: float = 0.9  # P(a lead's driver is in the index) before any evidence
    population_floor: int = 100_000  # the prior never assumes a smaller park than this
    target_precision: float = 0.999  # auto-link when the posterior reaches it
    auto_link_margin_bits: float = 6.0  # ... and its weight leads the runner-up's by this
    review_probability: float = 0.01  # below: unmatched (candidates still shown)
    activity_alone_floor: float = 0.5  # without activity, the link must be at least this likely
    strong_name_level: int = 5  # without phone/licence: name level <= core (or no name)
    # a form word at most this many accounts carry (or this share of them) is a misspelling
    typo_token_max: float = 3.0
    typo_token_share: float = 2e-5
    typo_word_edits: int = 1  # ... and is read as the account's token this many edits away
    same_person_min_name: float = 0.75  # two leads, one account: one person from this similarity

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchSettings:
        known = {f.name for f in fields(cls)}
        clean = {k: _tuples(v) for k, v in data.items() if k in known}
        return cls(**clean)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def prior_table(self) -> dict[str, dict[str, tuple[float, float]]]:
        table: dict[str, dict[str, tuple[float, float]]] = {}
        for comparison, level, m, u in self.priors:
            table.setdefault(comparison, {})[level] = (m, u)
        return table


def _tuples(value: Any) -> Any:
    """JSON lists back to the tuples the dataclass holds (nested, e.g. hire_bands)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
