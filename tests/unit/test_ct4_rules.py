"""The reference rules (REF §3.1-§3.6) as the baseline: each rule, each reason, §3.5 clause by
clause. Table-driven: (lead, drivers, expected outcome / rule / reason)."""

from __future__ import annotations

import pytest

from idgap.matching import ct4
from idgap.matching.model import Outcome, Reason, Rule
from idgap.matching.similarity import ct4_similarity
from tests.unit.match_support import OTHER, candidate, decide, index_of

NAME = "Juan Carlos Quispe Mamani"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("JUAN PEREZ", "JUAN CARLOS PEREZ", 0.6667),  # REF §3.1 worked example: passes 0.66
        ("A B C D", "A B", 0.5),  # 2 shared of 4: fails 0.66
        ("A B X Y", "A B Z W", 0.4167),  # jaccard 2/6, overlap 2/4
        ("PEREZ JUAN", "JUAN PEREZ", 1.0),  # order-free
        ("ANA", "", 0.0),
    ],
)
def test_name_similarity_is_mean_of_jaccard_and_overlap(a, b, expected):
    assert ct4_similarity(a.split(), b.split()) == pytest.approx(expected, abs=1e-4)


def test_worked_example_passes_threshold_and_half_fails():
    assert ct4_similarity("JUAN PEREZ".split(), "JUAN CARLOS PEREZ".split()) >= 0.66
    assert ct4_similarity("A B C D".split(), "A B".split()) < 0.66


# (case, lead kwargs, drivers, outcome, driver_id, rule or reason, score, confidence)
RULE_TABLE = [
    (
        "R1 phone exact in the target park",
        {"phone": "+51 987 654 321"},
        [{"driver_id": "D1", "phone": "987654321"}],
        ("matched", "D1", "R1_PHONE_EXACT", 95.0, "HIGH"),
    ),
    (
        "R1 falls back to another park (reference defect 6, kept)",
        {"phone": "987654321"},
        [{"driver_id": "D9", "phone": "987654321", "park_id": OTHER}],
        ("matched", "D9", "R1_PHONE_EXACT", 95.0, "HIGH"),
    ),
    (
        "R1 target park wins over another park",
        {"phone": "987654321"},
        [
            {"driver_id": "D1", "phone": "987654321"},
            {"driver_id": "D9", "phone": "987654321", "park_id": OTHER},
        ],
        ("matched", "D1", "R1_PHONE_EXACT", 95.0, "HIGH"),
    ),
    (
        "R1 two drivers share the phone",
        {"phone": "987654321"},
        [{"driver_id": "D1", "phone": "987654321"}, {"driver_id": "D2", "phone": "987654321"}],
        ("unmatched", None, "MULTIPLE_CANDIDATES", None, None),
    ),
    (
        "R1 nothing with that phone",
        {"phone": "987654321"},
        [{"driver_id": "D1", "phone": "911111111"}],
        ("unmatched", None, "NO_CANDIDATES", None, None),
    ),
    (
        "R2 license exact (scouting row)",
        {"license": "q-12345678", "table": "module_ct_scouting_daily"},
        [{"driver_id": "D1", "license_number": "Q12345678"}],
        ("matched", "D1", "R2_LICENSE_EXACT", 92.0, "HIGH"),
    ),
    (
        "R3 plate exact, name similar, hire in window",
        {"plate": "ABC-123", "name": NAME},
        [{"driver_id": "D1", "car_number": "ABC123", "full_name": NAME}],
        ("matched", "D1", "R3_PLATE_EXACT_NAME_SIMILAR", 85.0, "MEDIUM"),
    ),
    (
        "R3 hire date null counts as in window",
        {"plate": "ABC123", "name": NAME},
        [{"driver_id": "D1", "car_number": "ABC123", "full_name": NAME, "hire_date": None}],
        ("matched", "D1", "R3_PLATE_EXACT_NAME_SIMILAR", 85.0, "MEDIUM"),
    ),
    (
        "R3 worked example 0.667 passes",
        {"plate": "ABC123", "name": "Juan Perez"},
        [{"driver_id": "D1", "car_number": "ABC123", "full_name": "Juan Carlos Perez"}],
        ("matched", "D1", "R3_PLATE_EXACT_NAME_SIMILAR", 85.0, "MEDIUM"),
    ),
    (
        "R3 two shared of four (0.5) is weak",
        {"plate": "ABC123", "name": "Juan Carlos Quispe Mamani"},
        [{"driver_id": "D1", "car_number": "ABC123", "full_name": "Juan Carlos"}],
        ("unmatched", None, "WEAK_MATCH_ONLY", None, None),
    ),
    (
        "R3 two names within 0.15 is ambiguous",
        {"plate": "ABC123", "name": NAME},
        [
            {"driver_id": "D1", "car_number": "ABC123", "full_name": "Juan Carlos Quispe"},
            {"driver_id": "D2", "car_number": "ABC123", "full_name": "Juan Quispe Mamani"},
        ],
        ("unmatched", None, "MULTIPLE_CANDIDATES", None, None),
    ),
    (
        "R3 plate only in another park is no candidate",
        {"plate": "ABC123", "name": NAME},
        [{"driver_id": "D9", "car_number": "ABC123", "full_name": NAME, "park_id": OTHER}],
        ("unmatched", None, "NO_CANDIDATES", None, None),
    ),
    (
        "R3b: plate hit only outside the window; score int(sim*100)",
        {"plate": "ABC123", "name": "Juan Perez"},
        [
            {
                "driver_id": "D1",
                "car_number": "ABC123",
                "full_name": "Juan Carlos Perez",
                "hire_date": "2024-01-01",
                "has_person": True,
            }
        ],
        ("matched", "D1", "R3b", 66.0, "MEDIUM"),
    ),
    (
        "R3b: same driver without a person: NO_PERSON_KEY, reported as R3's NO_CANDIDATES",
        {"plate": "ABC123", "name": "Juan Perez"},
        [
            {
                "driver_id": "D1",
                "car_number": "ABC123",
                "full_name": "Juan Carlos Perez",
                "hire_date": "2024-01-01",
            }
        ],
        ("unmatched", None, "NO_CANDIDATES", None, None),
    ),
    (
        "R3b not run when R3 had a candidate in the window (WEAK_MATCH_ONLY stands)",
        {"plate": "ABC123", "name": NAME},
        [
            {"driver_id": "D1", "car_number": "ABC123", "full_name": "Pedro Rojas"},
            {
                "driver_id": "D2",
                "car_number": "ABC123",
                "full_name": NAME,
                "hire_date": "2020-01-01",
            },
        ],
        ("unmatched", None, "WEAK_MATCH_ONLY", None, None),
    ),
    (
        "no usable identifiers",
        {"name": NAME},
        [{"driver_id": "D1", "full_name": NAME}],
        ("unmatched", None, "NO_CANDIDATES", None, None),
    ),
    (
        "R4 never runs for a lead (no brand), so a model alone finds nothing",
        {"name": NAME, "model": "Toyota Yaris"},
        [{"driver_id": "D1", "full_name": NAME, "car_brand": "Toyota", "car_model": "Yaris"}],
        ("unmatched", None, "NO_CANDIDATES", None, None),
    ),
]


