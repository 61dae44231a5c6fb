"""The review card's calibrated evidence: probability, per-comparison bars, activity line."""

from __future__ import annotations

from idgap.web.render import make_templates
from idgap.web.review_view import activity_line, evidence_view

CANDIDATE = {
    "driver_id": "D1",
    "probability": 0.99931,
    "evidence": {
        "plate": "one edit",
        "activity": {
            "level": "agree_active",
            "claimed_band": 2,
            "window_days": 14,
            "trips_in_window": 12,
        },
    },  # fmt: skip
    "breakdown": [
        {"comparison": "prior", "level": "", "weight": -17.1},
        {"comparison": "phone", "level": "missing", "weight": 0.0},
        {"comparison": "plate", "level": "one_edit", "weight": 10.8},
        {"comparison": "name", "level": "contradicts", "weight": -6.6},
    ],
}


def test_activity_line_says_what_yango_claims_and_what_the_driver_did():
    line = activity_line(CANDIDATE["evidence"]["activity"])
    assert line == {
        "text": "Yango: ≥ 5 viajes en 14 días · este conductor: 12 viajes en la ventana ✓",
        "ok": True,
    }
    idle = activity_line({"level": "contradicts", "claimed_band": 0, "window_days": 7,
                          "trips_in_window": 1})  # fmt: skip
    assert idle is not None and idle["text"].endswith("1 viaje en la ventana ✗")
    assert activity_line(None) is None


def test_bars_skip_missing_evidence_and_keep_the_sign():
    ev = evidence_view(CANDIDATE)
    assert ev["probability_text"] == "99.93 %"
    assert [(b["comparison"], b["weight"], b["positive"]) for b in ev["bars"]] == [
        ("punto de partida (1 entre todas las cuentas)", "-17.1", False),
        ("placa", "+10.8", True),
        ("nombre", "-6.6", False),
    ]
    assert ev["bars"][0]["width"] > ev["bars"][2]["width"] > 0


def test_the_partial_renders_without_script_or_style_attributes():
    html = (
        make_templates()
        .env.get_template("_candidate_evidence.html")
        .render(ev=evidence_view(CANDIDATE))
    )
    assert "Probabilidad: 99.93 %" in html and "12 viajes en la ventana ✓" in html
    assert "<svg" in html and "<script" not in html and "style=" not in html
