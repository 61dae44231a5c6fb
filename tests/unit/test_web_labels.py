"""web/labels.py: every code the engine, the gaps and the runs produce has a Spanish label."""

from __future__ import annotations

import pytest

from idgap.gaps.alerts import ALERT_TYPES
from idgap.gaps.rules import GAP_REASONS, RISK_LEVELS
from idgap.identity.origin import TAGS
from idgap.matching.model import Outcome, Reason, Rule
from idgap.web import labels


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("reason_code", [r.value for r in Reason]),
        ("rule", [r.value for r in Rule]),
        ("outcome", [o.value for o in Outcome]),
        ("gap_reason", list(GAP_REASONS)),
        ("risk", list(RISK_LEVELS)),
        ("alert", list(ALERT_TYPES)),
        ("source", list(TAGS)),
        ("origin_tag", [tag for tag, _rank in TAGS.values()]),
    ],
)
def test_every_code_has_a_label(kind: str, codes: list[str]) -> None:
    table = labels.KINDS[kind]
    assert [c for c in codes if c not in table] == []


@pytest.mark.parametrize(
    ("n", "noun", "text"),
    [(1, "trip", "1 viaje"), (0, "trip", "0 viajes"), (2, "day", "2 días"),
     (1234, "lead", "1,234 leads"), (1, "run", "1 ejecución"), (None, "trip", "—")],
)  # fmt: skip
def test_count_agrees_in_number(n: int | None, noun: str, text: str) -> None:
    assert labels.count(n, noun) == text


def test_label_falls_back_readably() -> None:
    assert labels.label("rule", "R1_PHONE_EXACT") == "Mismo teléfono"
    assert labels.label("run_status", "COMPLETED") == "Completada"
    assert labels.label("stat", "brand_new_counter") == "Brand new counter"
    assert labels.label("rule", None) == "—"
