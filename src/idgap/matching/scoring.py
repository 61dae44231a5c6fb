"""idgap's ruleset: score every candidate on all its evidence, link only when clearly safe.

Points (0-100 scale, capped): phone +45, license +45, plate exact +35 / one confusable +25,
name similarity x45 (a name that contradicts, < 0.35, costs 25), hire date inside the
reference window +8 / within a year +3 (evidence, not a gate), same car model +4.
Auto-link: best target-park candidate >= 75, ahead of the runner-up by >= 15, name >= 0.5.
Accounts in other parks are shown to reviewers but never linked (SPEC §4.3).
"""

from __future__ import annotations

from typing import Any

from idgap.matching.model import Decision, Outcome, Reason, Rule, confidence_for
from idgap.matching.settings import MatchSettings
from idgap.matching.similarity import fuzzy_similarity

VERSION = "idgap-1.0"


def score_pair(cand: dict, p: dict, s: MatchSettings) -> tuple[float, dict[str, Any]]:
    name_sim = fuzzy_similarity(cand["name_tokens"] or [], p["name_tokens_d"] or [])
    ev: dict[str, Any] = {"name_similarity": round(name_sim, 3)}
    pts = 0.0
    if p["phone_eq"]:
        pts += 45
        ev["phone"] = "same"
    if p["license_eq"]:
        pts += 45
        ev["license"] = "same"
    if p["plate_exact"]:
        pts += 35
        ev["plate"] = "same"
    elif p["plate_conf"]:
        pts += 25
        ev["plate"] = "one confusable character"
    elif cand["plate_norm"] and p["plate_norm_d"]:
        ev["plate"] = "different"
    if cand["name_tokens"] and p["name_tokens_d"]:
        pts += 45 * name_sim
        if name_sim < 0.35:
            pts -= 25
            ev["name"] = "contradicts"
    days = p["hire_days"]
    if days is not None:
        ev["hire_days_from_lead"] = days
        lo, hi = s.hire_window
        if lo <= days <= hi:
            pts += 8
        elif -365 <= days <= 120:
            pts += 3
    lm, dm = cand["model_norm"], p["model_norm_d"]
    if lm and dm and (dm in lm or lm in dm):
        pts += 4
        ev["model"] = "same"
    ev["park"] = "target" if p["target"] else "other"
    return min(pts, 100.0), ev


def decide(cand: dict, pairs: list[dict], s: MatchSettings) -> Decision:
    if not pairs:
        return Decision(Outcome.UNMATCHED, Reason.NO_CANDIDATES)
    scored = []
    for p in pairs:
        pts, ev = score_pair(cand, p, s)
        scored.append(
            {
                "driver_id": p["driver_id_d"],
                "park_id": p["park_id_d"],
                "target": p["target"],
                "score": round(pts, 1),
                "evidence": ev,
            }
        )
    scored.sort(key=lambda c: (-c["score"], c["driver_id"]))
    shown = [{k: v for k, v in c.items() if k != "target"} for c in scored[: s.max_candidates]]
    target = [c for c in scored if c["target"]]
    best = target[0] if target else None
    second = target[1]["score"] if len(target) > 1 else 0.0
    if best and best["score"] >= s.auto_link_score:
        safe_margin = best["score"] - second >= s.auto_link_margin
        if safe_margin and best["evidence"]["name_similarity"] >= s.auto_link_min_name:
            return Decision(
                Outcome.MATCHED,
                Rule.IG_SCORED.value,
                driver_id=best["driver_id"],
                rule=Rule.IG_SCORED.value,
                score=best["score"],
                confidence=confidence_for(best["score"]),
                evidence=best["evidence"],
                candidates=shown,
            )
        reason = Reason.MULTIPLE_CANDIDATES if not safe_margin else Reason.WEAK_MATCH_ONLY
        return Decision(Outcome.REVIEW, reason, candidates=shown, score=best["score"])
    if best and best["score"] >= s.review_score:
        return Decision(
            Outcome.REVIEW, Reason.WEAK_MATCH_ONLY, candidates=shown, score=best["score"]
        )
    other = [c for c in scored if not c["target"]]
    if other and other[0]["score"] >= s.other_park_review_score:
        return Decision(
            Outcome.REVIEW, Reason.OTHER_PARK_ONLY, candidates=shown, score=other[0]["score"]
        )
    return Decision(Outcome.UNMATCHED, Reason.WEAK_MATCH_ONLY, candidates=shown)
