"""Pure parts of the web UI: session cookie signing, the SVG trend, view helpers."""

from __future__ import annotations

import datetime as dt

import pytest

from idgap.web.chart import TrendPoint, nice_ceiling, points_from_rows, trend_svg
from idgap.web.pages.dashboard import breakdown_view, job_view
from idgap.web.pages.login import safe_next
from idgap.web.render import fmt_money, fmt_pct, url_with
from idgap.web.review_view import candidate_view, lead_facts
from idgap.web.session import SessionCodec, csrf_matches, login_session, new_session, role_name


def test_session_round_trips_and_rejects_tampering():
    codec = SessionCodec("secret")
    session = login_session(token_id=3, name="ana", role="operator", sid="s1")
    raw = codec.dumps(session)
    assert codec.loads(raw) == session
    assert codec.loads(raw[:-2] + ("A" if raw[-2] != "A" else "B") + raw[-1]) is None
    assert SessionCodec("other-secret").loads(raw) is None
    assert codec.loads(None) is None


def test_session_expires():
    codec = SessionCodec("secret", max_age_s=-1)
    assert codec.loads(codec.dumps(new_session())) is None


def test_empty_secret_gets_a_random_per_process_key():
    raw = SessionCodec("").dumps(new_session())
    assert SessionCodec("").loads(raw) is None


def test_csrf_must_match_exactly():
    session = new_session()
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, "")
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, session.csrf + "x")


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/revision?pos=2", "/revision?pos=2"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("", "/"),
        (None, "/"),
        ("/\\evil", "/"),
    ],
)
def test_login_redirect_stays_local(target, expected):
    assert safe_next(target) == expected


def test_role_name_accepts_enums_and_strings():
    import enum

    class Role(enum.IntEnum):
        viewer = 0
        operator = 1
        admin = 2

    assert role_name(Role.admin) == "admin"
    assert role_name("Operator") == "operator"
    with pytest.raises(ValueError):
        role_name("root")


def test_trend_svg_draws_one_point_per_day_in_day_order():
    rows = [
        {"day": "2026-01-03", "pct_unresolved": 30.0, "unresolved": 3},
        {"day": dt.date(2026, 1, 1), "pct_unresolved": 50.0, "unresolved": 5},
        {"day": "2026-01-02", "pct_unresolved": 40.0, "unresolved": 4},
    ]
    points = points_from_rows(rows)
    assert [p.day.day for p in points] == [1, 2, 3]
    svg = str(trend_svg(points))
    assert svg.count("<circle") == 3
    assert "03/01/2026: 30.0 % sin resolver" in svg
    assert "0 %" in svg and "50 %" in svg  # axis top is the nice ceiling of the max


def test_trend_svg_without_history_explains_why():
    assert "No hay leads con estos filtros" in str(trend_svg([]))


def test_trend_single_point_is_centred():
    svg = str(trend_svg([TrendPoint(dt.date(2026, 1, 1), 12.0, 1)]))
    assert svg.count("<circle") == 1


@pytest.mark.parametrize("value, top", [(0, 10), (9.5, 10), (10.1, 20), (22, 25), (77, 100)])
def test_nice_ceiling(value, top):
    assert nice_ceiling(value) == top


@pytest.mark.parametrize(
    "status, value, label, css",
    [
        ({"job_freshness_hours": None, "freshness_state": "NUNCA", "state": "NO_CONFIGURADO"},
         "Nunca", "No configurado", "bad"),
        ({"job_freshness_hours": 30.04, "freshness_state": "STALE", "state": "SIN_SENAL"},
         "30.0 h", "Sin señal", "warn"),
        ({"job_freshness_hours": 2.0, "freshness_state": "OK", "state": "ACTIVO"},
         "2.0 h", "Activo", "ok"),
        ({"job_freshness_hours": 1.0, "freshness_state": "OK", "state": "COMPLETO"},
         "1.0 h", "Completo", "ok"),
    ],
)  # fmt: skip
def test_job_tiles_follow_ref_8_1(status, value, label, css):
    view = job_view(status)
    assert view["freshness_value"] == value
    assert view["state_label"] == label
    assert view["freshness_class"] == css
    assert ("desactualizado" in view["freshness_note"]) == (value == "30.0 h")


def test_breakdown_matrix_and_high_risk_total():
    rows = [
        {"gap_reason": "no_identity", "risk_level": "high", "count": 5},
        {"gap_reason": "no_identity", "risk_level": "low", "count": 2},
        {"gap_reason": "other_origin", "risk_level": "high", "count": 1},
    ]
    view = breakdown_view(rows)
    assert view["matrix"][("no_identity", "high")] == 5
    assert view["reason_totals"] == {"no_identity": 7, "other_origin": 1}


def test_candidate_view_compares_with_the_lead():
    lead = lead_facts(
        {"source": {"lead_date": "2026-01-10", "first_name": "Ana", "last_name": "Rojas"}},
        {"id": 4, "source_pk": "L1"},
    )
    assert lead["name"] == "Ana Rojas" and lead["lead_id"] == "L1"
    cand = candidate_view(
        {
            "driver_id": "D1",
            "park_id": "other",
            "score": 71.0,
            "hire_date": "2026-01-13",
            "evidence": {
                "plate": "same",
                "name_similarity": 0.42,
                "park": "other",
                "hire_days_from_lead": 3,
            },
        },
        lead,
        1,
        target_park="target",
    )
    assert cand["hire_days"] == 3
    assert cand["in_target_park"] is False
    assert cand["name_similarity"] == 0.42
    assert "misma placa" in cand["supports"]
    assert "alta 3 días después del lead (dentro de la ventana)" in cand["supports"]
    assert "nombre poco parecido (0.42)" in cand["contradicts"]
    assert any("otro park" in c for c in cand["contradicts"])


