"""Route guards: who is asking (bearer token or session cookie) and may they do this."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core import audit, domains
from openward.core.actors import Actor
from openward.core.errors import CsrfFailed, DomainError, NotAuthenticated, PermissionDenied
from openward.core.origin import origin_of
from openward.core.permissions import PERMISSION_ATTR, PUBLIC
from openward.core.security import SESSION_COOKIE
from openward.db import get_db
from openward.identity import service as identity_service
from openward.identity.errors import SessionExpired
from openward.identity.models import User

CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

DB = Annotated[AsyncSession, Depends(get_db, scope="function")]


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


async def resolve_actor(request: Request, db: AsyncSession) -> Actor | None:
    """The signed-in actor of this request, or None; remembers user and session on state."""
    if hasattr(request.state, "actor"):
        return request.state.actor
    settings = settings_of(request)
    origin = origin_of(request)
    header = request.headers.get("authorization", "")
    actor: Actor | None = None
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        actor, user = await identity_service.actor_from_access_token(db, settings, origin, token)
        request.state.user = user
    elif cookie := request.cookies.get(SESSION_COOKIE):
        try:
            actor, user, session = await identity_service.actor_from_session(
                db, settings, origin, cookie
            )
        except SessionExpired as exc:  # the sign-in page says why (idle, expired)
            request.state.session_end_reason = exc.extra.get("reason")
            raise
        request.state.user = user
        request.state.web_session = session
        request.state.csrf_token = session.csrf_token
        if not request.url.path.startswith("/api/") and request.method in _SAFE_METHODS:
            # What the domains add to every page's layout (the bell's unread count, ...).
            for hook in domains.page_hooks():
                await hook(request, db, actor)
        if request.url.path.startswith("/api/") and request.method not in _SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or sent != session.csrf_token:
                raise CsrfFailed("Send the X-CSRF-Token header with cookie-authenticated writes.")
    request.state.actor = actor
    return actor


def require(permission: str) -> Any:
    """Declare and enforce the permission a route needs; yields the acting Actor."""

    async def guard(request: Request, db: DB) -> Actor:
        actor = await resolve_actor(request, db)
        if actor is None:
            raise NotAuthenticated("Sign in to continue.")
        if not actor.can(permission):
            await audit.record(
                db,
                actor,
                "access.denied",
                outcome="denied",
                detail={
                    "permission": permission,
                    "method": request.method,
                    "path": request.url.path,
                },
            )
            raise PermissionDenied(f"Your role ({actor.role}) does not have '{permission}'.")
        return actor

    setattr(guard, PERMISSION_ATTR, permission)
    guard.__name__ = f"require_{permission.replace(':', '_')}"
    return Depends(guard, scope="function")


async def _public(request: Request) -> None:
    """Anyone may call this route (sign-in, registration, health)."""


setattr(_public, PERMISSION_ATTR, PUBLIC)
public = Depends(_public)


async def optional_actor(request: Request, db: DB) -> Actor | None:
    """For public pages that look different when someone is signed in (login page)."""
    try:
        return await resolve_actor(request, db)
    except DomainError:  # an expired session or bad token just means "not signed in"
        return None


def current_user(request: Request) -> User:
    """The User row loaded by the guard (only inside a guarded route)."""
    return request.state.user
