"""A route class for uploads: the body is refused while it streams in once it outgrows the
upload limit, so an oversized file never fills the disk before the service sees it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from starlette.exceptions import HTTPException
from starlette.types import Message

from openward.core.body_limit import BodyTooLarge, UploadRoute, upload_body_limit
from openward.radiology.errors import FileTooLarge


def body_limit(request: Request) -> int:
    return upload_body_limit(request.app.state.settings)


def _too_large(request: Request) -> FileTooLarge:
    limit_mb = request.app.state.settings.upload_max_mb
    return FileTooLarge(f"The file is larger than the limit of {limit_mb} MB.", field="file")


class LimitedUploadRoute(UploadRoute):
    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = body_limit(request)
            declared = request.headers.get("content-length", "")
            receive = request.receive
            seen = 0

            async def counting_receive() -> Message:
                # Raised while the body is read, so a page can catch it and explain.
                nonlocal seen
                if declared.isascii() and declared.isdigit() and int(declared) > limit:
                    raise _too_large(request)
                try:
                    message = await receive()
                except BodyTooLarge:  # the app-wide limit, at the same size: say it our way
                    raise _too_large(request) from None
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > limit:
                        raise _too_large(request)
                return message

            try:
                return await handler(Request(request.scope, counting_receive, request._send))
            except HTTPException as exc:  # FastAPI reports a failed body read as a 400
                if isinstance(exc.__cause__, FileTooLarge):
                    raise exc.__cause__ from None
                raise

        return limited
