"""What the review screen shows for a lead and each candidate (pure; no database).

The matcher's evidence is rendered, not recomputed: each evidence entry becomes a sentence that
supports or contradicts the candidate.
"""

from __future__ import annotations

from typing import Any

from idgap.web.labels import count
from idgap.web.render import days_between

# The matcher's evidence values (idgap_rules / ct4) as Spanish sentences: (key, value) -> text
SAME = {
    "phone": "mismo teléfono",
    "license": "misma licencia",
    "plate": "misma placa",
    "model": "mismo modelo",
}
PLATE_CONFUSABLE = "placa con un carácter confundible (O/0, I/1, B/8, S/5…)"
PLATE_NEAR = {
    "one edit": "placa a un carácter (cambiado, de más o de menos, o dos invertidos)",
    "two edits": "placa a dos caracteres",
}
NAME_GOOD, NAME_BAD = 0.66, 0.5
HANDLED = {
    "activity",
    "name_contained",
    "phone",
    "license",
    "plate",
    "model",
    "name",
    "name_similarity",
    "park",
    "hire_days_from_lead",
}


def _first(row: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = row.get(key)
        if value not in (None, ""):
            return value
    return None


def _join_name(row: dict[str, Any]) -> str | None:
    parts = [row.get(k) for k in ("first_name", "middle_name", "last_name")]
    text = " ".join(str(p) for p in parts if p)
    return text or None


def lead_facts(lead: dict[str, Any], entry: dict[str, Any] | None) -> dict[str, Any]:
    """The lead's own data, from `get_lead` (source row) and the queue entry."""
    source = lead.get("source") or lead.get("lead") or lead
    entry = entry or {}
    return {
        "unmatched_id": entry.get("id"),
        "lead_id": _first(entry, "source_pk") or _first(source, "lead_id"),
        "lead_date": _first(source, "lead_date") or entry.get("snapshot_date"),
        "name": _first(source, "full_name", "name") or _join_name(source),
        "plate": _first(source, "asset_plate_number", "plate"),
        "phone": _first(source, "park_phone", "phone"),
        "model": _first(source, "asset_model", "model"),
        "outcome": entry.get("outcome"),
        "reason_code": entry.get("reason_code"),
    }


def _name_line(similarity: float) -> tuple[bool | None, str]:
    if similarity >= NAME_GOOD:
        return True, f"nombre parecido ({similarity:.2f})"
    if similarity < NAME_BAD:
        return False, f"nombre poco parecido ({similarity:.2f})"
    return None, f"similitud de nombre intermedia ({similarity:.2f})"


def _hire_line(days: int, window: tuple[int, int]) -> tuple[bool, str]:
    when = f"alta {count(abs(days), 'day')} {'después' if days >= 0 else 'antes'} del lead"
    if window[0] <= days <= window[1]:
        return True, f"{when} (dentro de la ventana)"
    return False, f"{when} (fuera de la ventana {window[0]}/+{window[1]} días)"


def evidence_lines(
    evidence: dict[str, Any], window: tuple[int, int] = (-90, 30)
) -> tuple[list[str], list[str]]:
    """Sentences that support and that contradict a candidate, from the matcher's evidence."""
    lines: list[tuple[bool | None, str]] = []
    for key, text in SAME.items():
        if evidence.get(key) == "same":
            lines.append((True, text))
    if evidence.get("plate") == "one confusable character":
        lines.append((True, PLATE_CONFUSABLE))
    elif evidence.get("plate") in PLATE_NEAR:
        lines.append((True, PLATE_NEAR[evidence["plate"]]))
    elif evidence.get("plate") == "different":
        lines.append((False, "placa distinta"))
    if evidence.get("name") == "contradicts":
        lines.append((False, "el nombre contradice al del lead"))
    elif isinstance(evidence.get("name_similarity"), int | float):
        lines.append(_name_line(float(evidence["name_similarity"])))
    if evidence.get("name_contained") is True:
        lines.append((True, "un nombre contiene al otro"))
    if isinstance(evidence.get("hire_days_from_lead"), int):
        lines.append(_hire_line(evidence["hire_days_from_lead"], window))
    if evidence.get("park") == "target":
        lines.append((True, "cuenta en el park objetivo"))
    elif evidence.get("park") == "other":
        lines.append((False, "cuenta en otro park: nunca se vincula sola"))
    for key, value in evidence.items():  # anything else the ruleset recorded, made readable
        if key not in HANDLED and isinstance(value, str) and value:
            lines.append((None, f"{key.replace('_', ' ')}: {value.replace('_', ' ')}"))
    supports = [t for ok, t in lines if ok is not False]
    contradicts = [t for ok, t in lines if ok is False]
    return supports, contradicts


def candidate_view(
    candidate: dict[str, Any],
    lead: dict[str, Any],
    number: int,
    *,
    target_park: str | None = None,
    window: tuple[int, int] = (-90, 30),
) -> dict[str, Any]:
    """One candidate card: the driver's details next to the lead's, and the evidence."""
    row = {**(candidate.get("driver") or {}), **candidate}
    evidence = dict(candidate.get("evidence") or {})
    supports, contradicts = evidence_lines(evidence, window)
    park_id = _first(row, "park_id")
    in_target = row.get("in_target_park")
    if in_target is None and evidence.get("park") in ("target", "other"):
        in_target = evidence["park"] == "target"
    if in_target is None and target_park is not None and park_id is not None:
        in_target = park_id == target_park
    hire_date = _first(row, "hire_date")
    return {
        "number": number,
        "driver_id": _first(row, "driver_id"),
        "name": _first(row, "full_name", "name") or _join_name(row),
        "plate": _first(row, "car_number", "plate", "car_normalized_number"),
        "phone": _first(row, "phone"),
        "model": " ".join(str(x) for x in (row.get("car_brand"), row.get("car_model")) if x)
        or _first(row, "model"),
        "park_id": park_id,
        "in_target_park": in_target,
        "hire_date": hire_date,
        "hire_days": days_between(hire_date, lead.get("lead_date")),
        "score": _first(row, "score"),
        "name_similarity": _first(row, "name_similarity") or evidence.get("name_similarity"),
        "supports": supports,
        "contradicts": contradicts,
        "linked_person": row.get("linked_person"),
        "evidence_view": evidence_view(candidate),
    }


# The engine's comparisons and levels (matching.comparisons) in Spanish, for the breakdown
COMPARISON_LABELS = {
    "prior": "punto de partida (1 entre todas las cuentas)", "phone": "teléfono",
    "licence": "licencia", "plate": "placa", "name": "nombre", "model": "modelo",
    "hire": "fecha de alta", "activity": "actividad Yango",
}  # fmt: skip
LEVEL_LABELS = {
    "exact": "igual", "different": "distinto", "confusable": "caracteres parecidos",
    "one_edit": "a un carácter", "two_edits": "a dos caracteres", "contained": "contenido",
    "fuzzy_high": "muy parecido", "fuzzy_mid": "parecido", "fuzzy_low": "algo parecido",
    "weak": "poco parecido", "contradicts": "contradice", "same": "igual",
    "far": "lejos del lead", "agree_active": "coincide", "near_active": "activo, otra cifra",
    "agree_idle": "ambos sin viajes", "d-3_14": "≤ 2 semanas", "d-30_30": "± 1 mes",
    "d31_60": "1-2 meses después", "d-90_120": "± 3-4 meses", "d-365_365": "± 1 año",
}  # fmt: skip
BAR_PX = 120  # the widest bar: |weight| of MAX_BITS or more
MAX_BITS = 20.0
FLAG_THRESHOLDS = (1, 5, 10, 15, 25, 50, 100)  # matching.activity.THRESHOLDS, as shown
OK_GLYPH, BAD_GLYPH = "✓", "✗"  # text glyphs, not emoji


def evidence_view(candidate: dict[str, Any]) -> dict[str, Any]:
    """Probability, per-comparison bars (a waterfall: the prior, then each comparison's log2
    Bayes factor) and the activity line of one candidate, from the engine's candidate entry."""
    prob = candidate.get("probability")
    bars = [_bar(b) for b in candidate.get("breakdown") or [] if b.get("level") != "missing"]
    return {
        "probability": prob,
        "probability_text": None if prob is None else _percent(float(prob)),
        "bars": bars,
        "activity": activity_line((candidate.get("evidence") or {}).get("activity")),
    }


def _percent(p: float) -> str:
    if p >= 0.9999:
        return "> 99.99 %"
    return f"{p:.2%}".replace("%", " %")


def _bar(b: dict[str, Any]) -> dict[str, Any]:
    weight = float(b.get("weight") or 0.0)
    width = round(min(abs(weight), MAX_BITS) / MAX_BITS * BAR_PX)
    return {
        "comparison": COMPARISON_LABELS.get(b.get("comparison", ""), b.get("comparison")),
        "level": LEVEL_LABELS.get(b.get("level", ""), b.get("level") or ""),
        "weight": f"{weight:+.1f}",
        "width": max(width, 1),
        "positive": weight >= 0,
    }


def activity_line(activity: dict[str, Any] | None) -> dict[str, Any] | None:
    """'Yango: ≥ 5 viajes en 14 días · este conductor: 12 viajes en la ventana ✓'."""
    if not activity or activity.get("claimed_band") is None:
        return None
    band, days = int(activity["claimed_band"]), activity.get("window_days")
    trips = activity.get("trips_in_window")
    if band == 0:
        claim = f"sin viajes en {days} días"
    else:
        claim = f"≥ {FLAG_THRESHOLDS[min(band, len(FLAG_THRESHOLDS)) - 1]} viajes en {days} días"
    ok = activity.get("level") in ("agree_active", "agree_idle")
    mine = "sin datos" if trips is None else f"{trips} viaje{'' if trips == 1 else 's'}"
    return {
        "text": f"Yango: {claim} · este conductor: {mine} en la ventana "
        f"{OK_GLYPH if ok else BAD_GLYPH}",
        "ok": ok,
    }
