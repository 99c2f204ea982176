"""Signing in: the password step, the second factor, API tokens and their rotation, and
signing out an API client. Each refusal is counted and audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core import audit, security
from openward.core.actors import Actor
from openward.db import utcnow
from openward.identity.accounts import actor_for, normalize_username
from openward.identity.errors import (
    AccountDisabled,
    AccountPending,
    InvalidCredentials,
    InvalidToken,
    MfaCodeInvalid,
    MfaNotSetUp,
    RefreshTokenReused,
    SignInEnded,
)
from openward.identity.mfa import mfa_state, use_totp_code, user_from_mfa_token
from openward.identity.models import ApiSignIn, RefreshToken, User
from openward.identity.sign_in_throttling import (
    clear_failures,
    count_failure,
    refuse_if_throttled,
    refuse_if_under_attack,
)
from openward.identity.sign_ins import end_api_sign_ins


@dataclass(frozen=True)
class MfaChallenge:
    user: User
    token: str
    expires_in: int
    setup_required: bool


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


async def _record_refusal(db: AsyncSession, origin: Actor, user: User, reason: str) -> None:
    """The password was right but the account may not sign in (deactivated, pending)."""
    await audit.record(
        db,
        actor_for(user, origin, "anonymous"),
        "auth.login",
        outcome="denied",
        reason=reason,
        object_type="user",
        object_id=user.id,
    )


async def check_credentials(
    db: AsyncSession, settings: Settings, origin: Actor, username: str, password: str
) -> User | MfaChallenge:
    """The password step: a user when that is enough, or the second-factor challenge."""
    name = normalize_username(username)
    counts = await refuse_if_throttled(db, settings, origin, name)
    user = await db.scalar(select(User).where(User.username == name))
    await refuse_if_under_attack(db, settings, origin, user, name, counts)
    # An unknown name costs the same argon2 work as a known one (a dummy hash).
    stored_hash = user.password_hash if user else None
    # Always verify (never short-circuit on an unknown user): the answer's timing is the same.
    password_ok = await security.verify_password_off_loop(password, stored_hash)
    if user is None or not password_ok:
        await count_failure(db, settings, origin, name, "invalid_credentials", user)
        raise InvalidCredentials("Wrong username or password.")
    if not user.is_active:
        await _record_refusal(db, origin, user, "account_disabled")
        raise AccountDisabled("This account has been deactivated. Contact an administrator.")
    if not user.is_approved:
        await _record_refusal(db, origin, user, "account_pending")
        raise AccountPending(
            "This account is waiting for an administrator's approval; you can sign in once "
            "it is approved."
        )
    state = mfa_state(settings, user)
    if state is None:
        return user
    lifetime = timedelta(minutes=settings.mfa_token_minutes)
    token, _ = security.encode_jwt(
        settings.resolved_secret_key(), str(user.id), "mfa", lifetime, setup=state == "setup"
    )
    await audit.record(
        db,
        actor_for(user, origin, "anonymous"),
        "auth.mfa_challenge",
        object_type="user",
        object_id=user.id,
        detail={"setup": state == "setup"},
    )
    return MfaChallenge(user, token, int(lifetime.total_seconds()), state == "setup")


async def check_mfa(
    db: AsyncSession, settings: Settings, origin: Actor, mfa_token: str, code: str
) -> User:
    """The second step: a valid TOTP code completes the sign-in. Wrong codes count as failures."""
    user = await user_from_mfa_token(db, settings, mfa_token)
    await refuse_if_throttled(db, settings, origin, user.username)
    if not user.totp_enabled or not user.totp_secret:
        raise MfaNotSetUp("Set up the authenticator app first.", field="code")
    if not await use_totp_code(db, user, code):
        await count_failure(db, settings, origin, user.username, "mfa_invalid", user)
        raise MfaCodeInvalid(field="code")
    return user


async def signed_in(
    db: AsyncSession, settings: Settings, origin: Actor, user: User, via: str
) -> None:
    user.last_login_at = utcnow()
    await clear_failures(db, settings, user.username, origin.ip)
    await audit.record(
        db,
        actor_for(user, origin, via),
        "auth.login",
        object_type="user",
        object_id=user.id,
        detail={"via": via, "mfa": user.totp_enabled},
    )


async def issue_tokens(
    db: AsyncSession,
    settings: Settings,
    origin: Actor,
    user: User,
    *,
    sign_in: ApiSignIn | None = None,
    mfa: bool = False,
) -> TokenPair:
    """A fresh access token and refresh token: a new API sign-in (token family) at sign-in,
    the same one on refresh. `mfa` says the second factor was given at this sign-in."""
    now = utcnow()
    if sign_in is None:
        await signed_in(db, settings, origin, user, "token")
        sign_in = ApiSignIn(
            family_id=uuid.uuid4().hex,
            user_id=user.id,
            started_at=now,
            last_used_at=now,
            mfa=mfa,
            ip=origin.ip,
            user_agent=(origin.user_agent or "")[:300] or None,
        )
        db.add(sign_in)
    sign_in.last_used_at = now
    ends = sign_in.started_at + timedelta(days=settings.api_sign_in_max_days)
    refresh = security.new_opaque_token()
    db.add(
        RefreshToken(
            user_id=user.id,
            family_id=sign_in.family_id,
            token_hash=security.token_digest(refresh),
            expires_at=min(now + timedelta(days=settings.refresh_token_days), ends),
        )
    )
    lifetime = min(timedelta(minutes=settings.access_token_minutes), max(ends - now, timedelta(0)))
    access, _ = security.encode_jwt(
        settings.resolved_secret_key(),
        str(user.id),
        "access",
        lifetime,
        role=user.role,
        fam=sign_in.family_id,
    )
    await db.flush()
    return TokenPair(access, refresh, int(lifetime.total_seconds()), user)


def _why_sign_in_ends(
    settings: Settings, sign_in: ApiSignIn | None, user: User | None, now: datetime
) -> str | None:
    """Re-checked at every refresh: the sign-in's age, the account, the password, MFA."""
    if sign_in is None or sign_in.ended_at is not None:
        return "This sign-in has ended; sign in again."
    if sign_in.started_at + timedelta(days=settings.api_sign_in_max_days) <= now:
        return f"API sign-ins last at most {settings.api_sign_in_max_days} days; sign in again."
    if user is None or not user.is_active or not user.is_approved:
        return "This account can no longer sign in."
    if user.password_changed_at > sign_in.started_at:
        return "The password has changed since this sign-in; sign in again."
    if mfa_state(settings, user) is not None and not sign_in.mfa:
        return "This account now needs two-step verification; sign in again with your code."
    return None


