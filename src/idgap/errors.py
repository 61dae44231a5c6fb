"""One error hierarchy: JSON in the API, a page in the web UI, one line in the CLI."""

from __future__ import annotations


class IdgapError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class InputError(IdgapError):
    """Input the user can fix: a malformed file, an unknown table, a bad parameter."""

    status = 422
    code = "invalid_input"


class NotFound(IdgapError):
    status = 404
    code = "not_found"


class Conflict(IdgapError):
    status = 409
    code = "conflict"


class JobLocked(Conflict):
    """Another recovery run holds the job lock."""

    code = "job_locked"


class AuthError(IdgapError):
    status = 401
    code = "unauthorized"


class Forbidden(IdgapError):
    status = 403
    code = "forbidden"


class TooManyRequests(IdgapError):
    """Too many failed logins or bad tokens from one client; `Retry-After` says when to retry."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_s: int):
        super().__init__(message, headers={"Retry-After": str(retry_after_s)})
        self.retry_after_s = retry_after_s


class PayloadTooLarge(IdgapError):
    status = 413
    code = "payload_too_large"
