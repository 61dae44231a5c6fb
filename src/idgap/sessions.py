"""Server-side web sessions: a login opens one, logout ends it, the token's end ends them all.

The cookie carries a random session id; only its SHA-256 is stored, so the table alone cannot
be replayed. A session is valid while it is not ended, not past its expiry, and its token is
neither revoked nor expired - one indexed lookup per page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from idgap.store.tables import api_tokens, web_sessions


@dataclass(frozen=True)
class SessionOwner:
    token_id: int
    name: str
    role: str


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def open_session(conn: sa.Connection, *, token_id: int, now: dt.datetime, max_age_s: int) -> str:
    """A new session of `token_id`; returns its id (to put in the signed cookie)."""
    sid = secrets.token_urlsafe(32)
    conn.execute(
        web_sessions.insert().values(
            sid_hash=_hash(sid), token_id=token_id, created_at=now,
            expires_at=now + dt.timedelta(seconds=max_age_s),
        )
    )  # fmt: skip
    return sid


def session_owner(conn: sa.Connection, sid: str | None, *, now: dt.datetime) -> SessionOwner | None:
    """Who a live session belongs to, or None (ended, expired, token revoked or expired)."""
    if not sid:
        return None
    s, t = web_sessions, api_tokens
    row = conn.execute(
        sa.select(t.c.id, t.c.name, t.c.role)
        .join(t, t.c.id == s.c.token_id)
        .where(
            s.c.sid_hash == _hash(sid), s.c.ended_at.is_(None), s.c.expires_at > now,
            t.c.revoked_at.is_(None), sa.or_(t.c.expires_at.is_(None), t.c.expires_at > now),
        )
    ).first()  # fmt: skip
    return None if row is None else SessionOwner(int(row.id), row.name, row.role)


def end_session(conn: sa.Connection, sid: str | None, *, now: dt.datetime) -> None:
    if sid:
        conn.execute(
            web_sessions.update()
            .where(web_sessions.c.sid_hash == _hash(sid), web_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )
