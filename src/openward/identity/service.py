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
from openward.core.schemas import search_text
from openward.db import utcnow
from openward.identity import schemas, throttle
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
    RegistrationRefused,
    SessionExpired,
    SignInEnded,
    SignInNotFound,
    TooManyAttempts,
    UsernameTaken,
    UserNotFound,
    WeakPassword,
    WrongCurrentPassword,
    wait_then,
)
from openward.identity.models import ApiSignIn, RefreshToken, User, WebSession
from openward.identity.passwords import policy_problem
from openward.patients import activation
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


REGISTRATION_REFUSED = (
    "An online account cannot be opened with these details. If you already have one, sign "
    "in or ask the front desk; otherwise try another e-mail address."
)


async def _refuse_unusable_email(
    db: AsyncSession, settings: Settings, origin: Actor, username: str, email: str | None
) -> None:
    """Self-registration never says whose e-mail address is on file here: a taken address
    gets the same refusal as any other, counted against the client address and audited; an
    address that keeps probing waits. Runs before anything is written, so the count and the
    audit row are all that a refusal keeps."""
    fails = throttle.counter(db, settings)
    counts = await fails.counts("link", "registration", origin.ip, throttle.window_start(settings))
    if counts.address >= settings.link_ip_max_failures:
        wait = throttle.seconds_until_free(counts.address_oldest, settings)
        raise wait_then(
            TooManyAttempts,
            "Too many refused registrations from this address. Try again later, or ask the "
            "front desk.",
            wait,
        )
    if not email or not await db.scalar(
        select(User.id).where(func.lower(User.email) == email.lower())
    ):
        return
    await fails.add("link", "registration", origin.ip, utcnow())
    await audit.record(
        db,
        origin.as_anonymous(normalize_username(username)),
        "user.register",
        outcome="failure",
        reason="email_taken",
    )
    raise RegistrationRefused(REGISTRATION_REFUSED)


async def register_patient(
    db: AsyncSession, settings: Settings, origin: Actor, data: schemas.RegisterPatientIn
) -> tuple[User, int, str]:
    """Self-registration: the login and the patient record, in one transaction. With an MRN
    and the activation code the front desk issued, the login is linked to that record."""
    await _refuse_unusable_email(db, settings, origin, data.username, data.email)
    claimed = None
    if data.mrn:
        claimed = await activation.claim(
            db, settings, origin, data.mrn, data.date_of_birth, data.activation_code or ""
        )
    account = schemas.UserCreate(
        username=data.username,
        password=data.password,
        full_name=data.full_name,
        email=data.email,
        phone=data.phone,
        role="patient",
    )
    user = await create_user(db, origin, account, action="user.register_patient")
    if claimed is not None:
        linked = await patients_service.link_login(
            db, actor_for(user, origin, "anonymous"), claimed, user.id
        )
        await activation.mark_used_by(db, linked.id, user.id)
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


async def register_staff(
    db: AsyncSession, settings: Settings, origin: Actor, data: schemas.RegisterStaffIn
) -> User:
    """A staff member asks for an account; it cannot sign in until an admin approves."""
    await _refuse_unusable_email(db, settings, origin, data.username, data.email)
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
        fragment = search_text(q).lower()
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


async def unlock(db: AsyncSession, settings: Settings, actor: Actor, user_id: int) -> User:
    user = await get_user(db, user_id)
    await throttle.counter(db, settings).clear("login", user.username)
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


async def _end_api_sign_ins(
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


async def _end_all_sign_ins(db: AsyncSession, user_id: int, reason: str) -> None:
    now = utcnow()
    await _end_api_sign_ins(db, reason, user_id=user_id)
    await db.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
    )


# ---------------------------------------------------------------- throttling
#
# Four counts, so that an attacker cannot turn the lock against the account's owner:
# - one account from one address (login_max_failures): that address is locked out of that
#   account; the owner elsewhere is not;
# - one address over any accounts (login_ip_max_failures): a password spray from one place;
# - one account from anywhere (login_account_max_failures): a distributed attack; then only
#   an address the owner has signed in from before, or an account with TOTP, gets through;
# - the whole hospital (login_global_max_failures): then addresses with no recent sign-in
#   wait, while staff on known machines carry on.

KNOWN_ADDRESS_DAYS = 30


def minutes(count: int) -> str:
    return "1 minute" if count == 1 else f"{count} minutes"


