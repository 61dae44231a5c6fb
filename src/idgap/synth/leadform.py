"""The cabinet lead form as the person filled it in: names, phone and plate with the mishaps a
variant model assigns (each applied mishap is returned as a tag for the truth file).

A mishap that cannot apply to a lead (a nickname for a name nobody shortens, initials of an
empty middle name) is not applied and not tagged, so every tag in the truth is real.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from idgap.synth import noise
from idgap.synth.variants import NoiseModel

Name = dict[str, str]  # g1 g2 s1 s2 as the lead form will spell them


def _nickname(n: Name, rnd: random.Random, male: bool) -> bool:
    nick = noise.nickname(n["g1"], rnd)
    changed = nick != n["g1"]
    n["g1"] = nick
    return changed


def _initials(n: Name, rnd: random.Random, male: bool) -> bool:
    if n["g2"] and rnd.random() < 0.5:
        n["g2"] = noise.initial(n["g2"])  # José L. Quispe
    elif n["g2"]:
        n["g1"] = noise.initial(n["g1"])  # J. Luis Quispe
    elif n["s2"]:
        n["s2"] = noise.initial(n["s2"])  # José Quispe M.
    else:
        return False
    return True


def _no_second_surname(n: Name, rnd: random.Random, male: bool) -> bool:
    had = bool(n["s2"])
    n["s2"] = ""
    return had


def _goes_by_middle_name(n: Name, rnd: random.Random, male: bool) -> bool:
    if not n["g2"]:
        return False
    n["g1"], n["g2"] = n["g2"], ""
    return True


def _phonetic(n: Name, rnd: random.Random, male: bool) -> bool:
    key = rnd.choice(("s1", "s2", "g1")) if n["s2"] else rnd.choice(("s1", "g1"))
    new = noise.phonetic(n[key], rnd)
    changed = noise.fold(new).upper() != noise.fold(n[key]).upper()
    n[key] = new
    return changed


def _adjacent_key(n: Name, rnd: random.Random, male: bool) -> bool:
    key = rnd.choice(("s1", "g1"))
    old, n[key] = n[key], noise.adjacent_key(n[key], rnd)
    return old != n[key]


def _married(n: Name, rnd: random.Random, male: bool) -> bool:
    """Peruvian usage: María Quispe de Flores (the husband's surname replaces the second)."""
    if male:
        return False
    n["s2"] = f"de {rnd.choice(('Flores', 'Rojas', 'Huamán', 'Torres', 'Vargas', 'Mendoza'))}"
    return True


NAME_MISHAPS: dict[str, Callable[[Name, random.Random, bool], bool]] = {
    "nickname": _nickname,
    "initials": _initials,
    "no_second_surname": _no_second_surname,
    "goes_by_middle_name": _goes_by_middle_name,
    "phonetic_spelling": _phonetic,
    "name_adjacent_key": _adjacent_key,
    "married_name": _married,
}
# layout mishaps: which box gets which words
LAYOUT_TAGS = ("swapped_order", "single_field")


def lead_names(p: dict, model: NoiseModel, rnd: random.Random, tags: list[str]) -> dict[str, str]:
    """first_name / middle_name / last_name boxes, with the model's name mishaps."""
    n: Name = {k: p[k] for k in ("g1", "g2", "s1", "s2")}
    # a dropped second surname goes first, so a later mishap of that slot is not undone
    order = sorted(model.name_tags.items(), key=lambda kv: kv[0] != "no_second_surname")
    for tag, share in order:
        fn = NAME_MISHAPS.get(tag)
        if fn is not None and rnd.random() < share and fn(n, rnd, p["male"]):
            tags.append(tag)
    # forms often leave the middle name out
    middle = n["g2"] if rnd.random() < 0.55 or "initials" in tags else ""
    given, surnames = _words(n["g1"], middle), _words(n["s1"], n["s2"])
    boxes = {"first_name": n["g1"], "middle_name": middle, "last_name": surnames}
    if rnd.random() < model.name_tags.get("swapped_order", 0.0):
        boxes = {"first_name": surnames, "middle_name": "", "last_name": given}
        tags.append("swapped_order")
    elif rnd.random() < model.name_tags.get("single_field", 0.0):
        boxes = {"first_name": _words(given, surnames), "middle_name": "", "last_name": ""}
        tags.append("single_field")
    if rnd.random() < model.name_tags.get("accents_dropped", 0.0):
        folded = {k: noise.fold(v) for k, v in boxes.items()}
        if folded != boxes:
            tags.append("accents_dropped")
        boxes = folded
    return {k: _typed_case(v, rnd) for k, v in boxes.items()}


def _words(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _typed_case(text: str, rnd: random.Random) -> str:
    u = rnd.random()
    return text if u < 0.55 else text.upper() if u < 0.9 else text.lower()


PLATE_MISHAPS: dict[str, Callable[[str, random.Random], str]] = {
    "plate_lookalike": noise.lookalike,
    "plate_transposed": noise.transpose,
    "plate_char_dropped": noise.drop_char,
    "plate_char_inserted": noise.insert_char,
    "plate_adjacent_key": noise.adjacent_key,
    "plate_truncated": lambda plate, rnd: plate[:-1],
}


def plate_mishap(model: NoiseModel, rnd: random.Random) -> str | None:
    """At most one plate mishap per lead (or None)."""
    u = rnd.random()
    for tag, share in model.plate_tags.items():
        if u < share:
            return tag
        u -= share
    return None


def mangle_plate(plate: str, tag: str, rnd: random.Random) -> str:
    for _ in range(5):  # a mishap that leaves the plate as it was is no mishap
        out = PLATE_MISHAPS[tag](plate, rnd)
        if out != plate:
            return out
    return noise.drop_char(plate, rnd)


def lead_phone(digits: str, model: NoiseModel, rnd: random.Random, tags: list[str]) -> str:
    """The phone as typed on the form (9 digits in), with the model's phone mishaps."""
    t = model.phone_tags
    if rnd.random() < t.get("phone_landline", 0.0):
        tags.append("phone_landline")  # a Lima landline, not the driver's mobile
        return f"(01) {rnd.randint(2000000, 7999999)}"
    if rnd.random() < t.get("phone_digit_typo", 0.0):
        digits = digits[:1] + noise.adjacent_key(digits[1:], rnd)
        tags.append("phone_digit_typo")
    if rnd.random() < t.get("phone_odd_format", 0.0):
        tags.append("phone_odd_format")
        return rnd.choice(
            (
                f"0051 {digits[:3]} {digits[3:6]} {digits[6:]}",
                f"(+51) {digits}",
                f"cel. {digits[:3]}.{digits[3:6]}.{digits[6:]}",
                f"{digits} (whatsapp)",
            )
        )
    return _spelled(digits, rnd)


def _spelled(d: str, rnd: random.Random) -> str:
    """The usual shapes (as `codes.spell_phone` spells a lead's phone)."""
    u = rnd.random()
    if u < 0.15:
        return f"+51{d}"
    if u < 0.45:
        return d
    if u < 0.65:
        return f"+51 {d[:3]} {d[3:6]} {d[6:]}"
    if u < 0.85:
        return f"51{d}"
    return f"{d[:3]}-{d[3:6]}-{d[6:]}"
