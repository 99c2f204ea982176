"""HTTPS-only protections: HSTS, and `Secure` on every cookie the app sets.

A request counts as HTTPS when it arrived over TLS directly or through a proxy that uvicorn
trusts (`--proxy-headers` with FORWARDED_ALLOW_IPS): uvicorn then sets scope["scheme"] to
"https". Plain http never gets HSTS; OPENWARD_COOKIE_SECURE=true makes cookies Secure even
then (for a proxy that terminates TLS without forwarding the scheme)."""

from __future__ import annotations

from starlette.types import Message, Scope

HSTS = "max-age=31536000; includeSubDomains"


def is_https(scope: Scope) -> bool:
    return scope.get("scheme") in ("https", "wss")


def _cookies_forced_secure(scope: Scope) -> bool:
    app = scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    return bool(getattr(settings, "cookie_secure", False))


def _with_secure(cookie: bytes) -> bytes:
    attributes = [part.strip().lower() for part in cookie.split(b";")[1:]]
    return cookie if b"secure" in attributes else cookie + b"; Secure"


def protect(scope: Scope, message: Message) -> None:
    """Adjust a response's start message in place (called once per response)."""
    https = is_https(scope)
    if not (https or _cookies_forced_secure(scope)):
        return
    headers = [
        (name, _with_secure(value) if name.lower() == b"set-cookie" else value)
        for name, value in message.get("headers", [])
    ]
    if https:
        headers.append((b"strict-transport-security", HSTS.encode()))
    message["headers"] = headers
