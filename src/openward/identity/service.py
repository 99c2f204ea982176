"""Accounts, sign-in, tokens, sessions and approval: every identity rule lives here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import ROLES, Settings
from openward.core import audit, security
from openward.core.actors import Actor
from openward.db import utcnow
from openward.identity import schemas
from openward.identity.errors import (
    AccountDisabled,
    AccountLocked,
    AccountPending,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    InvalidUsername,
    LastAdmin,
    MfaAlreadyOn,
    MfaCodeInvalid,
    MfaNotSetUp,
    PasswordsDiffer,
    RefreshTokenReused,
    SessionExpired,
    UsernameTaken,
    UserNotFound,
    WeakPassword,
    WrongCurrentPassword,
)
from openward.identity.models import LoginAttempt, RefreshToken, User, WebSession
from openward.identity.passwords import policy_problem
from openward.patients import service as patients_service

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,149}$")


# ---------------------------------------------------------------- accounts


def normalize_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise InvalidUsername(field="username")
    return name


def check_password(password: str, username: str, field: str = "password") -> None:
    problem = policy_problem(password, username)
    if problem:
        raise WeakPassword(problem, field=field)


def actor_for(user: User, origin: Actor, via: str) -> Actor:
    return Actor(
        id=user.id,
        username=user.username,
        role=user.role,
        ip=origin.ip,
        user_agent=origin.user_agent,
        via=via,
        full_name=user.full_name,
    )


async def _ensure_unique(db: AsyncSession, username: str, email: str | None, skip_id: int = 0):
    if await db.scalar(select(User.id).where(User.username == username, User.id != skip_id)):
        raise UsernameTaken(field="username")
    if email and await db.scalar(
        select(User.id).where(func.lower(User.email) == email.lower(), User.id != skip_id)
    ):
        raise EmailTaken(field="email")


async def _insert_user(db: AsyncSession, user: User) -> User:
    try:
        async with db.begin_nested():
            db.add(user)
            await db.flush()
    except IntegrityError:
        # Lost a race with a concurrent registration of the same name or e-mail.
        await _ensure_unique(db, user.username, user.email)
        raise
    return user


async def create_user(
    db: AsyncSession,
    actor: Actor,
    data: schemas.UserCreate,
    *,
    approved: bool = True,
    action: str = "user.create",
) -> User:
    username = check_username(data.username)
    check_password(data.password, username)
    await _ensure_unique(db, username, data.email)
    user = await _insert_user(
        db,
        User(
            username=username,
            email=data.email,
            full_name=data.full_name,
            phone=data.phone,
            role=data.role,
            password_hash=await security.hash_password_off_loop(data.password),
            is_active=True,
            is_approved=approved,
        ),
    )
    await audit.record(
        db,
        actor,
        action,
        object_type="user",
        object_id=user.id,
        detail={"username": username, "role": user.role, "approved": approved},
    )
    return user


async def register_patient(
    db: AsyncSession, origin: Actor, data: schemas.RegisterPatientIn
) -> tuple[User, int, str]:
    """Self-registration: the login and the patient record, in one transaction."""
    account = schemas.UserCreate(
        username=data.username,
        password=data.password,
        full_name=data.full_name,
        email=data.email,
        phone=data.phone,
        role="patient",
    )
    user = await create_user(db, origin, account, action="user.register_patient")
    if data.mrn:  # already registered at the front desk: link the login to that record
        linked = await patients_service.link_login(
            db, actor_for(user, origin, "anonymous"), data.mrn, data.date_of_birth, user.id
        )
        return user, linked.id, linked.mrn
    given, _, family = data.full_name.strip().rpartition(" ")
    patient = await patients_service.create(
        db,
        actor_for(user, origin, "anonymous"),
        given_name=given or family,
        family_name=family,
        date_of_birth=data.date_of_birth,
        sex=data.sex,
        phone=data.phone,
        email=data.email,
        user_id=user.id,
    )
    return user, patient.id, patient.mrn


async def register_staff(db: AsyncSession, origin: Actor, data: schemas.RegisterStaffIn) -> User:
    """A staff member asks for an account; it cannot sign in until an admin approves."""
    account = schemas.UserCreate(**data.model_dump())
    return await create_user(db, origin, account, approved=False, action="user.register_staff")


async def get_user(db: AsyncSession, user_id: int) -> User:
    user = await db.get(User, user_id)
    if user is None:
        raise UserNotFound()
    return user


async def full_names(db: AsyncSession, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the people a page mentions, in one query; unknown ids are left out."""
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    rows = await db.execute(
        select(User.id, User.full_name, User.username).where(User.id.in_(wanted))
    )
    return {user_id: full_name or username for user_id, full_name, username in rows}


