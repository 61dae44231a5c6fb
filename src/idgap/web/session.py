"""Web login: a pasted API token becomes a signed session cookie; CSRF on every form POST.

The cookie is signed (itsdangerous) with `settings.secret_key`, or with a random per-process key
when none is configured (sessions then end when the server restarts). It never carries the
token itself, only its id, name, role and the id of a server-side session (idgap.sessions),
which is checked on every request: logout, a revoked or an expired token end it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict, dataclass, replace
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "idgap_session"
SESSION_MAX_AGE_S = 12 * 3600
ROLE_RANK = {"viewer": 0, "operator": 1, "admin": 2}
ROLE_LABEL = {"viewer": "lector", "operator": "operador", "admin": "administrador"}


def role_name(role: Any) -> str:
    """'viewer' | 'operator' | 'admin' from an `idgap.access.Role` member or a plain string."""
    for attr in ("value", "name"):
        value = getattr(role, attr, None)
        if isinstance(value, str) and value.lower() in ROLE_RANK:
            return value.lower()
    text = str(role).lower().rsplit(".", 1)[-1]
    if text not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")
    return text


def role_allows(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK.get(role, -1) >= ROLE_RANK[needed]


@dataclass(frozen=True)
class WebSession:
    """What the cookie holds. Anonymous sessions exist too: they carry the login form's CSRF."""

    csrf: str
    token_id: int | None = None
    name: str | None = None
    role: str | None = None
    flash: str | None = None
    flash_kind: str = "info"
    sid: str | None = None  # the server-side session (idgap.sessions); logout ends it

    @property
    def authenticated(self) -> bool:
        return self.token_id is not None and self.role is not None and self.sid is not None

    def with_flash(self, message: str, kind: str = "info") -> WebSession:
        return replace(self, flash=message, flash_kind=kind)

    def without_flash(self) -> WebSession:
        return replace(self, flash=None, flash_kind="info")


def new_session() -> WebSession:
    return WebSession(csrf=secrets.token_urlsafe(24))


def login_session(*, token_id: int, name: str, role: str, sid: str) -> WebSession:
    """A fresh CSRF token at login, so a token planted before login is worthless after it."""
    return WebSession(
        csrf=secrets.token_urlsafe(24), token_id=token_id, name=name, role=role, sid=sid
    )


class SessionCodec:
    def __init__(self, secret_key: str, *, max_age_s: int = SESSION_MAX_AGE_S):
        key = secret_key or secrets.token_urlsafe(48)
        self._serializer = URLSafeTimedSerializer(key, salt="idgap.web.session")
        self.max_age_s = max_age_s

    def dumps(self, session: WebSession) -> str:
        return self._serializer.dumps(asdict(session))

    def loads(self, raw: str | None) -> WebSession | None:
        """The session in a cookie, or None when missing, tampered with or expired."""
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=self.max_age_s)
            return WebSession(**data)
        except (BadSignature, TypeError, ValueError):
            return None


def csrf_matches(session: WebSession, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, submitted or "")


def cookie_kwargs(*, secure: bool) -> dict[str, Any]:
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": secure,
        "max_age": SESSION_MAX_AGE_S,
        "path": "/",
    }
