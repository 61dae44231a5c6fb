"""The engine's rules, table-driven: normalisation, the reference rules, idgap's scoring."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from idgap.matching import ct4
from idgap.matching.engine import match_candidates
from idgap.matching.index import build_driver_index, index_version, update_driver_index
from idgap.matching.model import Outcome, Reason, Rule
from idgap.matching.normalize import normalize_candidates
from idgap.matching.similarity import ct4_similarity, fuzzy_similarity

PARK = "08e20910d81d42658d4334d3f6d10ac0"
OTHER = "ffffffffffffffffffffffffffffffff"
LEAD_DAY = dt.date(2026, 1, 10)


def norm(**raw: str | None) -> dict:
    df = pl.DataFrame({k: [v] for k, v in raw.items()}, schema={k: pl.Utf8 for k in raw})
    return normalize_candidates(df).row(0, named=True)


# --- normalisation (SPEC §4.1) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["+51 987 654 321", "987654321", "51987654321", "987-654-321", "(51) 987654321"]
)
def test_phone_formats_are_equal(raw):
    assert norm(phone_raw=raw)["phone_norm"] == "987654321"


def test_short_phone_is_no_phone():
    assert norm(phone_raw="12-34-567")["phone_norm"] is None


def test_names_fold_accents_drop_stopwords_and_punctuation():
    row = norm(name_raw="  José  Núñez de la Peña-Ibáñez ")
    assert row["name_norm"] == "JOSE NUNEZ DE LA PENA IBANEZ"
    assert row["name_tokens"] == ["JOSE", "NUNEZ", "PENA", "IBANEZ"]


def test_plate_and_license_keep_only_alnum_upper():
    row = norm(plate_raw="abc - 12·3", license_raw="q-1234.5678")
    assert (row["plate_norm"], row["license_norm"]) == ("ABC123", "Q12345678")


def test_model_keeps_digits():
    assert norm(model_raw="Toyota Yaris 2020")["model_norm"] == "TOYOTA YARIS 2020"


names = st.text(alphabet="abcdefghijklmnñopqrstuvwxyzáéíóúü ÁÉÍÓÚÑ-'.", max_size=40)


@given(names)
def test_name_normalisation_is_idempotent_and_case_insensitive(s):
    once = norm(name_raw=s)["name_norm"]
    assert norm(name_raw=once)["name_norm"] == once
    assert norm(name_raw=s.upper())["name_norm"] == once
    assert norm(name_raw=f"  {s}  ".replace(" ", "   "))["name_norm"] == once


@given(
    st.integers(900_000_000, 999_999_999),
    st.sampled_from(["{p}", "+51 {p}", "51{p}", "{a}-{b}-{c}"]),
)
def test_phone_format_never_changes_the_key(p, fmt):
    s = str(p)
    raw = fmt.format(p=s, a=s[:3], b=s[3:6], c=s[6:])
    assert norm(phone_raw=raw)["phone_norm"] == s


# --- similarity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("JUAN PEREZ", "JUAN CARLOS PEREZ", 0.667),  # REF §3.1 worked example: passes 0.66
        ("JUAN CARLOS PEREZ LOPEZ", "JUAN PEDRO PEREZ GOMEZ", 0.4167),
        ("ANA TORRES", "ANA TORRES", 1.0),
        ("ANA", "", 0.0),
    ],
)
def test_ct4_similarity(a, b, expected):
    assert ct4_similarity(a.split(), b.split()) == pytest.approx(expected, abs=1e-3)


def test_two_shared_of_four_is_one_half():
    assert ct4_similarity("A B C D".split(), "A B".split()) == pytest.approx(0.5)  # REF: fails 0.66
    assert ct4_similarity("A B X Y".split(), "A B Z W".split()) == pytest.approx(0.4167, abs=1e-3)


def test_fuzzy_similarity_forgives_typos_order_and_missing_surname():
    driver = "JUAN CARLOS QUISPE MAMANI".split()
    assert fuzzy_similarity("QUISPE MAMANI JUAN CARLOS".split(), driver) == pytest.approx(1.0)
    assert fuzzy_similarity("JUAN CARLOS QUIPSE MAMANI".split(), driver) > 0.85
    assert fuzzy_similarity("JUAN QUISPE".split(), driver) == pytest.approx(0.75)
    assert fuzzy_similarity("PEDRO ROJAS".split(), driver) == 0.0


# --- the engine on tiny parks -----------------------------------------------------------------


def drivers(*rows: dict) -> pl.DataFrame:
    base = {
        "park_id": PARK,
        "phone": None,
        "license_number": None,
        "full_name": None,
        "car_number": None,
        "car_model": None,
        "hire_date": "2026-01-12",
    }
    return build_driver_index(pl.DataFrame([{**base, **r} for r in rows], infer_schema_length=None))


def lead(
    pk="L1", name="Juan Carlos Quispe Mamani", plate="ABC-123", phone=None, day=LEAD_DAY, model=None
):
    return pl.DataFrame(
        [
            {
                "source_table": "module_ct_cabinet_leads",
                "source_pk": pk,
                "lead_date": day,
                "phone_raw": phone,
                "license_raw": None,
                "name_raw": name,
                "plate_raw": plate,
                "model_raw": model,
            }
        ]
    )


def decide(cands, index, ruleset="idgap", linked=()) -> dict:
    return match_candidates(
        cands, index, ruleset=ruleset, index_version="v", linked_drivers=linked
    ).row(0, named=True)


def test_ct4_r1_phone_unique_in_target_park():
    ix = drivers({"driver_id": "D1", "phone": "987654321", "full_name": "X Y"})
    d = decide(lead(phone="+51 987 654 321", plate=None), ix, "ct4")
    assert (d["outcome"], d["driver_id"], d["rule"], d["score"]) == (
        "matched",
        "D1",
        "R1_PHONE_EXACT",
        95.0,
    )


def test_ct4_r1_duplicate_phone_is_multiple_candidates():
    ix = drivers(
        {"driver_id": "D1", "phone": "987654321"}, {"driver_id": "D2", "phone": "987654321"}
    )
    d = decide(lead(phone="987654321", plate=None), ix, "ct4")
    assert (d["outcome"], d["reason_code"]) == ("unmatched", "MULTIPLE_CANDIDATES")


def test_ct4_r3_plate_in_window_with_name():
    ix = drivers(
        {"driver_id": "D1", "car_number": "ABC123", "full_name": "Juan Carlos Quispe Mamani"}
    )
    d = decide(lead(), ix, "ct4")
    assert (d["driver_id"], d["rule"], d["confidence"]) == (
        "D1",
        "R3_PLATE_EXACT_NAME_SIMILAR",
        "MEDIUM",
    )


def test_ct4_weak_name_is_weak_match_only():
    ix = drivers({"driver_id": "D1", "car_number": "ABC123", "full_name": "Pedro Rojas"})
    assert decide(lead(), ix, "ct4")["reason_code"] == "WEAK_MATCH_ONLY"


def test_ct4_two_close_names_on_one_plate_is_multiple():
    ix = drivers(
        {"driver_id": "D1", "car_number": "ABC123", "full_name": "Juan Carlos Quispe Mamani"},
        {"driver_id": "D2", "car_number": "ABC123", "full_name": "Juan Carlos Quispe Mamani"},
    )
    assert decide(lead(), ix, "ct4")["reason_code"] == "MULTIPLE_CANDIDATES"


def test_ct4_r3b_finds_plate_outside_hire_window():
    ix = drivers(
        {
            "driver_id": "D1",
            "car_number": "ABC123",
            "full_name": "Juan Carlos Quispe Mamani",
            "hire_date": "2024-01-01",
        }
    )
    d = decide(lead(), ix, "ct4", linked=["D1"])  # R3b needs the driver's existing person
    assert (d["driver_id"], d["rule"], d["score"]) == ("D1", "R3b", 100.0)
    assert decide(lead(), ix, "ct4")["driver_id"] is None  # NO_PERSON_KEY without one


def test_no_identifiers_is_no_candidates_and_missing_date_is_missing_keys():
    ix = drivers({"driver_id": "D1", "car_number": "ZZZ999"})
    assert decide(lead(name=None, plate=None), ix)["reason_code"] == "NO_CANDIDATES"
    assert decide(lead(day=None), ix)["reason_code"] == "MISSING_KEYS"


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([], ("unmatched", "NO_CANDIDATES")),  # 2. nothing ran
        (
            [
                ct4.RuleResult(Rule.R1_PHONE_EXACT, reason=Reason.MULTIPLE_CANDIDATES),
                ct4.RuleResult(Rule.R3_PLATE_EXACT_NAME_SIMILAR, "D1", 85.0, "MEDIUM"),
            ],
            ("matched", "D1"),
        ),  # 3.
        (
            [
                ct4.RuleResult(Rule.R1_PHONE_EXACT, "D1", 95.0, "HIGH"),
                ct4.RuleResult(Rule.R3_PLATE_EXACT_NAME_SIMILAR, "D1", 85.0, "MEDIUM"),
            ],
            ("matched", "D1"),
        ),  # 4.
        (
            [
                ct4.RuleResult(Rule.R1_PHONE_EXACT, "D1", 95.0, "HIGH"),
                ct4.RuleResult(Rule.R3_PLATE_EXACT_NAME_SIMILAR, "D2", 85.0, "MEDIUM"),
            ],
            ("unmatched", "MULTIPLE_CANDIDATES"),
        ),  # 5. rules disagree
        (
            [
                ct4.RuleResult(Rule.R1_PHONE_EXACT, reason=Reason.NO_CANDIDATES),
                ct4.RuleResult(Rule.R3_PLATE_EXACT_NAME_SIMILAR, reason=Reason.WEAK_MATCH_ONLY),
            ],
            ("unmatched", "NO_CANDIDATES"),
        ),  # 6. first reason in rule order
    ],
)
def test_ct4_combination_policy_clause_by_clause(results, expected):
    d = ct4.combine(results)
    got = (d.outcome.value, d.driver_id if d.outcome is Outcome.MATCHED else d.reason)
    assert got == expected


def test_idgap_links_confusable_plate_and_reordered_name():
    ix = drivers(
        {"driver_id": "D1", "car_number": "A8C-155", "full_name": "Juan Carlos Quispe Mamani"}
    )
    d = decide(lead(plate="ABC 1S5", name="Quispe Mamani Juan Carlos"), ix)
    assert (d["outcome"], d["driver_id"]) == ("matched", "D1")


def test_idgap_never_links_another_parks_account():
    ix = drivers(
        {
            "driver_id": "D9",
            "park_id": OTHER,
            "phone": "987654321",
            "car_number": "ABC123",
            "full_name": "Juan Carlos Quispe Mamani",
        }
    )
    d = decide(lead(phone="987654321"), ix)
    assert (d["outcome"], d["reason_code"], d["driver_id"]) == ("review", "OTHER_PARK_ONLY", None)
    assert '"D9"' in d["candidates_json"]


def test_idgap_conflicting_strong_evidence_goes_to_review():
    ix = drivers(
        {"driver_id": "D1", "phone": "987654321", "full_name": "Juan Carlos Quispe Mamani"},
        {"driver_id": "D2", "car_number": "ABC123", "full_name": "Juan Carlos Quispe Mamani"},
    )
    d = decide(lead(phone="987654321"), ix)
    assert (d["outcome"], d["reason_code"]) == ("review", "MULTIPLE_CANDIDATES")


def test_idgap_family_car_prefers_the_right_given_name():
    ix = drivers(
        {"driver_id": "D1", "car_number": "ABC123", "full_name": "Juan Carlos Quispe Mamani"},
        {"driver_id": "D2", "car_number": "ABC123", "full_name": "Rosa Quispe Mamani"},
    )
    d = decide(lead(), ix)
    assert (d["outcome"], d["driver_id"]) == ("matched", "D1")


def test_idgap_hire_far_outside_window_still_links_strong_unique_evidence():
    ix = drivers(
        {
            "driver_id": "D1",
            "car_number": "ABC123",
            "full_name": "Juan Carlos Quispe Mamani",
            "hire_date": "2023-03-01",
        }
    )
    assert decide(lead(), ix)["driver_id"] == "D1"


def test_index_version_changes_with_content_and_update_is_incremental():
    raw = pl.DataFrame(
        {"driver_id": ["D1", "D2"], "park_id": [PARK, PARK], "car_number": ["A", "B"]}
    )
    ix = build_driver_index(raw)
    changed = raw.with_columns(car_number=pl.Series(["A", "C"]))
    ix2 = update_driver_index(ix, changed)
    assert index_version(ix2) != index_version(ix)
    assert index_version(update_driver_index(ix2, changed)) == index_version(ix2)
