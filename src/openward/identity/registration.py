"""Staff asking for an account, and the e-mail refusal every self-registration goes
through (patients register in the patients domain, which calls these)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core import audit
from openward.core.actors import Actor
from openward.db import utcnow
from openward.identity import schemas, throttle
from openward.identity.accounts import create_user, normalize_username
from openward.identity.errors import RegistrationRefused, TooManyAttempts, wait_then
from openward.identity.models import User

REGISTRATION_REFUSED = (
    "An online account cannot be opened with these details. If you already have one, sign "
    "in or ask the front desk; otherwise try another e-mail address."
)


async def refuse_unusable_email(
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


async def register_staff(
    db: AsyncSession, settings: Settings, origin: Actor, data: schemas.RegisterStaffIn
) -> User:
    """A staff member asks for an account; it cannot sign in until an admin approves."""
    await refuse_unusable_email(db, settings, origin, data.username, data.email)
    account = schemas.UserCreate(**data.model_dump())
    return await create_user(db, origin, account, approved=False, action="user.register_staff")
