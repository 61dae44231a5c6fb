"""The edge of every request (API and web): hostile input refused, bodies capped, headers set.

A pure ASGI middleware, so it runs before routing, authentication and any database work:
- a NUL byte anywhere in the path or in a query parameter is a 400 (PostgreSQL cannot store
  NUL in text, and no identifier of ours contains one);
- a body larger than its cap is a 413: announced (Content-Length) at once, streamed (chunked)
  as soon as the count passes the cap. Uploads get the upload cap, every other body a small one;
  the app reads an upload only after authenticating, so an anonymous client cannot make the
  server read a large body;
- every response carries the security headers (CSP without inline script or style).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from idgap.errors import PayloadTooLarge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SMALL_BODY_BYTES = 1024 * 1024  # forms and JSON bodies; CSV uploads have their own cap
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


WEB_REFUSALS = {
    400: "Solicitud no válida: la dirección contiene un carácter nulo (NUL).",
    413: "El archivo o formulario supera el tamaño máximo permitido.",
}


def nul_in_request(scope: Scope) -> str | None:
    """Where a NUL byte hides in the path or the query string, or None."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    for key, value in parse_qsl(query, keep_blank_values=True, encoding="latin-1"):
        if "\x00" in key or "\x00" in value:
            return f"query parameter {key.strip(chr(0))!r}"
    return None


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class EdgeGuard:
    def __init__(self, app: ASGIApp, *, upload_paths: frozenset[str], upload_limit: int) -> None:
        self.app, self.upload_paths, self.upload_limit = app, upload_paths, upload_limit

    def limit_for(self, path: str) -> int:
        return self.upload_limit if path in self.upload_paths else SMALL_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        where = nul_in_request(scope)
        if where:
            await _refuse(scope, send, 400, "bad_request", f"NUL byte in the {where}")
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, 413, "payload_too_large", _too_large(limit))
            return
        await self.app(scope, _counting(receive, limit), send)


def _too_large(limit: int) -> str:
    return f"request body larger than {limit // (1024 * 1024)} MB"


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge(_too_large(limit))
        return message

    return counted


def _with_security_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            for name, value in SECURITY_HEADERS.items():
                if name.encode() not in present:
                    headers.append((name.encode(), value.encode()))
            if b"cache-control" not in present:
                headers.append((b"cache-control", b"no-store"))
            message["headers"] = headers
        await send(message)

    return sending


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    """JSON under /api, a short Spanish text page elsewhere (no template: nothing parsed yet)."""
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        ctype = b"application/json"
    else:
        text = WEB_REFUSALS.get(status, "Solicitud no válida.")
        body = f"<!doctype html><title>{status}</title><h1>{text}</h1>".encode()
        ctype = b"text/html; charset=utf-8"
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


WEB_UPLOAD_PATHS = frozenset({"/carga", "/cobranza/carga"})


def install_edge(app: Any, settings: Any, *, upload_paths: set[str]) -> None:
    """Wrap `app` (API and/or web) in the edge guard with the one upload cap from settings."""
    app.add_middleware(
        EdgeGuard,
        upload_paths=frozenset(upload_paths) | WEB_UPLOAD_PATHS,
        upload_limit=settings.max_upload_mb * 1024 * 1024,
    )
