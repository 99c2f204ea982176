"""Two-step verification: enrolling an authenticator app and accepting its codes once."""

from __future__ import annotations

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core import audit, security
from openward.core.actors import Actor
from openward.identity.errors import InvalidToken, MfaAlreadyOn, MfaCodeInvalid, MfaNotSetUp
from openward.identity.models import User
from openward.identity.sign_in_throttling import count_failure


def mfa_state(settings: Settings, user: User) -> str | None:
    if user.totp_enabled:
        return "verify"
    if user.role in settings.require_mfa_for:
        return "setup"
    return None


async def user_from_mfa_token(db: AsyncSession, settings: Settings, mfa_token: str) -> User:
    claims = security.decode_jwt(settings.resolved_secret_key(), mfa_token, "mfa")
    if claims is None:
        raise InvalidToken("The sign-in step has expired; sign in again.", field="mfa_token")
    user = await db.get(User, int(claims["sub"]))
    if user is None or not user.is_active or not user.is_approved:
        raise InvalidToken("The sign-in step has expired; sign in again.", field="mfa_token")
    return user


async def use_totp_code(db: AsyncSession, user: User, code: str) -> bool:
    """Accept a code once: its time step must be newer than the last one accepted. The
    conditional update makes two simultaneous uses of one code let only one through."""
    step = security.totp_step(user.totp_secret or "", code)
    if step is None:
        return False
    used = await db.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return used.rowcount == 1


async def start_mfa_setup(db: AsyncSession, settings: Settings, actor: Actor, user: User):
    """A new secret (not yet in force) and the otpauth URI for the authenticator app."""
    if user.totp_enabled:  # else a borrowed session could quietly switch the second factor off
        raise MfaAlreadyOn()
    user.totp_secret = security.new_totp_secret()
    user.totp_last_step = None
    user.totp_enabled = False
    await db.flush()
    await audit.record(db, actor, "auth.mfa_setup", object_type="user", object_id=user.id)
    return user.totp_secret, security.totp_uri(
        user.totp_secret, user.username, settings.hospital_name
    )


async def enable_mfa(db: AsyncSession, settings: Settings, actor: Actor, user: User, code: str):
    if not user.totp_secret:
        raise MfaNotSetUp(field="code")
    if not await use_totp_code(db, user, code):
        await count_failure(db, settings, actor, user.username, "mfa_invalid", user)
        raise MfaCodeInvalid(field="code")
    user.totp_enabled = True
    await db.flush()
    await audit.record(db, actor, "auth.mfa_enabled", object_type="user", object_id=user.id)
    return user


async def user_for_enrolment(db: AsyncSession, settings: Settings, mfa_token: str) -> User:
    """The user of a sign-in whose role must enrol in MFA before it can finish."""
    user = await user_from_mfa_token(db, settings, mfa_token)
    claims = security.decode_jwt(settings.resolved_secret_key(), mfa_token, "mfa") or {}
    if not claims.get("setup"):
        raise InvalidToken("This sign-in step is not an enrolment.", field="mfa_token")
    if user.totp_enabled:  # enrolled since: the token must not replace the authenticator
        raise InvalidToken("The authenticator is already set up; sign in again.", field="mfa_token")
    return user


def totp_uri_for(settings: Settings, user: User) -> str | None:
    if not user.totp_secret:
        return None
    return security.totp_uri(user.totp_secret, user.username, settings.hospital_name)
