"""The reference rules (REF §3.3-§3.5), reproduced faithfully as the baseline.

One documented departure, to isolate the rules in a comparison: both sides use idgap's single
normalisation (the reference normalised each side differently, REF §3.1 / §10.3 defect 5).
R3b, as in the reference, only links to a driver that already belongs to a person (a `drivers`
link); otherwise its result is `NO_PERSON_KEY`. The engine stays pure: the caller passes the
ids of drivers that have a person (`linked`).
R4 needs the lead's car brand, which no lead source has (REF §3.3), so it never runs on leads;
it only scores pairs another block found (there is no car-fingerprint block).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Protocol

from idgap.matching.model import Decision, Outcome, Reason, Rule
from idgap.matching.settings import MatchSettings
from idgap.matching.similarity import ct4_similarity

VERSION = "ct4-2026.02"  # .02: R3b needs an existing person (NO_PERSON_KEY)


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    driver_id: str | None = None
    score: float | None = None
    confidence: str | None = None
    reason: Reason | None = None
    evidence: dict[str, Any] | None = None


class CtRule(Protocol):
    @property
    def name(self) -> Rule: ...

    @property
    def required(self) -> tuple[str, ...]: ...

    def run(self, cand: dict, pairs: list[dict], s: MatchSettings) -> RuleResult: ...


@dataclass(frozen=True)
class ExactMatch:
    """R1 / R2: one driver with this phone (license) in the target park, else in another park
    (the reference's defect 6, kept); more than one is MULTIPLE_CANDIDATES."""

    name: Rule
    required: tuple[str, ...]
    pair_flag: str
    score: float

    def run(self, cand: dict, pairs: list[dict], s: MatchSettings) -> RuleResult:
        for in_target in (True, False):
            hits = sorted(
                {p["driver_id_d"] for p in pairs if p[self.pair_flag] and p["target"] == in_target}
            )
            if len(hits) == 1:
                park = "target" if in_target else "other"
                return RuleResult(self.name, hits[0], self.score, "HIGH", evidence={"park": park})
            if len(hits) > 1:
                return RuleResult(
                    self.name, reason=Reason.MULTIPLE_CANDIDATES, evidence={"drivers": hits[:3]}
                )
        return RuleResult(self.name, reason=Reason.NO_CANDIDATES)


@dataclass(frozen=True)
class PlateExactNameSimilar:
    """R3 (hire date null or in the window) and R3b (no window): plate exact in the target
    park, then name similarity >= threshold with a gap >= 0.15 to the runner-up."""

    name: Rule
    with_window: bool
    fixed_score: float | None  # R3: 85; R3b: int(similarity * 100)
    required: tuple[str, ...] = ("plate_norm", "name_tokens")

    def run(self, cand: dict, pairs: list[dict], s: MatchSettings) -> RuleResult:
        lo, hi = s.hire_window
        hits = [
            p for p in pairs
            if p["plate_exact"] and p["target"]
            and (not self.with_window or p["hire_days"] is None or lo <= p["hire_days"] <= hi)
        ]  # fmt: skip
        return name_choice(self.name, cand, hits, s, self.fixed_score, "MEDIUM")


@dataclass(frozen=True)
class CarFingerprintNameSimilar:
    """R4: same brand and model in the target park, hire date in [-30, +7] days, then the name
    tests. Needs the lead's brand: no lead source has one, so it never runs on leads."""

    name: Rule = Rule.R4_CAR_FINGERPRINT_NAME_SIMILAR
    required: tuple[str, ...] = ("brand_norm", "model_norm", "name_tokens")
    window: tuple[int, int] = (-30, 7)

    def run(self, cand: dict, pairs: list[dict], s: MatchSettings) -> RuleResult:
        lo, hi = self.window
        hits = [
            p for p in pairs
            if p["target"] and p.get("brand_norm_d") == cand["brand_norm"]
            and p["model_norm_d"] == cand["model_norm"]
            and (p["hire_days"] is None or lo <= p["hire_days"] <= hi)
        ]  # fmt: skip
        return name_choice(self.name, cand, hits, s, 75.0, "LOW")


def name_choice(
    rule: Rule, cand: dict, hits: list[dict], s: MatchSettings, score: float | None, conf: str
) -> RuleResult:
    """The reference's name tests over a rule's hits: threshold, then the 0.15 gap."""
    if not hits:
        return RuleResult(rule, reason=Reason.NO_CANDIDATES)
    scored = sorted(
        ((ct4_similarity(cand["name_tokens"], p["name_tokens_d"]), p["driver_id_d"]) for p in hits),
        reverse=True,
    )
    kept = [x for x in scored if x[0] >= s.name_threshold]
    if not kept:
        return RuleResult(
            rule,
            reason=Reason.WEAK_MATCH_ONLY,
            evidence={"best_similarity": round(scored[0][0], 3)},
        )
    if len(kept) >= 2 and kept[0][0] - kept[1][0] < s.name_gap:
        gap = round(kept[0][0] - kept[1][0], 3)
        return RuleResult(rule, reason=Reason.MULTIPLE_CANDIDATES, evidence={"gap": gap})
    sim, driver = kept[0]
    points = score if score is not None else float(int(sim * 100))
    return RuleResult(rule, driver, points, conf, evidence={"name_similarity": round(sim, 3)})


R1 = ExactMatch(Rule.R1_PHONE_EXACT, ("phone_norm",), "phone_eq", 95.0)
R2 = ExactMatch(Rule.R2_LICENSE_EXACT, ("license_norm",), "license_eq", 92.0)
R3 = PlateExactNameSimilar(Rule.R3_PLATE_EXACT_NAME_SIMILAR, with_window=True, fixed_score=85.0)
R3B = PlateExactNameSimilar(Rule.R3B, with_window=False, fixed_score=None)
R4 = CarFingerprintNameSimilar()


@dataclass(frozen=True)
class Ct4Rules:
    """The reference's rules in its order; R3b runs only when R3 found NO_CANDIDATES."""

    rules: tuple[CtRule, ...] = field(default=(R1, R2, R3, R4))

    def run(
        self, cand: dict, pairs: list[dict], s: MatchSettings, linked: AbstractSet[str]
    ) -> list[RuleResult]:
        results = []
        for rule in self.rules:
            if not all(cand.get(col) for col in rule.required):
                continue  # a rule runs only when its inputs are present
            result = rule.run(cand, pairs, s)
            results.append(result)
            if rule is R3 and result.reason is Reason.NO_CANDIDATES:
                results.append(_needs_person(R3B.run(cand, pairs, s), linked))
        return results


def _needs_person(result: RuleResult, linked: AbstractSet[str]) -> RuleResult:
    """R3b links only to an existing person: a driver nobody is linked to is NO_PERSON_KEY."""
    if result.driver_id is None or result.driver_id in linked:
        return result
    evidence = {**(result.evidence or {}), "driver_id": result.driver_id}
    return RuleResult(result.rule, reason=Reason.NO_PERSON_KEY, evidence=evidence)


def run_rules(
    cand: dict, pairs: list[dict], s: MatchSettings, linked: AbstractSet[str] = frozenset()
) -> list[RuleResult]:
    return Ct4Rules().run(cand, pairs, s, linked)


def combine(results: list[RuleResult]) -> Decision:
    """REF §3.5, clause by clause - including its defect that one match beats an ambiguity."""
    if not results:  # 2. no usable identifiers
        return Decision(Outcome.UNMATCHED, Reason.NO_CANDIDATES, evidence={"applied_rules": []})
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
        evidence={"applied_rules": [r.rule.value for r in results], **(first.evidence or {})},
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


def decide(
    cand: dict, pairs: list[dict], s: MatchSettings, linked: AbstractSet[str] = frozenset()
) -> Decision:
    """`linked`: ids of drivers that already belong to a person (R3b's requirement)."""
    return combine(run_rules(cand, pairs, s, linked))
