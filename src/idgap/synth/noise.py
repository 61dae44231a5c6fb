"""How identifiers really get mangled between a person, a lead form and a fleet's driver table.

Plain Python on one string at a time (a park has at most ~10^5 leads, so this costs seconds);
every function takes the row's own `random.Random`, so a park stays deterministic per seed.
The mechanisms come from how the data is produced, not from what any matcher compares:
plates are read off a photo or a dirty car (OCR / hand-copy look-alikes), typed on a phone
(neighbouring keys, a swapped or doubled character) or copied in a hurry (a character lost);
names are what people call themselves (nicknames, initials, one surname), and phones change.
"""

from __future__ import annotations

import random
import unicodedata

# look-alikes when a plate is read from a photo, a sticker or handwriting (both directions);
# wider than what any rule knows on purpose: 3/8, 6/8, P/R, C/G, H/N, K/X happen too
LOOKALIKE: dict[str, str] = {
    "0": "OD", "O": "0DQ", "D": "0O", "Q": "0O", "1": "IL7", "I": "1L", "L": "1I", "7": "T1",
    "T": "7", "8": "B3", "B": "8", "3": "8", "5": "S", "S": "5", "2": "Z", "Z": "2", "6": "G8",
    "G": "6C", "C": "G", "4": "A", "A": "4", "E": "F", "F": "E", "U": "V", "V": "U", "M": "NH",
    "N": "MH", "H": "NM", "P": "R", "R": "P", "K": "X", "X": "K",
}  # fmt: skip
# QWERTY rows (Latin-American phones use QWERTY with Ñ) and the phone keypad for digits
_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKLÑ", "ZXCVBNM")
_KEYPAD = {
    "1": "24", "2": "135", "3": "26", "4": "157", "5": "2468", "6": "359", "7": "48",
    "8": "5790", "9": "68", "0": "8",
}  # fmt: skip

# what Peruvians are called at home and often type on a form (name -> nicknames)
NICKNAMES: dict[str, tuple[str, ...]] = {
    "José": ("Pepe", "Pepito", "Chepe"), "Francisco": ("Pancho", "Paco", "Kiko"),
    "Manuel": ("Manolo", "Manu"), "Alberto": ("Beto",), "Roberto": ("Beto", "Tito"),
    "Luis": ("Lucho",), "Antonio": ("Toño", "Tony"), "Enrique": ("Kike",),
    "Ricardo": ("Richi", "Richard"), "Jesús": ("Chucho", "Chuy"), "Guillermo": ("Memo",),
    "Eduardo": ("Lalo", "Edu"), "Alejandro": ("Alex", "Ale"), "Fernando": ("Nando", "Fer"),
    "Rafael": ("Rafa",), "Javier": ("Javi",), "Miguel": ("Mike", "Micky"),
    "Juan": ("Juancho", "Johnny"), "Carlos": ("Charlie", "Calín"), "Jorge": ("Coco",),
    "Daniel": ("Dani",), "Gonzalo": ("Chalo",), "Rodrigo": ("Rodri",), "Pedro": ("Perico",),
    "Sebastián": ("Sebas",), "Nicolás": ("Nico",), "Santiago": ("Santi",), "Gustavo": ("Tavo",),
    "Gabriel": ("Gabo",), "Ignacio": ("Nacho",), "Anthony": ("Tony",), "Jhonatan": ("Jhona",),
    "Cristian": ("Cris",), "Mauricio": ("Mau",), "Diego": ("Dieguito",), "Rosa": ("Rosita",),
    "María": ("Mari", "Maru"), "Carmen": ("Menchi",), "Patricia": ("Paty",),
    "Milagros": ("Mili",), "Verónica": ("Vero",), "Teresa": ("Tere",), "Beatriz": ("Bety",),
    "Giovanna": ("Gio",), "Daniela": ("Dani",), "Valeria": ("Vale",), "Lucía": ("Lucha",),
}  # fmt: skip
# spellings that sound the same in Peruvian Spanish (holdout's name corruption)
PHONETIC: tuple[tuple[str, str], ...] = (
    ("V", "B"), ("B", "V"), ("Z", "S"), ("S", "Z"), ("CE", "SE"), ("CI", "SI"), ("Y", "LL"),
    ("LL", "Y"), ("HUA", "GUA"), ("HUA", "WA"), ("J", "G"), ("GE", "JE"), ("GI", "JI"),
    ("QU", "K"), ("CC", "C"), ("TT", "T"), ("X", "J"), ("JHON", "JON"), ("H", ""),
)  # fmt: skip


def fold(text: str) -> str:
    """Núñez -> Nunez (what a phone keyboard without accents gives)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _neighbours(ch: str) -> str:
    up = ch.upper()
    if up in _KEYPAD:
        return _KEYPAD[up]
    for row in _ROWS:
        i = row.find(up)
        if i >= 0:
            return row[max(i - 1, 0) : i] + row[i + 1 : i + 2]
    return ""


def lookalike(plate: str, rnd: random.Random) -> str:
    """One character read as its look-alike (ABC123 -> A8C123)."""
    spots = [i for i, c in enumerate(plate) if c in LOOKALIKE]
    if not spots:
        return plate
    i = rnd.choice(spots)
    return plate[:i] + rnd.choice(LOOKALIKE[plate[i]]) + plate[i + 1 :]


def transpose(text: str, rnd: random.Random) -> str:
    """Two neighbouring characters typed the other way round (ABC123 -> ACB123)."""
    spots = [i for i in range(len(text) - 1) if text[i] != text[i + 1]]
    if not spots:
        return text
    i = rnd.choice(spots)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def drop_char(text: str, rnd: random.Random) -> str:
    """One character lost (ABC123 -> AB123)."""
    i = rnd.randrange(len(text))
    return text[:i] + text[i + 1 :]


def insert_char(text: str, rnd: random.Random) -> str:
    """One character too many: a doubled key or a neighbouring key hit as well."""
    i = rnd.randrange(len(text))
    extra = rnd.choice(text[i] + (_neighbours(text[i]) or text[i]))
    return text[: i + 1] + extra + text[i + 1 :]


def adjacent_key(text: str, rnd: random.Random) -> str:
    """One character replaced by a neighbouring key (QWERTY letters, keypad digits)."""
    spots = [i for i, c in enumerate(text) if _neighbours(c)]
    if not spots:
        return text
    i = rnd.choice(spots)
    new = rnd.choice(_neighbours(text[i]))
    return (
        text[:i] + (new if text[i].isupper() or not new.isalpha() else new.lower()) + text[i + 1 :]
    )


def nickname(given: str, rnd: random.Random) -> str:
    """The name someone is called by, when it has one (else the name itself)."""
    options = NICKNAMES.get(given)
    return rnd.choice(options) if options else given


def initial(word: str) -> str:
    return f"{word[:1]}." if word else ""


def phonetic(word: str, rnd: random.Random) -> str:
    """One same-sounding respelling (Vásquez -> Básquez, Huamán -> Guamán)."""
    up = fold(word).upper()
    options = [(a, b) for a, b in PHONETIC if a in up[1:] or (a in up and a != "H")]
    if not options:
        return word
    a, b = rnd.choice(options)
    return up.replace(a, b, 1).capitalize() if up.replace(a, b, 1) else word
