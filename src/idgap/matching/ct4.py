"""The reference rules, reproduced faithfully (REF §3.3-§3.5) as the baseline.

Both sides use idgap's single normalisation so a comparison isolates the rules. R3b in the
reference also demanded an existing drivers link; here it yields its driver (documented).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idgap.matching.model import Decision, Outcome, Reason, Rule
from idgap.matching.settings import MatchSettings
from idgap.matching.similarity import ct4_similarity

VERSION = "ct4-2026.01"


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    driver_id: str | None = None
    score: float | None = None
    confidence: str | None = None
    reason: Reason | None = None
    evidence: dict[str, Any] | None = None


def _exact_rule(rule: Rule, score: float, pairs: list[dict], key: str) -> RuleResult:
    """R1/R2: target park first, then any other park (the reference's defect 6, kept)."""
    for in_target in (True, False):
        hits = sorted({p["driver_id_d"] for p in pairs if p[key] and p["target"] == in_target})
        if len(hits) == 1:
            return RuleResult(
                rule, hits[0], score, "HIGH", evidence={"park": "target" if in_target else "other"}
            )
        if len(hits) > 1:
            return RuleResult(
                rule, reason=Reason.MULTIPLE_CANDIDATES, evidence={"drivers": hits[:3]}
            )
    return RuleResult(rule, reason=Reason.NO_CANDIDATES)


def _plate_name_rule(
    rule: Rule, cand: dict, pairs: list[dict], s: MatchSettings, window: bool
) -> RuleResult:
    lo, hi = s.hire_window
    hits = [
        p for p in pairs
        if p["plate_exact"] and p["target"]
        and (not window or p["hire_days"] is None or lo <= p["hire_days"] <= hi)
    ]  # fmt: skip
    if not hits:
        return RuleResult(rule, reason=Reason.NO_CANDIDATES)
    scored = sorted(
        ((ct4_similarity(cand["name_tokens"], p["name_tokens_d"]), p["driver_id_d"]) for p in hits),
        reverse=True,
    )
    kept = [x for x in scored if x[0] >= s.name_threshold]
    if not kept:
        return RuleResult(
            rule, reason=Reason.WEAK_MATCH_ONLY, evidence={"best_similarity": scored[0][0]}
        )
    if len(kept) >= 2 and kept[0][0] - kept[1][0] < s.name_gap:
        return RuleResult(
            rule, reason=Reason.MULTIPLE_CANDIDATES, evidence={"gap": kept[0][0] - kept[1][0]}
        )
    sim, driver = kept[0]
    score = 85.0 if rule is Rule.R3_PLATE_EXACT_NAME_SIMILAR else float(int(sim * 100))
    return RuleResult(rule, driver, score, "MEDIUM", evidence={"name_similarity": round(sim, 3)})


def run_rules(cand: dict, pairs: list[dict], s: MatchSettings) -> list[RuleResult]:
    """Every rule whose inputs are present, in the reference's order."""
    results = []
    if cand["phone_norm"]:
        results.append(_exact_rule(Rule.R1_PHONE_EXACT, 95.0, pairs, "phone_eq"))
    if cand["license_norm"]:
        results.append(_exact_rule(Rule.R2_LICENSE_EXACT, 92.0, pairs, "license_eq"))
    if cand["plate_norm"] and cand["name_tokens"]:
        r3 = _plate_name_rule(Rule.R3_PLATE_EXACT_NAME_SIMILAR, cand, pairs, s, window=True)
        results.append(r3)
        if r3.reason is Reason.NO_CANDIDATES:
            results.append(_plate_name_rule(Rule.R3B, cand, pairs, s, window=False))
    return results


def combine(results: list[RuleResult]) -> Decision:
    """REF §3.5, clause by clause - including its defect that one match beats an ambiguity."""
    if not results:  # 2. no usable identifiers
        return Decision(Outcome.UNMATCHED, Reason.NO_CANDIDATES)
    matches = [r for r in results if r.driver_id]
    if len(matches) == 1:  # 3. one matching rule wins, even over MULTIPLE_CANDIDATES
        return _matched(matches[0])
    if matches:
        if len({m.driver_id for m in matches}) == 1:  # 4. same driver: highest score
            return _matched(max(matches, key=lambda m: m.score or 0))
        preview = [
            {"driver_id": m.driver_id, "rule": m.rule.value, "score": m.score} for m in matches[:3]
        ]
        return Decision(Outcome.UNMATCHED, Reason.MULTIPLE_CANDIDATES, candidates=preview)  # 5.
    first = results[0]  # 6. first reason in rule order
    return Decision(
        Outcome.UNMATCHED,
        first.reason or Reason.NO_CANDIDATES,
        rule=first.rule.value,
        evidence=first.evidence or {},
    )


def _matched(r: RuleResult) -> Decision:
    return Decision(
        Outcome.MATCHED,
        r.rule.value,
        driver_id=r.driver_id,
        rule=r.rule.value,
        score=r.score,
        confidence=r.confidence,
        evidence=r.evidence or {},
    )


def decide(cand: dict, pairs: list[dict], s: MatchSettings) -> Decision:
    return combine(run_rules(cand, pairs, s))
