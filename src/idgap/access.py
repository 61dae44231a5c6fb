"""API tokens: shown once, stored as SHA-256, with roles viewer < operator < admin."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import IntEnum

import sqlalchemy as sa

from idgap.errors import InputError, NotFound
from idgap.store.tables import api_tokens

PREFIX = "idg_"
MAX_TOKEN_LENGTH = 128  # ours are 47 characters; longer ones are refused without a lookup


class Role(IntEnum):
    viewer = 1
    operator = 2
    admin = 3

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls[value]
        except KeyError:
            raise InputError(f"unknown role {value!r}; choose viewer, operator or admin") from None


@dataclass(frozen=True)
class Principal:
    token_id: int
    name: str
    role: Role

    def can(self, needed: Role) -> bool:
        return self.role >= needed


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    conn: sa.Connection,
    *,
    name: str,
    role: str | Role,
    now: dt.datetime,
    expires_days: int | None = None,
) -> str:
    """Create a token and return its plaintext - the only time it is ever visible."""
    r = role if isinstance(role, Role) else Role.parse(role)
    if expires_days is not None and expires_days < 1:
        raise InputError("--expires-days must be at least 1")
    expires = None if expires_days is None else now + dt.timedelta(days=expires_days)
    token = PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        api_tokens.insert().values(
            name=name, role=r.name, token_hash=hash_token(token), prefix=token[:12],
            created_at=now, expires_at=expires,
        )
    )  # fmt: skip
    return token


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def verify_token(conn: sa.Connection, token: str | None, *, now: dt.datetime) -> Principal | None:
    """The principal of a valid, unrevoked token.

    Looked up by its hash, so comparing secrets leaks no timing.
    """
    if not token or not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = conn.execute(
        sa.select(api_tokens).where(api_tokens.c.token_hash == hash_token(token))
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    expires = as_utc(row.expires_at)
    if expires is not None and now >= expires:
        return None
    last = as_utc(row.last_used_at)
    if last is None or now - last > dt.timedelta(minutes=1):
        conn.execute(api_tokens.update().where(api_tokens.c.id == row.id).values(last_used_at=now))
    return Principal(row.id, row.name, Role[row.role])


# what a listing shows of a token: never its hash
TOKEN_FIELDS = (
    "id", "name", "role", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at",
)  # fmt: skip


def list_tokens(conn: sa.Connection) -> list[dict]:
    cols = [api_tokens.c[c] for c in TOKEN_FIELDS]
    return [dict(r._mapping) for r in conn.execute(sa.select(*cols).order_by(api_tokens.c.id))]


def revoke_token(conn: sa.Connection, token_id: int, *, now: dt.datetime) -> None:
    done = conn.execute(
        api_tokens.update()
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if done.rowcount == 0:
        raise NotFound(f"no active token #{token_id}")
