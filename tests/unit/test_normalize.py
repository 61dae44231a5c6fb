"""SPEC §4.1 normalisation: one set of Polars expressions, the same for leads and drivers."""

from __future__ import annotations

import re
import unicodedata

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idgap.matching.index import build_driver_index
from idgap.matching.normalize import (
    STOPWORDS,
    normalize_candidates,
    parse_date_text,
    plate_skeleton,
)


def norm(**raw: str | None) -> dict:
    df = pl.DataFrame({k: [v] for k, v in raw.items()}, schema={k: pl.Utf8 for k in raw})
    return normalize_candidates(df).row(0, named=True)


def python_name(raw: str) -> str | None:
    """Plain-Python twin of `normalize.name`, to check the expressions against (tests only)."""
    folded = "".join(
        c for c in unicodedata.normalize("NFD", raw.upper()) if not unicodedata.combining(c)
    )
    cleaned = re.sub(r" +", " ", re.sub(r"[^A-Z ]", " ", folded)).strip()
    return cleaned or None


@pytest.mark.parametrize(
    "raw", ["+51 987 654 321", "987654321", "51987654321", "987-654-321", "(51) 987 654 321"]
)
def test_phone_formats_compare_equal_on_the_last_nine_digits(raw):
    assert norm(phone_raw=raw)["phone_norm"] == "987654321"


@pytest.mark.parametrize(("raw", "expected"), [("1234567", None), ("12-34-5678", "12345678")])
def test_fewer_than_eight_digits_is_no_phone(raw, expected):
    assert norm(phone_raw=raw)["phone_norm"] == expected


@pytest.mark.parametrize(
    ("raw", "norm_", "tokens"),
    [
        ("  José  Núñez de la Peña ", "JOSE NUNEZ DE LA PENA", ["JOSE", "NUNEZ", "PENA"]),
        (
            "MARÍA DEL CARMEN Y LOS ÁNGELES",
            "MARIA DEL CARMEN Y LOS ANGELES",
            ["MARIA", "CARMEN", "ANGELES"],
        ),  # noqa: E501
        ("o'brien-ibáñez 3ro", "O BRIEN IBANEZ RO", ["O", "BRIEN", "IBANEZ", "RO"]),
        ("   ", None, None),
    ],
)
def test_names_upper_folded_letters_only_minus_stopwords(raw, norm_, tokens):
    row = norm(name_raw=raw)
    assert row["name_norm"] == norm_
    assert row["name_tokens"] == tokens


@pytest.mark.parametrize(
    ("raw", "expected"), [("abc-123", "ABC123"), (" a b·c 1.2 3 ", "ABC123"), ("--", None)]
)
def test_plate_and_license_keep_upper_alnum(raw, expected):
    row = norm(plate_raw=raw, license_raw=raw)
    assert row["plate_norm"] == row["license_norm"] == expected


def test_model_keeps_digits_and_folds_accents():
    assert norm(model_raw="Toyota Yaris 2020")["model_norm"] == "TOYOTA YARIS 2020"
    assert norm(model_raw="Hyundái  grand-i10")["model_norm"] == "HYUNDAI GRAND I10"


@pytest.mark.parametrize(("a", "b"), [("ABC105", "A8C1O5"), ("S1B0", "5I80"), ("ABC105", "A8CI05")])
def test_plate_skeleton_collapses_confusables(a, b):
    got = pl.select(x=plate_skeleton(pl.lit(a)), y=plate_skeleton(pl.lit(b))).row(0)
    assert got[0] == got[1]


def test_plate_skeleton_keeps_different_plates_apart():
    assert (
        pl.select(plate_skeleton(pl.lit("ABC123"))).item()
        != pl.select(plate_skeleton(pl.lit("ABC124"))).item()
    )


def test_drivers_and_candidates_share_the_normalisation():
    driver = build_driver_index(
        pl.DataFrame(
            {
                "driver_id": ["D1"],
                "park_id": ["P"],
                "phone": ["+51 (987) 654-321"],
                "full_name": ["Núñez  de la Peña, José"],
                "car_number": ["abc-123"],
                "car_model": ["Yaris 2020"],
                "hire_date": ["12/01/2026"],
            }
        )
    ).row(0, named=True)
    lead = norm(phone_raw="987654321", name_raw="NUNEZ DE LA PENA JOSE", plate_raw="ABC 123")
    assert (driver["phone_norm"], driver["name_norm"], driver["plate_norm"]) == (
        lead["phone_norm"],
        lead["name_norm"],
        lead["plate_norm"],
    )
    assert str(driver["hire_date"]) == "2026-01-12"


@pytest.mark.parametrize(
    "text",
    ["2026-01-05", "2026-01-05 10:11:12", "05-01-2026", "05/01/2026", "2026/01/05", "05.01.2026"],  # noqa: E501
)
def test_every_accepted_date_format_parses(text):
    assert str(pl.select(parse_date_text(pl.lit(text))).item()) == "2026-01-05"


def test_unparsable_date_is_null():
    assert pl.select(parse_date_text(pl.lit("31-31-2026"))).item() is None


names = st.text(alphabet="abcdefghijklmnñopqrstuvwxyzáéíóúüÁÉÍÓÚÑ -'.", max_size=40)


@settings(max_examples=150)
@given(names)
def test_name_normalisation_is_idempotent_and_insensitive_to_case_accents_spacing(s):
    once = norm(name_raw=s)["name_norm"]
    assert once == python_name(s)
    if once is not None:
        assert norm(name_raw=once)["name_norm"] == once
    assert norm(name_raw=s.upper())["name_norm"] == once
    assert norm(name_raw=f"  {s}  ".replace(" ", "   "))["name_norm"] == once
    stripped = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    assert norm(name_raw=stripped)["name_norm"] == once


@settings(max_examples=100)
@given(names)
def test_tokens_never_hold_stopwords_or_blanks(s):
    tokens = norm(name_raw=s)["name_tokens"] or []
    assert all(t and t not in STOPWORDS and " " not in t for t in tokens)


@given(
    st.integers(900_000_000, 999_999_999),
    st.sampled_from(["{p}", "+51 {p}", "51{p}", "+51 {a} {b} {c}", "({a}) {b}-{c}"]),
)
def test_phone_format_never_changes_the_key(p, fmt):
    s = str(p)
    raw = fmt.format(p=s, a=s[:3], b=s[3:6], c=s[6:])
    assert norm(phone_raw=raw)["phone_norm"] == s


@given(st.text(alphabet="abcxyz0189OISB -.", max_size=12))
def test_plate_normalisation_is_idempotent(s):
    once = norm(plate_raw=s)["plate_norm"]
    assert norm(plate_raw=once)["plate_norm"] == once
