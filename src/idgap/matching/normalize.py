"""SPEC §4.1 normalisation as Polars expressions: ONE implementation applied to both sides."""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from idgap.matching.plates import skeleton

STOPWORDS = ["DE", "DEL", "LA", "LOS", "LAS", "EL", "Y", "E"]
_ACCENTS = {
    "Á": "A", "À": "A", "Â": "A", "Ä": "A", "Ã": "A", "Å": "A",
    "É": "E", "È": "E", "Ê": "E", "Ë": "E",
    "Í": "I", "Ì": "I", "Î": "I", "Ï": "I",
    "Ó": "O", "Ò": "O", "Ô": "O", "Ö": "O", "Õ": "O",
    "Ú": "U", "Ù": "U", "Û": "U", "Ü": "U",
    "Ñ": "N", "Ç": "C",
}  # fmt: skip


def _empty_to_null(e: pl.Expr) -> pl.Expr:
    return pl.when(e.str.len_chars() > 0).then(e).otherwise(None)


def fold_upper(e: pl.Expr) -> pl.Expr:
    up = e.cast(pl.Utf8).str.to_uppercase()
    return up.str.replace_many(list(_ACCENTS), list(_ACCENTS.values()))


def phone(e: pl.Expr) -> pl.Expr:
    """Digits only; fewer than 8 digits is no phone; compare Peruvian mobiles on the last 9."""
    digits = e.cast(pl.Utf8).str.replace_all(r"\D", "")
    return pl.when(digits.str.len_chars() >= 8).then(digits.str.slice(-9)).otherwise(None)


def alnum(e: pl.Expr) -> pl.Expr:
    """License and plate: upper case, only [A-Z0-9]."""
    return _empty_to_null(fold_upper(e).str.replace_all(r"[^A-Z0-9]", ""))


def plate_skeleton(e: pl.Expr) -> pl.Expr:
    """Plate with look-alike characters collapsed (plates.py): the blocking key."""
    return skeleton(e)


def name(e: pl.Expr) -> pl.Expr:
    """Upper case, accents folded, only letters and single spaces."""
    cleaned = fold_upper(e).str.replace_all(r"[^A-Z ]", " ").str.replace_all(r" +", " ")
    return _empty_to_null(cleaned.str.strip_chars())


ExprOrSeries = TypeVar("ExprOrSeries", pl.Expr, pl.Series)


def name_tokens(e: ExprOrSeries) -> ExprOrSeries:
    """Name tokens minus the stopwords, in order (of a column expression or of a Series)."""
    return e.str.split(" ").list.filter(
        pl.element().is_not_null()
        & (pl.element().str.len_chars() > 0)
        & ~pl.element().is_in(STOPWORDS)
    )


def model(e: pl.Expr) -> pl.Expr:
    """Car model: upper case, accents folded, letters, digits and single spaces."""
    cleaned = fold_upper(e).str.replace_all(r"[^A-Z0-9 ]", " ").str.replace_all(r" +", " ")
    return _empty_to_null(cleaned.str.strip_chars())


DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y")  # SPEC §2


def parse_date_text(e: pl.Expr) -> pl.Expr:
    """The date part of a text in any accepted format (SPEC §2); null when none fits."""
    day = e.cast(pl.Utf8).str.strip_chars().str.slice(0, 10)
    return pl.coalesce([day.str.to_date(f, strict=False) for f in DATE_FORMATS])


def join_name(*parts: str) -> pl.Expr:
    """first + middle + last joined by single spaces, skipping empty parts (REF §3.2)."""
    cleaned = [pl.col(p).cast(pl.Utf8).str.strip_chars() for p in parts]
    present = [pl.when(c != "").then(c) for c in cleaned]
    return pl.concat_str(present, separator=" ", ignore_nulls=True)


def _first_word(e: pl.Expr) -> pl.Expr:
    """The first name token longer than one letter (an initial says too little)."""
    return name_tokens(name(e)).list.filter(pl.element().str.len_chars() > 1).list.first()


def normalize_candidates(df: pl.DataFrame) -> pl.DataFrame:
    """Add the normalised columns to a canonical candidates frame (ARCHITECTURE.md)."""
    raw = ("phone_raw", "license_raw", "name_raw", "plate_raw", "model_raw", "brand_raw")
    for col in (*raw, "given_raw", "surname_raw"):
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(col))
    out = df.with_columns(
        phone_norm=phone(pl.col("phone_raw")),
        license_norm=alnum(pl.col("license_raw")),
        plate_norm=alnum(pl.col("plate_raw")),
        name_norm=name(pl.col("name_raw")),
        model_norm=model(pl.col("model_raw")),
        brand_norm=model(pl.col("brand_raw")),  # no lead source has a brand (REF §3.3 R4)
    )
    return out.with_columns(
        plate_skel=plate_skeleton(pl.col("plate_norm")),
        name_tokens=name_tokens(pl.col("name_norm")),
        # the form's first given name and first surname, initials skipped (null: no field)
        given_token=_first_word(pl.col("given_raw")),
        surname_token=_first_word(pl.col("surname_raw")),
    )