@pytest.mark.parametrize(
    "evidence, pro, con",
    [
        ({"plate": "one confusable character"}, "carácter confundible", None),
        ({"plate": "different"}, None, "placa distinta"),
        ({"name": "contradicts", "name_similarity": 0.2}, None, "contradice"),
        ({"hire_days_from_lead": -200}, None, "fuera de la ventana"),
        ({"phone": "same", "park": "target"}, "mismo teléfono", None),
        ({"rule_hint": "R3"}, "rule hint: R3", None),
        ({"name_contained": True}, "un nombre contiene al otro", None),
    ],
)
def test_evidence_sentences(evidence, pro, con):
    from idgap.web.review_view import evidence_lines

    supports, contradicts = evidence_lines(evidence)
    if pro:
        assert any(pro in s for s in supports)
    if con:
        assert any(con in c for c in contradicts)
    else:
        assert contradicts == []


def test_formatting_and_urls():
    assert fmt_money(1234.5) == "S/ 1,234.50"
    assert fmt_pct(12.345, 2) == "12.35 %"
    assert url_with("/", {"a": "1", "b": None}, page=2) == "/?a=1&page=2"
    assert url_with("/", {}, a="") == "/"


def test_run_stats_become_rows_and_groups():
    from idgap.views.runs import stat_rows

    table = {"table": "drivers", "file": "d.csv", "loaded": 3, "rejected": 0}
    stats = {
        "run_id": 2,
        "processed": 311,
        "elapsed": 6.86,
        "by_reason": {"X": 1},
        "tables": [table],
    }
    rows = stat_rows(stats)
    assert rows[:2] == [{"key": "processed", "value": 311}, {"key": "elapsed", "value": 6.86}]
    assert rows[2] == {"key": "by_reason", "entries": [{"key": "X", "value": 1}]}
    assert rows[3]["table"] == "drivers" and {"key": "loaded", "value": 3} in rows[3]["entries"]
    assert stat_rows(None) == []


@pytest.mark.parametrize(
    "value, key, text",
    [(6.86, "elapsed", "6.9 s"), (125, "seconds", "2 min 5 s"), (True, "x", "sí"),
     (127000, "index_changed", "127,000"), (None, "x", "—"), (0.999, "target_precision", "0.999"),
     (2000.0, "u_prior_weight", "2,000"), (1.8, "match", "1.8"), (0.66, "name_threshold", "0.66")],
)  # fmt: skip
def test_stat_values_read_as_spanish(value, key, text):
    from idgap.web.render import fmt_stat

    assert fmt_stat(value, key) == text


def test_times_show_in_the_park_time_zone():
    from zoneinfo import ZoneInfo

    from idgap.web.render import fmt_datetime

    utc = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.UTC)
    assert fmt_datetime(utc, ZoneInfo("America/Lima")) == "30/11/2026 22:30"
    assert fmt_datetime(utc.replace(tzinfo=None), ZoneInfo("America/Lima")) == "30/11/2026 22:30"


def test_money_svg_draws_the_known_amounts_only():
    from idgap.web.chart import money_svg

    points = [TrendPoint(dt.date(2026, 1, d), 10.0, 1, amount) for d, amount in
              ((1, None), (2, 120.0), (3, 80.0))]  # fmt: skip
    svg = str(money_svg(points, currency="S/"))
    assert svg.count("<circle") == 2 and "S/ 120.00 en juego" in svg
    assert "Sin montos" in str(money_svg(points[:1]))


@pytest.mark.parametrize(
    "value, text",
    [("schedule", "programada"), ("web:ana", "web (ana)"), ("api:bot", "API (bot)"),
     ("cli", "línea de comandos"), (None, "—"), ("ana", "ana"), ("system", "sistema")],
)  # fmt: skip
def test_who_did_it_reads_as_spanish(value, text):
    from idgap.web.labels import actor

    assert actor(value) == text


@pytest.mark.parametrize(
    "reason, text",
    [("undo", "deshecho"), ("reopened", "reabierto"),
     ("undo: person left without leads", "deshecho: persona sin leads"),
     ("undo link of L3", "al deshacer el vínculo del lead L3"),
     ("split: llamé al conductor", "separación: llamé al conductor"),
     ("me equivoqué", "me equivoqué")],
)  # fmt: skip
def test_history_reasons_read_as_spanish(reason, text):
    from idgap.web.labels import history_reason

    assert history_reason(reason) == text


def test_trend_day_labels_stay_inside_the_chart():
    import datetime as dt
    import re

    from idgap.web.chart import TrendPoint, trend_svg

    start = dt.date(2026, 11, 1)
    points = [TrendPoint(start + dt.timedelta(days=i), 50.0, 1) for i in range(5)]
    anchors = re.findall(
        r'<text class="axis" x="[\d.]+" y="192" text-anchor="(\w+)">', str(trend_svg(points))
    )
    assert anchors == ["start", "middle", "end"]  # 01/11, 03/11, 05/11: the last not cut off