async def find_by_username(db: AsyncSession, username: str) -> User | None:
    return await db.scalar(select(User).where(User.username == normalize_username(username)))


async def list_users(
    db: AsyncSession,
    *,
    role: str | None = None,
    q: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[User], int]:
    query = select(User)
    if role:
        query = query.where(User.role == role)
    if q:
        # autoescape: a % or _ typed in the search box is a character to find, not a wildcard.
        fragment = q.strip().lower()
        query = query.where(
            or_(
                User.username.contains(fragment, autoescape=True),
                func.lower(User.full_name).contains(fragment, autoescape=True),
                func.lower(User.email).contains(fragment, autoescape=True),
                User.phone.contains(fragment, autoescape=True),
            )
        )
    if status == "pending":
        query = query.where(User.is_approved.is_(False), User.is_active.is_(True))
    elif status == "inactive":
        query = query.where(User.is_active.is_(False))
    elif status == "active":
        query = query.where(User.is_active.is_(True), User.is_approved.is_(True))
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await db.scalars(query.order_by(User.full_name, User.id).limit(limit).offset(offset))
    return list(rows), total


async def _active_admins(db: AsyncSession) -> int:
    query = select(func.count(User.id)).where(
        User.role == "admin", User.is_active.is_(True), User.is_approved.is_(True)
    )
    return int(await db.scalar(query) or 0)


async def _guard_last_admin(db: AsyncSession, user: User) -> None:
    if user.role == "admin" and user.is_active and await _active_admins(db) <= 1:
        raise LastAdmin()


async def update_user(
    db: AsyncSession, actor: Actor, user_id: int, data: schemas.UserUpdate
) -> User:
    user = await get_user(db, user_id)
    changes = data.model_dump(exclude_unset=True)
    if "role" in changes and changes["role"] != user.role:
        await _guard_last_admin(db, user)
    if changes.get("email") and changes["email"] != user.email:
        await _ensure_unique(db, user.username, changes["email"], skip_id=user.id)
    changed: list[str] = []
    for field in ("full_name", "email", "phone", "role"):
        if field in changes and changes[field] is None and field in ("full_name", "role"):
            continue
        if field in changes and changes[field] != getattr(user, field):
            setattr(user, field, changes[field])
            changed.append(field)
    if changes.get("password"):
        check_password(changes["password"], user.username)
        user.password_hash = await security.hash_password_off_loop(changes["password"])
        user.password_changed_at = utcnow()
        await _end_all_sign_ins(db, user.id, "password_changed")
        changed.append("password")
    if "role" in changed:
        await _end_all_sign_ins(db, user.id, "role_changed")
    await db.flush()
    await audit.record(
        db,
        actor,
        "user.update",
        object_type="user",
        object_id=user.id,
        detail={"fields": changed},
    )
    return user


async def set_active(
    db: AsyncSession, actor: Actor, user_id: int, active: bool, reason: str | None = None
) -> User:
    user = await get_user(db, user_id)
    if not active:
        await _guard_last_admin(db, user)
        user.is_active = False
        user.deactivated_at = utcnow()
        user.deactivated_reason = reason
        await _end_all_sign_ins(db, user.id, "deactivated")
    else:
        user.is_active = True
        user.deactivated_at = None
        user.deactivated_reason = None
    await db.flush()
    await audit.record(
        db,
        actor,
        "user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=user.id,
        reason=reason,
    )
    return user


async def approve(db: AsyncSession, actor: Actor, user_id: int) -> User:
    user = await get_user(db, user_id)
    user.is_approved = True
    await db.flush()
    await audit.record(db, actor, "user.approve", object_type="user", object_id=user.id)
    return user


