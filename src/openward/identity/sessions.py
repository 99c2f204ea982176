"""Browser sessions: opening one at sign-in, checking it on each request (idle and absolute
limits, a deactivated account) and closing it at sign-out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core import audit, security
from openward.core.actors import Actor
from openward.db import Write, utcnow, write
from openward.identity.accounts import actor_for
from openward.identity.errors import SessionExpired
from openward.identity.models import User, WebSession
from openward.identity.sign_in import signed_in
from openward.identity.sign_in_throttling import minutes


@dataclass(frozen=True)
class OpenSession:
    cookie_token: str
    session: WebSession


async def open_session(db: AsyncSession, settings: Settings, origin: Actor, user: User):
    await signed_in(db, settings, origin, user, "session")
    token = security.new_opaque_token()
    session = WebSession(
        token_hash=security.token_digest(token),
        user_id=user.id,
        csrf_token=security.new_opaque_token(),
        expires_at=utcnow() + timedelta(hours=settings.session_max_hours),
        ip=origin.ip,
        user_agent=(origin.user_agent or "")[:300] or None,
    )
    db.add(session)
    await db.flush()
    return OpenSession(token, session)


async def actor_from_session(
    db: AsyncSession, settings: Settings, origin: Actor, cookie_token: str
) -> tuple[Actor, User, WebSession]:
    # One round trip: the session and its user.
    row = (
        await db.execute(
            select(WebSession, User)
            .outerjoin(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == security.token_digest(cookie_token))
        )
    ).first()
    session, user = row if row is not None else (None, None)
    if session is None or session.ended_at is not None:
        raise SessionExpired("Please sign in.")
    now = utcnow()
    reason = None
    if session.expires_at <= now:
        reason = "expired"
    elif session.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= now:
        reason = "idle"
    if reason is None and (user is None or not user.is_active or not user.is_approved):
        reason = "deactivated"
    if reason is not None:
        await write(db, _ending(session.id, now, reason))
        if user is not None:
            await audit.record(
                db,
                actor_for(user, origin, "session"),
                "auth.session_end",
                reason=reason,
                object_type="user",
                object_id=user.id,
            )
        message = {
            "idle": f"You were signed out after {minutes(settings.session_idle_minutes)} "
            "without activity.",
            "expired": "Your session has expired; please sign in again.",
        }.get(reason, "Please sign in.")
        raise SessionExpired(message, extra={"reason": reason})
    assert user is not None
    if (now - session.last_seen_at).total_seconds() >= 30:
        await write(db, _seen(session.id, now))
    actor = Actor(
        id=user.id,
        username=user.username,
        role=user.role,
        ip=origin.ip,
        user_agent=origin.user_agent,
        via="session",
        session_id=session.id,
        full_name=user.full_name,
    )
    return actor, user, session


def _ending(session_id: int, now: datetime, reason: str) -> Write:
    async def end(db: AsyncSession) -> None:
        ended = {"ended_at": now, "ended_reason": reason}
        await db.execute(update(WebSession).where(WebSession.id == session_id).values(**ended))

    return end


def _seen(session_id: int, now: datetime) -> Write:
    async def seen(db: AsyncSession) -> None:
        await db.execute(
            update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now)
        )

    return seen


async def close_session(
    db: AsyncSession, actor: Actor, session_id: int | None, *, idle: bool = False
) -> None:
    """Sign-out from the browser; `idle` when the page signed out an unattended screen."""
    if session_id is None:
        return
    session = await db.get(WebSession, session_id)
    if session is not None and session.ended_at is None:
        session.ended_at = utcnow()
        session.ended_reason = "idle" if idle else "logout"
    await audit.record(
        db,
        actor,
        "auth.logout",
        object_type="user",
        object_id=actor.id,
        reason="idle" if idle else None,
        detail={"via": "session"},
    )