@pytest.mark.parametrize(
    ("case", "lead", "drivers", "expected"),
    RULE_TABLE,
    ids=lambda x: x if isinstance(x, str) else "",
)  # noqa: E501
def test_ct4_rule_table(case, lead, drivers, expected):
    linked = [x["driver_id"] for x in drivers if x.get("has_person")]  # a `drivers` link
    rows = [{k: v for k, v in x.items() if k != "has_person"} for x in drivers]
    d = decide(candidate(**lead), index_of(*rows), "ct4", linked=linked)
    outcome, driver, code, score, confidence = expected
    assert (d["outcome"], d["driver_id"], d["reason_code"]) == (outcome, driver, code), case
    assert (d["score"], d["confidence"]) == (score, confidence), case
    if outcome == "matched":
        assert d["rule"] == code


def test_one_matching_rule_wins_over_another_rules_ambiguity_via_engine():
    """§3.5 point 3 on real frames: ambiguous phone, unique plate+name -> matched (defect kept)."""
    ix = index_of(
        {"driver_id": "D1", "phone": "987654321"},
        {"driver_id": "D2", "phone": "987654321", "car_number": "ABC123", "full_name": NAME},
    )
    d = decide(candidate(phone="987654321", plate="ABC123", name=NAME), ix, "ct4")
    assert (d["outcome"], d["driver_id"], d["rule"]) == (
        "matched",
        "D2",
        "R3_PLATE_EXACT_NAME_SIMILAR",
    )


def test_rules_pointing_to_different_drivers_is_multiple_candidates_via_engine():
    ix = index_of(
        {"driver_id": "D1", "phone": "987654321"},
        {"driver_id": "D2", "car_number": "ABC123", "full_name": NAME},
    )
    d = decide(candidate(phone="987654321", plate="ABC123", name=NAME), ix, "ct4")
    assert (d["outcome"], d["reason_code"]) == ("unmatched", "MULTIPLE_CANDIDATES")
    assert {c["driver_id"] for c in d["candidates"]} == {"D1", "D2"}


def r(rule: Rule, driver: str | None = None, score: float | None = None, reason=None):
    conf = "HIGH" if score and score >= 90 else "MEDIUM"
    return ct4.RuleResult(rule, driver, score, conf if driver else None, reason)


R1, R3, R3B = Rule.R1_PHONE_EXACT, Rule.R3_PLATE_EXACT_NAME_SIMILAR, Rule.R3B
MULTI, NONE, WEAK = Reason.MULTIPLE_CANDIDATES, Reason.NO_CANDIDATES, Reason.WEAK_MATCH_ONLY