async def unlock(db: AsyncSession, actor: Actor, user_id: int) -> User:
    user = await get_user(db, user_id)
    await db.execute(
        update(LoginAttempt)
        .where(LoginAttempt.username == user.username, LoginAttempt.cleared.is_(False))
        .values(cleared=True)
    )
    await audit.record(db, actor, "user.unlock", object_type="user", object_id=user.id)
    return user


async def reset_mfa(db: AsyncSession, actor: Actor, user_id: int) -> User:
    """For a lost phone: the user enrols again at the next sign-in."""
    user = await get_user(db, user_id)
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    await _end_all_sign_ins(db, user.id, "mfa_reset")
    await db.flush()
    await audit.record(db, actor, "user.mfa_reset", object_type="user", object_id=user.id)
    return user


async def _end_all_sign_ins(db: AsyncSession, user_id: int, reason: str) -> None:
    now = utcnow()
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await db.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
    )


# ---------------------------------------------------------------- lockout


def minutes(count: int) -> str:
    return "1 minute" if count == 1 else f"{count} minutes"


@dataclass(frozen=True)
class LockState:
    failures: int
    locked: bool
    retry_after: int


async def lock_state(db: AsyncSession, settings: Settings, username: str) -> LockState:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    times = list(
        await db.scalars(
            select(LoginAttempt.at)
            .where(
                LoginAttempt.username == username,
                LoginAttempt.cleared.is_(False),
                LoginAttempt.at >= since,
            )
            .order_by(LoginAttempt.at.desc())
            .limit(settings.login_max_failures)
        )
    )
    if len(times) < settings.login_max_failures:
        return LockState(len(times), False, 0)
    # Unlocks when the oldest of the last N failures leaves the window.
    free_at = times[-1] + timedelta(minutes=settings.login_window_minutes)
    return LockState(len(times), True, max(1, int((free_at - utcnow()).total_seconds()) + 1))


async def locked_usernames(db: AsyncSession, settings: Settings, usernames: list[str]) -> set[str]:
    if not usernames:
        return set()
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    rows = await db.execute(
        select(LoginAttempt.username, func.count(LoginAttempt.id))
        .where(
            LoginAttempt.username.in_(usernames),
            LoginAttempt.cleared.is_(False),
            LoginAttempt.at >= since,
        )
        .group_by(LoginAttempt.username)
    )
    return {name for name, n in rows if n >= settings.login_max_failures}


async def _refuse_if_locked(
    db: AsyncSession, settings: Settings, origin: Actor, username: str
) -> None:
    state = await lock_state(db, settings, username)
    if state.locked:
        await audit.record(
            db,
            origin.as_anonymous(username),
            "auth.login",
            outcome="denied",
            reason="account_locked",
        )
        raise AccountLocked(
            f"Too many failed sign-ins. Try again in {minutes(-(-state.retry_after // 60))} "
            "or ask an administrator to unlock the account.",
            headers={"Retry-After": str(state.retry_after)},
            extra={"retry_after": state.retry_after},
        )


async def _count_failure(
    db: AsyncSession,
    settings: Settings,
    origin: Actor,
    username: str,
    reason: str,
    user: User | None,
) -> None:
    db.add(LoginAttempt(username=username, ip=origin.ip))
    await db.flush()
    who = origin.as_anonymous(username)
    await audit.record(
        db,
        who,
        "auth.login",
        outcome="failure",
        reason=reason,
        object_type="user" if user else None,
        object_id=user.id if user else None,
    )
    state = await lock_state(db, settings, username)
    if state.locked and state.failures == settings.login_max_failures:
        await audit.record(
            db,
            who,
            "auth.lockout",
            outcome="denied",
            reason=f"{state.failures} failed sign-ins",
            object_type="user" if user else None,
            object_id=user.id if user else None,
        )


async def _clear_failures(db: AsyncSession, username: str) -> None:
    await db.execute(
        update(LoginAttempt)
        .where(LoginAttempt.username == username, LoginAttempt.cleared.is_(False))
        .values(cleared=True)
    )


# ---------------------------------------------------------------- sign-in


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


def mfa_state(settings: Settings, user: User) -> str | None:
    if user.totp_enabled:
        return "verify"
    if user.role in settings.require_mfa_for:
        return "setup"
    return None


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
    await _refuse_if_locked(db, settings, origin, name)
    user = await db.scalar(select(User).where(User.username == name))
    stored_hash = user.password_hash if user else None
    if user is None or not await security.verify_password_off_loop(password, stored_hash):
        await _count_failure(db, settings, origin, name, "invalid_credentials", user)
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


