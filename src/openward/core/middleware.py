"""Request ids, the access log line and security headers on every response."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openward.core import transport_security

log = logging.getLogger("openward.access")

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# The interactive API docs load their own inline script and styles.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline' https:; "
    "script-src 'self' 'unsafe-inline' https:; frame-ancestors 'none'"
)


def apply_security_headers(
    headers: MutableMapping[str, str] | MutableHeaders, path: str = ""
) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    if path in ("/docs", "/redoc"):
        headers["Content-Security-Policy"] = DOCS_CSP


def _has_nul(scope: Scope) -> bool:
    query = scope.get("query_string", b"").lower()
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query


async def _refuse_nul(scope: Scope, send: Send) -> None:
    """A URL with a NUL character can name nothing stored here: a clear 422, not a 500."""
    body = json.dumps(
        {
            "type": "https://openward.org/problems/validation_error",
            "title": "The request has invalid fields",
            "status": 422,
            "code": "validation_error",
            "detail": "The address contains a NUL character.",
            "instance": scope.get("path", "").replace("\x00", ""),
            "request_id": scope["state"]["request_id"],
            "errors": [{"field": "query", "message": "must not contain NUL characters"}],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Gives each request an id (kept from X-Request-ID when sane) and logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
        rid = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                apply_security_headers(headers, path)
                if not path.startswith("/static/"):  # patient data must not linger in caches
                    headers.setdefault("Cache-Control", "no-store")
                transport_security.protect(scope, message)
            await send(message)

        if _has_nul(scope):
            await _refuse_nul(scope, send_with_headers)
            log.info(
                "request_id=%s method=%s path=%s status=422 (NUL in URL)",
                rid,
                scope.get("method"),
                path,
            )
            return
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info(
                "request_id=%s method=%s path=%s status=%s ms=%.1f",
                rid,
                scope.get("method"),
                path,
                status["code"],
                elapsed,
            )
