"""Cross-origin use of the JSON API by separate web or mobile front ends.

Only /api/ answers cross-origin requests, and only for the origins in OPENWARD_CORS_ORIGINS
(none by default: then no Access-Control-Allow-Origin header is ever sent). The pages never
do. Credentials (cookies) are never allowed: a front end elsewhere signs in through
/api/v1/auth/login and sends its bearer token, so "*" cannot expose a signed-in session.

The app is assembled once and configured per settings, so the middleware reads the
origins from the settings of the app serving the request.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

API_PREFIX = "/api/"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REQUEST_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")
EXPOSED_HEADERS = ("X-Request-ID", "Content-Disposition", "Location", "Retry-After")


class ApiCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._origins: tuple[str, ...] = ()
        self._cors: ASGIApp | None = None

    def _cors_for(self, origins: tuple[str, ...]) -> ASGIApp:
        if self._cors is None or origins != self._origins:
            self._cors = CORSMiddleware(
                self.app,
                allow_origins=origins,
                allow_methods=METHODS,
                allow_headers=REQUEST_HEADERS,
                allow_credentials=False,
                expose_headers=EXPOSED_HEADERS,
                max_age=600,
            )
            self._origins = origins
        return self._cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        settings = getattr(scope["app"].state, "settings", None)
        origins = tuple(getattr(settings, "cors_origins", ()) or ())
        if not origins:
            await self.app(scope, receive, send)
            return
        await self._cors_for(origins)(scope, receive, send)
