"""Database errors that are the caller's doing, not ours: lost races and refused values.

Two writers racing on one row end in a unique violation, a deadlock or a serialization failure
(PostgreSQL) or a lock timeout (SQLite): the loser's transaction is rolled back and it gets a
409. A value the database cannot store (out of range, NUL in text) is a 422. Anything else
stays a 500.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

RACE_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available
VALUE_SQLSTATES_PREFIX = "22"  # class 22: data exception (numeric range, invalid text, ...)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str
    message_es: str


CONFLICT = Refusal(
    409,
    "conflict",
    "the change conflicts with one saved meanwhile; reload and retry",
    "El cambio choca con otro guardado mientras tanto. Recargue la página y vuelva a intentarlo.",
)
INVALID = Refusal(
    422,
    "invalid_input",
    "a value is out of range or contains characters the database cannot store",
    "Un valor está fuera de rango o contiene caracteres no admitidos.",
)


def _sqlstate(exc: sa.exc.DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")


def refusal_of(exc: BaseException) -> Refusal | None:
    """The 4xx a database error stands for, or None when it is a genuine failure."""
    if isinstance(exc, sa.exc.IntegrityError):
        return CONFLICT
    if isinstance(exc, OverflowError):  # SQLite: an integer beyond 64 bits
        return INVALID
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    state = _sqlstate(exc)
    if state in RACE_SQLSTATES or "database is locked" in str(exc.orig):
        return CONFLICT
    if state.startswith(VALUE_SQLSTATES_PREFIX) or isinstance(exc, sa.exc.DataError):
        return INVALID
    return None