async def refresh_tokens(
    db: AsyncSession, settings: Settings, origin: Actor, refresh_token: str
) -> TokenPair:
    """Rotate: the presented token is spent; presenting a spent one revokes its family."""
    digest = security.token_digest(refresh_token)
    row = await db.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))
    if row is None:
        raise InvalidToken("Unknown refresh token.", field="refresh_token")
    user = await db.get(User, row.user_id)
    who = actor_for(user, origin, "token") if user else origin
    now = utcnow()
    spent = await db.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == row.id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        if row.revoked_at is None or row.used_at is not None:
            await end_api_sign_ins(db, "refresh_reuse", family_id=row.family_id)
            await audit.record(
                db,
                who,
                "auth.refresh_reuse",
                outcome="denied",
                object_type="user",
                object_id=row.user_id,
                reason="refresh token presented twice; family revoked",
            )
            raise RefreshTokenReused(field="refresh_token")
        raise InvalidToken("This refresh token has been revoked.", field="refresh_token")
    if row.expires_at <= now:
        raise InvalidToken("This refresh token has expired; sign in again.", field="refresh_token")
    sign_in = await db.scalar(select(ApiSignIn).where(ApiSignIn.family_id == row.family_id))
    why = _why_sign_in_ends(settings, sign_in, user, now)
    if why is not None:
        await end_api_sign_ins(db, "refresh_refused", family_id=row.family_id)
        await audit.record(
            db,
            who,
            "auth.refresh",
            outcome="denied",
            object_type="user",
            object_id=row.user_id,
            reason=why,
        )
        raise SignInEnded(why, field="refresh_token")
    assert user is not None and sign_in is not None
    pair = await issue_tokens(db, settings, origin, user, sign_in=sign_in)
    await audit.record(db, who, "auth.refresh", object_type="user", object_id=user.id)
    return pair


async def logout(db: AsyncSession, actor: Actor) -> None:
    """Ends this API sign-in (token family): its refresh tokens and access tokens stop."""
    if actor.id is None:
        return
    if actor.token_family:
        await end_api_sign_ins(db, "logout", family_id=actor.token_family)
    await audit.record(
        db, actor, "auth.logout", object_type="user", object_id=actor.id, detail={"via": actor.via}
    )


async def actor_from_access_token(
    db: AsyncSession, settings: Settings, origin: Actor, token: str
) -> tuple[Actor, User]:
    claims = security.decode_jwt(settings.resolved_secret_key(), token, "access")
    if claims is None:
        raise InvalidToken("The access token is invalid or has expired.")
    family = claims.get("fam")
    # One round trip: the user, and whether their sign-in (token family) is still live.
    live = (
        select(RefreshToken.id)
        .where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
        .exists()
    )
    row = (await db.execute(select(User, live).where(User.id == int(claims["sub"])))).first()
    user = row[0] if row is not None else None
    if user is None or not user.is_active or not user.is_approved:
        raise InvalidToken("This account can no longer use the API.")
    if not row[1]:
        raise InvalidToken("This sign-in has ended; sign in again.")
    actor = Actor(
        id=user.id,
        username=user.username,
        role=user.role,
        ip=origin.ip,
        user_agent=origin.user_agent,
        via="token",
        token_family=family,
        full_name=user.full_name,
    )
    return actor, user
