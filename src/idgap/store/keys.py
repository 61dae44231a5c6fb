"""`column IN (keys)` with any number of keys as ONE bound parameter, on both backends.

This replaces chunked IN lists (SQLite allows 999 bound parameters per statement, so callers
used to loop over chunks of 900 keys and stack the results): PostgreSQL gets
`column = ANY(:array)`, SQLite `column IN (SELECT value FROM json_each(:json))`. Both probe the
column's index per key, so a 10-key and a 100,000-key filter are each one statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement


class InKeys(ColumnElement[bool]):
    """A boolean SQL expression: `column` is one of `keys` (compiled per dialect)."""

    # not Boolean: SQLite would render "... IN (...) = 1", which no index serves
    type = sa.types.NullType()  # type: ignore[assignment]
    inherit_cache = False  # the keys are data: never cache a compiled statement holding them

    def __init__(self, column: ColumnElement[Any], keys: Iterable[Any]) -> None:
        self.column = column
        self.keys = list(dict.fromkeys(keys))


def in_keys(column: ColumnElement[Any], keys: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN keys` for any number of keys (an empty list matches nothing)."""
    keys = list(keys)
    if not keys:
        return sa.false()
    return InKeys(column, keys)


@compiles(InKeys)
def _compile_sqlite(element: InKeys, compiler: Any, **kw: Any) -> str:
    text = orjson.dumps(element.keys, default=str).decode()
    param = sa.bindparam(None, text, type_=sa.Text(), unique=True)
    return (  # only compiled SQL: the keys travel as one bound parameter
        f"{compiler.process(element.column, **kw)} IN "  # noqa: S608
        f"(SELECT value FROM json_each({compiler.process(param, **kw)}))"
    )


@compiles(InKeys, "postgresql")
def _compile_postgresql(element: InKeys, compiler: Any, **kw: Any) -> str:
    param = sa.bindparam(None, element.keys, type_=ARRAY(element.column.type), unique=True)
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(param, **kw)})"
