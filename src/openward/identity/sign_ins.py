"""Where a user is signed in (browser sessions and API sign-ins), and ending those sign-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core import audit
from openward.core.actors import Actor
from openward.db import utcnow
from openward.identity.errors import SignInNotFound
from openward.identity.models import ApiSignIn, RefreshToken, WebSession


async def end_api_sign_ins(
    db: AsyncSession, reason: str, *, user_id: int | None = None, family_id: str | None = None
) -> None:
    """End API sign-ins, every one of a user's or one token family: refresh tokens revoked
    (so their access tokens stop too) and the sign-in marked ended."""
    now = utcnow()
    tokens = update(RefreshToken).where(RefreshToken.revoked_at.is_(None))
    sign_ins = update(ApiSignIn).where(ApiSignIn.ended_at.is_(None))
    if family_id is not None:
        tokens = tokens.where(RefreshToken.family_id == family_id)
        sign_ins = sign_ins.where(ApiSignIn.family_id == family_id)
    else:
        tokens = tokens.where(RefreshToken.user_id == user_id)
        sign_ins = sign_ins.where(ApiSignIn.user_id == user_id)
    await db.execute(tokens.values(revoked_at=now))
    await db.execute(sign_ins.values(ended_at=now, ended_reason=reason))


async def end_all_sign_ins(db: AsyncSession, user_id: int, reason: str) -> None:
    now = utcnow()
    await end_api_sign_ins(db, reason, user_id=user_id)
    await db.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
    )


@dataclass(frozen=True)
class SignInRow:
    """One place a user is signed in: a browser session or an API sign-in."""

    id: str  # "web-<id>" or "api-<id>"
    kind: str
    started_at: datetime
    last_used_at: datetime
    ends_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


async def active_sign_ins(db: AsyncSession, settings: Settings, actor: Actor) -> list[SignInRow]:
    now = utcnow()
    idle = timedelta(minutes=settings.session_idle_minutes)
    rows: list[SignInRow] = []
    sessions = await db.scalars(
        select(WebSession).where(
            WebSession.user_id == actor.id,
            WebSession.ended_at.is_(None),
            WebSession.expires_at > now,
            WebSession.last_seen_at > now - idle,
        )
    )
    for session in sessions:
        rows.append(
            SignInRow(
                f"web-{session.id}",
                "web",
                session.created_at,
                session.last_seen_at,
                min(session.expires_at, session.last_seen_at + idle),
                session.ip,
                session.user_agent,
                session.id == actor.session_id,
            )
        )
    oldest = now - timedelta(days=settings.api_sign_in_max_days)
    live_until = func.max(RefreshToken.expires_at)
    families = await db.execute(
        select(ApiSignIn, live_until)
        .join(RefreshToken, RefreshToken.family_id == ApiSignIn.family_id)
        .where(
            ApiSignIn.user_id == actor.id,
            ApiSignIn.ended_at.is_(None),
            ApiSignIn.started_at > oldest,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.used_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .group_by(ApiSignIn.id)
    )
    for sign_in, ends_at in families:
        rows.append(
            SignInRow(
                f"api-{sign_in.id}",
                "api",
                sign_in.started_at,
                sign_in.last_used_at,
                ends_at,
                sign_in.ip,
                sign_in.user_agent,
                sign_in.family_id == actor.token_family,
            )
        )
    return sorted(rows, key=lambda r: r.last_used_at, reverse=True)


async def end_sign_in(db: AsyncSession, actor: Actor, sign_in_id: str) -> None:
    """End one of the user's own sign-ins (not someone else's: that is a 404)."""
    kind, _, raw = sign_in_id.partition("-")
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else 0
    if kind == "web":
        session = await db.get(WebSession, number)
        if session is None or session.user_id != actor.id or session.ended_at is not None:
            raise SignInNotFound()
        session.ended_at = utcnow()
        session.ended_reason = "ended_by_user"
    elif kind == "api":
        sign_in = await db.get(ApiSignIn, number)
        if sign_in is None or sign_in.user_id != actor.id or sign_in.ended_at is not None:
            raise SignInNotFound()
        await end_api_sign_ins(db, "ended_by_user", family_id=sign_in.family_id)
    else:
        raise SignInNotFound()
    await db.flush()
    await audit.record(
        db,
        actor,
        "auth.sign_in_ended",
        object_type="user",
        object_id=actor.id,
        detail={"sign_in": sign_in_id},
    )


async def sign_out_everywhere(db: AsyncSession, actor: Actor) -> None:
    """Every browser session and API sign-in of this user ends, this one included."""
    if actor.id is None:
        return
    await end_all_sign_ins(db, actor.id, "signed_out_everywhere")
    await audit.record(
        db, actor, "auth.sign_out_everywhere", object_type="user", object_id=actor.id
    )


async def recent_sign_ins(db: AsyncSession, limit: int = 10, actor_id: int | None = None):
    events, _ = await audit.search(
        db,
        action="auth.login",
        outcome="success",
        actor=str(actor_id) if actor_id else None,
        limit=limit,
    )
    return events
