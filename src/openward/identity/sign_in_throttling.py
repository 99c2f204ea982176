"""When a sign-in must wait: failed sign-ins counted per account, address and hospital, and
the refusals and lockouts they lead to (the counts themselves are kept by `throttle`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core import audit
from openward.core.actors import Actor
from openward.db import utcnow
from openward.identity import throttle
from openward.identity.errors import AccountLocked, TooManyAttempts, wait_then
from openward.identity.models import ApiSignIn, User, WebSession

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


def login_window_start(settings: Settings) -> datetime:
    return utcnow() - timedelta(minutes=settings.login_window_minutes)


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


async def refuse_if_throttled(
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


async def refuse_if_under_attack(
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


async def count_failure(
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


async def clear_failures(db: AsyncSession, settings: Settings, username: str, ip: str | None):
    """A good sign-in forgets that address's failures only: an attack from elsewhere keeps
    counting."""
    await throttle.counter(db, settings).clear("login", username, ip)