def _wait_text(seconds: int) -> str:
    return minutes(-(-seconds // 60))


async def locked_usernames(db: AsyncSession, settings: Settings, usernames: list[str]) -> set[str]:
    """Accounts locked for at least one address (what the admin may unlock)."""
    return await throttle.counter(db, settings).locked_subjects(
        "login",
        usernames,
        throttle.window_start(settings),
        settings.login_max_failures,
        settings.login_account_max_failures,
    )


async def known_address(db: AsyncSession, ip: str | None, user_id: int | None = None) -> bool:
    """Whether someone (this user, when given) signed in from this address recently."""
    if not ip:
        return False
    since = utcnow() - timedelta(days=KNOWN_ADDRESS_DAYS)
    web = select(WebSession.id).where(WebSession.ip == ip, WebSession.created_at >= since)
    api = select(ApiSignIn.id).where(ApiSignIn.ip == ip, ApiSignIn.started_at >= since)
    if user_id is not None:
        web = web.where(WebSession.user_id == user_id)
        api = api.where(ApiSignIn.user_id == user_id)
    return bool(await db.scalar(web.limit(1)) or await db.scalar(api.limit(1)))


async def _deny(db: AsyncSession, origin: Actor, username: str, reason: str) -> None:
    await audit.record(
        db, origin.as_anonymous(username), "auth.login", outcome="denied", reason=reason
    )


async def _refuse_if_throttled(
    db: AsyncSession, settings: Settings, origin: Actor, username: str
) -> throttle.Counts:
    """Refuse before any password work when this address or this account must wait."""
    counts = await throttle.counter(db, settings).counts(
        "login", username, origin.ip, throttle.window_start(settings)
    )
    if counts.address >= settings.login_ip_max_failures:
        await _deny(db, origin, username, "address_throttled")
        wait = throttle.seconds_until_free(counts.address_oldest, settings)
        raise wait_then(
            TooManyAttempts,
            f"Too many failed sign-ins from this address. Try again in {_wait_text(wait)}.",
            wait,
        )
    if counts.everywhere >= settings.login_global_max_failures and not await known_address(
        db, origin.ip
    ):
        await _deny(db, origin, username, "global_throttle")
        wait = settings.login_window_minutes * 60
        raise wait_then(
            TooManyAttempts,
            "Sign-in is paused for new devices while the hospital is under a password attack. "
            f"Try again in {_wait_text(wait)}, or from a computer you have used before.",
            wait,
        )
    if counts.pair >= settings.login_max_failures:
        await _deny(db, origin, username, "account_locked")
        wait = throttle.seconds_until_free(counts.pair_oldest, settings)
        raise wait_then(
            AccountLocked,
            f"Too many failed sign-ins. Try again in {_wait_text(wait)} "
            "or ask an administrator to unlock the account.",
            wait,
        )
    return counts


async def _refuse_if_under_attack(
    db: AsyncSession,
    settings: Settings,
    origin: Actor,
    user: User | None,
    username: str,
    counts: throttle.Counts,
) -> None:
    """An account attacked from many addresses stays open to its owner: from an address they
    have signed in from before, or with their authenticator (password and TOTP both)."""
    if counts.subject < settings.login_account_max_failures:
        return
    if user is not None and (user.totp_enabled or await known_address(db, origin.ip, user.id)):
        return
    await _deny(db, origin, username, "account_locked")
    wait = settings.login_window_minutes * 60
    raise wait_then(
        AccountLocked,
        "Too many failed sign-ins on this account from many places. Sign in from a computer "
        "you have used before, or ask an administrator to unlock the account.",
        wait,
    )


async def _count_failure(
    db: AsyncSession,
    settings: Settings,
    origin: Actor,
    username: str,
    reason: str,
    user: User | None,
) -> None:
    fails = throttle.counter(db, settings)
    await fails.add("login", username, origin.ip, utcnow())
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
    counts = await fails.counts("login", username, origin.ip, throttle.window_start(settings))
    if counts.pair == settings.login_max_failures:
        await audit.record(
            db,
            who,
            "auth.lockout",
            outcome="denied",
            reason=f"{counts.pair} failed sign-ins",
            detail={"locked_for": "this address", "ip": origin.ip},
            object_type="user" if user else None,
            object_id=user.id if user else None,
        )


async def _clear_failures(db: AsyncSession, settings: Settings, username: str, ip: str | None):
    """A good sign-in forgets that address's failures only: an attack from elsewhere keeps
    counting."""
    await throttle.counter(db, settings).clear("login", username, ip)


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
    counts = await _refuse_if_throttled(db, settings, origin, name)
    user = await db.scalar(select(User).where(User.username == name))
    await _refuse_if_under_attack(db, settings, origin, user, name, counts)
    # An unknown name costs the same argon2 work as a known one (a dummy hash).
    stored_hash = user.password_hash if user else None
    # Always verify (never short-circuit on an unknown user): the answer's timing is the same.
    password_ok = await security.verify_password_off_loop(password, stored_hash)
    if user is None or not password_ok:
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
    await _refuse_if_throttled(db, settings, origin, user.username)
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


async def _signed_in(
    db: AsyncSession, settings: Settings, origin: Actor, user: User, via: str
) -> None:
    user.last_login_at = utcnow()
    await _clear_failures(db, settings, user.username, origin.ip)
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
        await _signed_in(db, settings, origin, user, "token")
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
            await _end_api_sign_ins(db, "refresh_reuse", family_id=row.family_id)
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
        await _end_api_sign_ins(db, "refresh_refused", family_id=row.family_id)
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
        await _end_api_sign_ins(db, "logout", family_id=actor.token_family)
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


# ---------------------------------------------------------------- active sign-ins


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
        await _end_api_sign_ins(db, "ended_by_user", family_id=sign_in.family_id)
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
    await _end_all_sign_ins(db, actor.id, "signed_out_everywhere")
    await audit.record(
        db, actor, "auth.sign_out_everywhere", object_type="user", object_id=actor.id
    )


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
    await _signed_in(db, settings, origin, user, "session")
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
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    user: User,
    current: str,
    new: str,
    confirm: str,
) -> None:
    """Change one's own password: proves the current one; ends every other sign-in. Wrong
    current passwords count like failed sign-ins, so a borrowed session cannot guess it."""
    await _refuse_if_throttled(db, settings, actor, user.username)
    if not await security.verify_password_off_loop(current, user.password_hash):
        await _count_failure(db, settings, actor, user.username, "wrong_current_password", user)
        raise WrongCurrentPassword(field="current_password")
    if new != confirm:
        raise PasswordsDiffer(field="confirm_password")
    check_password(new, user.username, field="new_password")
    user.password_hash = await security.hash_password_off_loop(new)
    user.password_changed_at = utcnow()
    now = utcnow()
    await _end_api_sign_ins(db, "password_changed", user_id=user.id)
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