COMBINE_TABLE = [
    # 2. no rule ran (no usable identifiers)
    ("2", [], (Outcome.UNMATCHED, "NO_CANDIDATES", None)),
    # 3. exactly one match wins, even if another rule said MULTIPLE_CANDIDATES (defect kept)
    (
        "3",
        [r(R1, reason=MULTI), r(R3, "D1", 85.0)],
        (Outcome.MATCHED, "R3_PLATE_EXACT_NAME_SIMILAR", "D1"),
    ),  # noqa: E501
    ("3", [r(R1, "D1", 95.0), r(R3, reason=WEAK)], (Outcome.MATCHED, "R1_PHONE_EXACT", "D1")),
    # 4. several matches, same driver: the highest score
    ("4", [r(R3, "D1", 85.0), r(R1, "D1", 95.0)], (Outcome.MATCHED, "R1_PHONE_EXACT", "D1")),
    # 5. several matches, different drivers: MULTIPLE_CANDIDATES with a preview of 3
    ("5", [r(R1, "D1", 95.0), r(R3, "D2", 85.0)], (Outcome.UNMATCHED, "MULTIPLE_CANDIDATES", None)),  # noqa: E501
    # 6. only reasons: the first in rule order
    ("6", [r(R1, reason=NONE), r(R3, reason=WEAK)], (Outcome.UNMATCHED, "NO_CANDIDATES", None)),
    (
        "6",
        [r(R1, reason=MULTI), r(R3, reason=NONE), r(R3B, reason=WEAK)],
        (Outcome.UNMATCHED, "MULTIPLE_CANDIDATES", None),
    ),  # noqa: E501
]


@pytest.mark.parametrize(("clause", "results", "expected"), COMBINE_TABLE)
def test_combination_policy_clause_by_clause(clause, results, expected):
    d = ct4.combine(results)
    assert (d.outcome, str(d.reason), d.driver_id) == expected, f"§3.5 point {clause}"


def test_clause_5_preview_lists_the_disagreeing_rules():
    d = ct4.combine([r(R1, "D1", 95.0), r(R3, "D2", 85.0)])
    assert [(c["driver_id"], c["rule"]) for c in d.candidates] == [
        ("D1", "R1_PHONE_EXACT"),
        ("D2", "R3_PLATE_EXACT_NAME_SIMILAR"),
    ]


def test_clause_1_rules_run_only_with_their_inputs_in_reference_order():
    rules = ct4.Ct4Rules()
    assert [x.name for x in rules.rules] == [
        Rule.R1_PHONE_EXACT,
        Rule.R2_LICENSE_EXACT,
        Rule.R3_PLATE_EXACT_NAME_SIMILAR,
        Rule.R4_CAR_FINGERPRINT_NAME_SIMILAR,
    ]
    lead = {"phone_norm": "987654321", "license_norm": None, "plate_norm": None,
            "name_tokens": ["JUAN"], "brand_norm": None, "model_norm": None}  # fmt: skip
    ran = rules.run(lead, [], ct4.MatchSettings(), frozenset())
    assert [x.rule for x in ran] == [Rule.R1_PHONE_EXACT]


def test_r3b_links_only_a_driver_that_already_has_a_person():
    """REF §3.3: R3b's driver must already have a `drivers` link, else NO_PERSON_KEY; the
    final reason is still the first in rule order (§3.5 clause 6), R3's NO_CANDIDATES."""
    lead = {"phone_norm": None, "license_norm": None, "plate_norm": "ABC123",
            "name_tokens": ["JUAN", "PEREZ"], "brand_norm": None, "model_norm": None}  # fmt: skip
    pair = {"driver_id_d": "D1", "plate_exact": True, "target": True, "hire_days": -700,
            "name_tokens_d": ["JUAN", "CARLOS", "PEREZ"]}  # fmt: skip
    s = ct4.MatchSettings()
    alone = ct4.run_rules(lead, [pair], s)
    assert [(x.rule, x.reason) for x in alone] == [
        (Rule.R3_PLATE_EXACT_NAME_SIMILAR, Reason.NO_CANDIDATES),
        (Rule.R3B, Reason.NO_PERSON_KEY),
    ]
    assert alone[1].evidence == {"name_similarity": 0.667, "driver_id": "D1"}
    assert ct4.combine(alone).reason == Reason.NO_CANDIDATES
    linked = ct4.decide(lead, [pair], s, frozenset({"D1"}))
    assert (linked.outcome, linked.driver_id, linked.rule, linked.score) == (
        Outcome.MATCHED, "D1", "R3b", 66.0,
    )  # fmt: skip


def test_ct4_settings_are_recorded_in_the_evidence():
    d = decide(
        candidate(phone="987654321"), index_of({"driver_id": "D1", "phone": "987654321"}), "ct4"
    )
    assert d["evidence"]["thresholds"] == {"name": 0.66, "gap": 0.15, "hire_window": [-90, 30]}
    assert d["evidence"]["inputs"]["phone_norm"] == "987654321"
    assert (d["ruleset"], d["ruleset_version"]) == ("ct4", ct4.VERSION)
