"""One search box for persons, the gap table and the review queue, over `search_keys`.

The text is normalised by the matcher's own functions and read as every kind at once: name
tokens (all must match, any order, each as a prefix), a phone (last 9 digits), a licence or plate
(exact or prefix), or a record id. Every branch is an indexed equality or range lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from idgap.identity.search_index import KEY_MAX, LEAD, PERSON
from idgap.matching import normalize
from idgap.store.tables import search_keys

MIN_PREFIX = 3  # shorter name tokens must match a whole token
MIN_CODE = 4  # licences and plates shorter than this are not searched as codes
MAX_TEXT = 200
KEY_PREFIX = re.compile(r"[0-9a-f-]{6,36}")  # the start of a person key (a UUID)
KEY_LEN = 36

__all__ = ["SearchTerms", "search_clause", "LEAD", "PERSON"]


@dataclass(frozen=True)
class SearchTerms:
    text: str
    tokens: tuple[str, ...]
    phone: str | None
    code: str | None

    @classmethod
    def parse(cls, text: str | None) -> SearchTerms | None:
        """The normalised forms of a search text; None when there is nothing to search."""
        text = (text or "").strip()[:MAX_TEXT]
        if not text:
            return None
        row = pl.select(
            tokens=normalize.name_tokens(normalize.name(pl.lit(text))),
            phone=normalize.phone(pl.lit(text)),
            code=normalize.alnum(pl.lit(text)),
        ).row(0, named=True)
        letters = any(ch.isalpha() for ch in text)
        digits = any(ch.isdigit() for ch in text)  # names have none: a plate, phone or id
        return cls(
            text=text,
            tokens=() if digits else tuple(dict.fromkeys(row["tokens"] or [])),
            phone=None if letters else row["phone"],
            code=row["code"] if row["code"] and len(row["code"]) >= MIN_CODE else None,
        )


def _prefix(col: sa.ColumnElement, prefix: str) -> sa.ColumnElement[bool]:
    """key starts with prefix, as a range an index serves on both backends.

    Keys hold only [A-Z0-9], so every key with the prefix lies between the prefix and the
    prefix padded with 'Z' to the key length, in any collation that orders digits and capitals.
    """
    return sa.and_(col >= prefix, col <= prefix + "Z" * (KEY_MAX - len(prefix)))


def _token(col: sa.ColumnElement, token: str) -> sa.ColumnElement[bool]:
    return _prefix(col, token) if len(token) >= MIN_PREFIX else col == token


def _ids(entity: str, *where: sa.ColumnElement[bool]) -> sa.Select:
    sk = search_keys
    return sa.select(sk.c.entity_id).where(sk.c.entity == entity, *where)


def _all_tokens(
    entity: str, id_col: sa.ColumnElement, tokens: tuple[str, ...]
) -> sa.ColumnElement[bool]:
    """Rows having a name key for every token (any order): one index range scan per token.

    An intersection of IN lists rather than GROUP BY ... HAVING: grouping made SQLite walk
    the (entity, entity_id) index over every key of the entity instead of the key ranges.
    """
    sk = search_keys
    return sa.and_(
        *[id_col.in_(_ids(entity, sk.c.kind == "name", _token(sk.c.key, t))) for t in tokens]
    )


def search_clause(
    entity: str, id_col: sa.ColumnElement, terms: SearchTerms | str | None
) -> sa.ColumnElement[bool] | None:
    """WHERE clause selecting the rows of `id_col` (lead ids or person keys) that match."""
    if isinstance(terms, str) or terms is None:
        terms = SearchTerms.parse(terms)
    if terms is None:
        return None
    sk = search_keys
    branches: list[sa.ColumnElement[bool]] = [id_col == terms.text]
    key_part = terms.text.lower()
    if entity == PERSON and KEY_PREFIX.fullmatch(key_part):  # a person key pasted in part
        # a range, not LIKE: SQLite's LIKE ignores case and so never uses the primary key
        pad = "f" * max(0, KEY_LEN - len(key_part))
        branches.append(sa.and_(id_col >= key_part, id_col <= key_part + pad))
    if terms.tokens:
        branches.append(_all_tokens(entity, id_col, terms.tokens))
    if terms.phone:
        branches.append(id_col.in_(_ids(entity, sk.c.kind == "phone", sk.c.key == terms.phone)))
    if terms.code:
        code = sa.and_(sk.c.kind.in_(("doc", "plate")), _prefix(sk.c.key, terms.code))
        branches.append(id_col.in_(_ids(entity, code)))
    return sa.or_(*branches)


def phone_clause(entity: str, id_col: sa.ColumnElement, phone: str) -> sa.ColumnElement[bool]:
    """Rows whose phone is this one in any format (the API's `phone=` filter)."""
    key = pl.select(normalize.phone(pl.lit(phone))).item()
    sk = search_keys
    return id_col.in_(_ids(entity, sk.c.kind == "phone", sk.c.key == (key or "")))


def code_clause(entity: str, id_col: sa.ColumnElement, code: str) -> sa.ColumnElement[bool]:
    """Rows with this licence (the API's `license=` filter), in any spacing or case."""
    key = pl.select(normalize.alnum(pl.lit(code))).item()
    sk = search_keys
    return id_col.in_(_ids(entity, sk.c.kind == "doc", sk.c.key == (key or "")))
