"""Request bodies larger than the hospital allows are refused before they are read: by their
declared Content-Length up front, or as they stream in, so no process fills its memory."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openward.core import problems
from openward.core.errors import DomainError
from openward.core.permissions import all_routes

# Room for the multipart envelope (boundaries, part headers, a CSRF field) around a file;
# the upload's service enforces the exact limit on the file itself.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


class BodyTooLarge(DomainError):
    status = 413
    code = "body_too_large"
    title = "The request body is too large"


class UploadRoute(APIRoute):
    """A route that takes files: its body may reach the upload limit (`upload_max_mb`), and
    it may word the refusal itself (the middleware then refuses only while it is read)."""


def upload_body_limit(settings: Any) -> int:
    return settings.upload_max_mb * 1024 * 1024 + UPLOAD_ENVELOPE_BYTES


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None


class BodyLimitMiddleware:
    """Refuses bodies over `body_max_bytes` (or the upload limit on upload routes) with
    413 `body_too_large`, never holding more than the limit in memory."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._upload_paths: list[tuple[re.Pattern[str], set[str]]] | None = None

    def _is_upload(self, scope: Scope) -> bool:
        if self._upload_paths is None:  # the routes are all known by the first request
            self._upload_paths = [
                (route.path_regex, set(route.methods or ()))
                for route in all_routes(getattr(scope.get("app"), "routes", []))
                if isinstance(route.original_route, UploadRoute)
            ]
        path, method = scope.get("path", ""), scope.get("method", "")
        return any(method in methods and regex.match(path) for regex, methods in self._upload_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        upload = self._is_upload(scope)
        limit = upload_body_limit(settings) if upload else settings.body_max_bytes
        declared = _declared_length(scope)
        if declared is not None and declared > limit and not upload:
            await _refuse(scope, receive, send, limit)  # the body is never read
            return

        seen = 0
        tripped = False
        started = False

        async def limited_receive() -> Message:
            nonlocal seen, tripped
            if tripped or (declared is not None and declared > limit):
                tripped = True
                raise BodyTooLarge(_detail(limit))
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    tripped = True
                    raise BodyTooLarge(_detail(limit))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if tripped and not upload:
                # Whatever the app made of the broken read (FastAPI says 400), the answer is
                # 413; the app's own messages are dropped.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _refuse(scope, receive, send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(scope, receive, send, limit)


def _detail(limit: int) -> str:
    return f"The request body is larger than the limit of {_size(limit)}."


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.0f} MB"
    if limit >= 1024:
        return f"{limit / 1024:.0f} KB"
    return f"{limit} bytes"


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    """413 problem+json for the API, the error page for people; the connection is closed so
    the rest of the body is never read."""
    request = Request(scope, receive)
    response = problems.problem(
        request,
        413,
        BodyTooLarge.code,
        BodyTooLarge.title,
        _detail(limit),
        [{"field": "body", "message": _detail(limit)}],
        max_bytes=limit,
    )
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