async def _user_from_mfa_token(db: AsyncSession, settings: Settings, mfa_token: str) -> User:
    claims = security.decode_jwt(settings.resolved_secret_key(), mfa_token, "mfa")
    if claims is None:
        raise InvalidToken("The sign-in step has expired; sign in again.", field="mfa_token")
    user = await db.get(User, int(claims["sub"]))
    if user is None or not user.is_active or not user.is_approved:
        raise InvalidToken("The sign-in step has expired; sign in again.", field="mfa_token")
    return user


async def check_mfa(
    db: AsyncSession, settings: Settings, origin: Actor, mfa_token: str, code: str
) -> User:
    """The second step: a valid TOTP code completes the sign-in. Wrong codes count as failures."""
    user = await _user_from_mfa_token(db, settings, mfa_token)
    await _refuse_if_locked(db, settings, origin, user.username)
    if not user.totp_enabled or not user.totp_secret:
        raise MfaNotSetUp("Set up the authenticator app first.", field="code")
    if not await _use_totp_code(db, user, code):
        await _count_failure(db, settings, origin, user.username, "mfa_invalid", user)
        raise MfaCodeInvalid(field="code")
    return user


async def _use_totp_code(db: AsyncSession, user: User, code: str) -> bool:
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


async def _signed_in(db: AsyncSession, origin: Actor, user: User, via: str) -> None:
    user.last_login_at = utcnow()
    await _clear_failures(db, user.username)
    await audit.record(
        db,
        actor_for(user, origin, via),
        "auth.login",
        object_type="user",
        object_id=user.id,
        detail={"via": via, "mfa": user.totp_enabled},
    )


