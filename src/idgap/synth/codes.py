"""Identifiers as people write them: 32-hex ids, Peruvian phones, licences and plates.

Everything is drawn in bulk (numpy) and spelled with Polars expressions; no per-row Python.
Phones, licences and plates are drawn *without replacement*, so two accounts share one only
when the generator says so (same person, family car), which keeps the ground truth honest.
"""

from __future__ import annotations

import binascii

import numpy as np
import polars as pl

# Plate letters skip I, O and Q as Peruvian plates do; confusables are injected on purpose.
PLATE_LETTERS = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
DIGITS = np.array(list("0123456789"))
_LLL = len(PLATE_LETTERS) ** 3 * 1000  # ABC-123
_LDL = len(PLATE_LETTERS) ** 2 * 10 * 1000  # A1B-234
# what a confusable character is misread as (lead side)
CONFUSED_DIGIT = {"0": "O", "1": "I", "5": "S", "8": "B"}
CONFUSED_LETTER = {"B": "8", "S": "5"}


def hex_ids(rng: np.random.Generator, n: int) -> pl.Series:
    """n random 32-hex ids (128 bits, collisions negligible)."""
    raw = np.frombuffer(binascii.hexlify(rng.bytes(16 * n)), dtype="S32")
    return pl.Series(raw).cast(pl.String)


def unique_ints(rng: np.random.Generator, space: int, n: int) -> np.ndarray:
    return rng.choice(space, size=n, replace=False)


def phones(rng: np.random.Generator, n: int) -> pl.Series:
    """Distinct 9-digit Peruvian mobiles (9xxxxxxxx), as digit strings."""
    return pl.Series((900_000_000 + unique_ints(rng, 100_000_000, n)).astype(np.int64)).cast(
        pl.String
    )


def spell_phone(digits: pl.Expr, pick: pl.Expr, *, driver: bool) -> pl.Expr:
    """+51 987 654 321 / 987654321 / 51987654321 / 987-654-321 / +51987654321."""
    a, b, c = digits.str.slice(0, 3), digits.str.slice(3, 3), digits.str.slice(6, 3)
    cuts = (0.5, 0.7, 0.8, 0.9) if driver else (0.15, 0.45, 0.65, 0.85)
    return (
        pl.when(pick < cuts[0])
        .then(pl.concat_str([pl.lit("+51"), digits]))
        .when(pick < cuts[1])
        .then(digits)
        .when(pick < cuts[2])
        .then(pl.concat_str([pl.lit("+51 "), a, pl.lit(" "), b, pl.lit(" "), c]))
        .when(pick < cuts[3])
        .then(pl.concat_str([pl.lit("51"), digits]))
        .otherwise(pl.concat_str([a, pl.lit("-"), b, pl.lit("-"), c]))
    )


def licenses(rng: np.random.Generator, n: int) -> pl.Series:
    """Peruvian licences: class letter (mostly Q) + the holder's 8-digit DNI."""
    letter = np.where(
        rng.random(n) < 0.8, "Q", np.array(list("ABCDEFGHKLMNPRSTUV"))[rng.integers(0, 18, n)]
    )
    dni = (10_000_000 + unique_ints(rng, 80_000_000, n)).astype(np.int64)
    return pl.Series(np.char.add(letter, dni.astype(str)))


def spell_license(lic: pl.Expr, pick: pl.Expr) -> pl.Expr:
    """Q12345678 / Q-12345678 / q12345678."""
    dashed = pl.concat_str([lic.str.slice(0, 1), pl.lit("-"), lic.str.slice(1)])
    lower = lic.str.to_lowercase()
    return pl.when(pick < 0.75).then(lic).when(pick < 0.9).then(dashed).otherwise(lower)


def plates(rng: np.random.Generator, n: int) -> pl.Series:
    """Distinct canonical plates, 6 characters: ABC123 (old style) or A1B234 (new style)."""
    idx = unique_ints(rng, _LLL + _LDL, n)
    new_style = idx >= _LLL
    k = np.where(new_style, idx - _LLL, idx)
    number = k % 1000
    k //= 1000
    nl = len(PLATE_LETTERS)
    c2 = PLATE_LETTERS[k % nl]
    k //= nl
    middle = np.where(new_style, DIGITS[k % 10], PLATE_LETTERS[k % nl])
    k //= np.where(new_style, 10, nl)
    c0 = PLATE_LETTERS[k % nl]
    grid = np.stack([c0, middle, c2], axis=1).astype("<U1")
    head = np.ascontiguousarray(grid).view("<U3").ravel()
    return pl.Series(np.char.add(head, np.char.zfill(number.astype(str), 3)))


def spell_plate(plate: pl.Expr, pick: pl.Expr) -> pl.Expr:
    """ABC-123 (most) / ABC123 / ABC 123 / abc-123."""
    head, tail = plate.str.slice(0, 3), plate.str.slice(3)
    dashed = pl.concat_str([head, pl.lit("-"), tail])
    return (
        pl.when(pick < 0.6)
        .then(dashed)
        .when(pick < 0.8)
        .then(plate)
        .when(pick < 0.9)
        .then(pl.concat_str([head, pl.lit(" "), tail]))
        .otherwise(dashed.str.to_lowercase())
    )


def confusable_pair(rng: np.random.Generator, plate: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(driver plate, lead plate) differing by one confusable character (0/O, 1/I, 5/S, 8/B).

    The driver's plate is given a confusable character at one spot; the lead has its look-alike.
    """
    n = plate.len()
    in_digits = rng.random(n) < 0.7
    digit = np.array(list(CONFUSED_DIGIT))[rng.integers(0, 4, n)]
    letter = np.array(list(CONFUSED_LETTER))[rng.integers(0, 2, n)]
    pos = np.where(in_digits, rng.integers(3, 6, n), np.where(rng.random(n) < 0.5, 0, 2))
    real = np.where(in_digits, digit, letter)
    seen = np.where(in_digits, _lookup(CONFUSED_DIGIT, digit), _lookup(CONFUSED_LETTER, letter))
    frame = pl.DataFrame({"p": plate, "i": pos, "real": real, "seen": seen})

    def put(col: str) -> pl.Expr:
        p, i = pl.col("p"), pl.col("i")
        return pl.concat_str([p.str.slice(0, i), pl.col(col), p.str.slice(i + 1)])

    out = frame.select(driver=put("real"), lead=put("seen"))
    return out["driver"], out["lead"]


def _lookup(table: dict[str, str], keys: np.ndarray) -> np.ndarray:
    """Vectorised dict lookup for single characters."""
    src = np.array(sorted(table))
    dst = np.array([table[k] for k in src])
    return dst[np.searchsorted(src, keys)]


class CodePool:
    """Pre-drawn distinct phones, licences and plates, handed out in order.

    Drawing every code of the park in one go keeps them globally distinct, so sharing happens
    only where the generator shares on purpose.
    """

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        self._series = {"plates": plates(rng, size), "phones": phones(rng, size)}
        self._series["licenses"] = licenses(rng, size)
        self._next = dict.fromkeys(self._series, 0)

    def _take(self, kind: str, n: int) -> pl.Series:
        start = self._next[kind]
        if start + n > self._series[kind].len():
            raise ValueError(f"code pool exhausted for {kind}")
        self._next[kind] = start + n
        return self._series[kind].slice(start, n)

    def plates(self, n: int) -> pl.Series:
        return self._take("plates", n)

    def phones(self, n: int) -> pl.Series:
        return self._take("phones", n)

    def licenses(self, n: int) -> pl.Series:
        return self._take("licenses", n)