async def issue_tokens(
    db: AsyncSession, settings: Settings, origin: Actor, user: User, *, family: str | None = None
) -> TokenPair:
    """A fresh access token and refresh token; a new family on sign-in, the same on refresh."""
    if family is None:
        family = uuid.uuid4().hex
        await _signed_in(db, origin, user, "token")
    refresh = security.new_opaque_token()
    db.add(
        RefreshToken(
            user_id=user.id,
            family_id=family,
            token_hash=security.token_digest(refresh),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    lifetime = timedelta(minutes=settings.access_token_minutes)
    access, _ = security.encode_jwt(
        settings.resolved_secret_key(),
        str(user.id),
        "access",
        lifetime,
        role=user.role,
        fam=family,
    )
    await db.flush()
    return TokenPair(access, refresh, int(lifetime.total_seconds()), user)


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
            await db.execute(
                update(RefreshToken)
                .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )
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
    if user is None or not user.is_active or not user.is_approved:
        raise InvalidToken("This account can no longer sign in.", field="refresh_token")
    pair = await issue_tokens(db, settings, origin, user, family=row.family_id)
    await audit.record(db, who, "auth.refresh", object_type="user", object_id=user.id)
    return pair


async def logout(db: AsyncSession, actor: Actor) -> None:
    """Ends every API sign-in of this user: refresh tokens revoked, access tokens refused."""
    if actor.id is None:
        return
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == actor.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await audit.record(
        db, actor, "auth.logout", object_type="user", object_id=actor.id, detail={"via": actor.via}
    )


async def actor_from_access_token(
    db: AsyncSession, settings: Settings, origin: Actor, token: str
) -> tuple[Actor, User]:
    claims = security.decode_jwt(settings.resolved_secret_key(), token, "access")
    if claims is None:
        raise InvalidToken("The access token is invalid or has expired.")
    user = await db.get(User, int(claims["sub"]))
    if user is None or not user.is_active or not user.is_approved:
        raise InvalidToken("This account can no longer use the API.")
    family = claims.get("fam")
    live = await db.scalar(
        select(RefreshToken.id)
        .where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
        .limit(1)
    )
    if live is None:
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


# ---------------------------------------------------------------- MFA enrolment


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
    if not await _use_totp_code(db, user, code):
        await _count_failure(db, settings, actor, user.username, "mfa_invalid", user)
        raise MfaCodeInvalid(field="code")
    user.totp_enabled = True
    await db.flush()
    await audit.record(db, actor, "auth.mfa_enabled", object_type="user", object_id=user.id)
    return user


async def user_for_enrolment(db: AsyncSession, settings: Settings, mfa_token: str) -> User:
    """The user of a sign-in whose role must enrol in MFA before it can finish."""
    user = await _user_from_mfa_token(db, settings, mfa_token)
    claims = security.decode_jwt(settings.resolved_secret_key(), mfa_token, "mfa") or {}
    if not claims.get("setup"):
        raise InvalidToken("This sign-in step is not an enrolment.", field="mfa_token")
    if user.totp_enabled:  # enrolled since: the token must not replace the authenticator
        raise InvalidToken("The authenticator is already set up; sign in again.", field="mfa_token")
    return user


# ---------------------------------------------------------------- web sessions


@dataclass(frozen=True)
class OpenSession:
    cookie_token: str
    session: WebSession


async def open_session(db: AsyncSession, settings: Settings, origin: Actor, user: User):
    await _signed_in(db, origin, user, "session")
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
    session = await db.scalar(
        select(WebSession).where(WebSession.token_hash == security.token_digest(cookie_token))
    )
    if session is None or session.ended_at is not None:
        raise SessionExpired("Please sign in.")
    now = utcnow()
    reason = None
    if session.expires_at <= now:
        reason = "expired"
    elif session.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= now:
        reason = "idle"
    user = await db.get(User, session.user_id)
    if reason is None and (user is None or not user.is_active or not user.is_approved):
        reason = "deactivated"
    if reason is not None:
        session.ended_at = now
        session.ended_reason = reason
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
        session.last_seen_at = now
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


# ---------------------------------------------------------------- figures for dashboards


async def users_per_role(db: AsyncSession) -> dict[str, int]:
    rows = await db.execute(
        select(User.role, func.count(User.id))
        .where(User.is_active.is_(True), User.is_approved.is_(True))
        .group_by(User.role)
    )
    counts = dict.fromkeys(ROLES, 0)
    counts.update({role: n for role, n in rows})
    return counts


async def pending_approvals(db: AsyncSession, limit: int = 10) -> tuple[list[User], int]:
    return await list_users(db, status="pending", limit=limit)


async def recent_sign_ins(db: AsyncSession, limit: int = 10, actor_id: int | None = None):
    events, _ = await audit.search(
        db,
        action="auth.login",
        outcome="success",
        actor=str(actor_id) if actor_id else None,
        limit=limit,
    )
    return events


def is_staff_role(role: str) -> bool:
    return role != "patient"


def login_window_start(settings: Settings) -> datetime:
    return utcnow() - timedelta(minutes=settings.login_window_minutes)


async def change_own_password(
    db: AsyncSession, actor: Actor, user: User, current: str, new: str, confirm: str
) -> None:
    """Change one's own password: proves the current one; ends every other sign-in."""
    if not await security.verify_password_off_loop(current, user.password_hash):
        raise WrongCurrentPassword(field="current_password")
    if new != confirm:
        raise PasswordsDiffer(field="confirm_password")
    check_password(new, user.username, field="new_password")
    user.password_hash = await security.hash_password_off_loop(new)
    user.password_changed_at = utcnow()
    now = utcnow()
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await db.execute(
        update(WebSession)
        .where(
            WebSession.user_id == user.id,
            WebSession.ended_at.is_(None),
            WebSession.id != (actor.session_id or 0),
        )
        .values(ended_at=now, ended_reason="password_changed")
    )
    await db.flush()
    await audit.record(db, actor, "user.password_change", object_type="user", object_id=user.id)


def totp_uri_for(settings: Settings, user: User) -> str | None:
    if not user.totp_secret:
        return None
    return security.totp_uri(user.totp_secret, user.username, settings.hospital_name)


async def account_history(db: AsyncSession, user_id: int, limit: int = 15):
    """What happened to and by this account, newest first (for the admin's user page)."""
    by_user, _ = await audit.search(db, actor=str(user_id), limit=limit)
    on_user, _ = await audit.search(db, object_type="user", object_id=str(user_id), limit=limit)
    merged = {event.id: event for event in [*by_user, *on_user]}
    events = sorted(merged.values(), key=lambda e: e.id, reverse=True)[:limit]
    return events, len(events)
