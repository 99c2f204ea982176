"""User accounts: creating, finding, listing and changing them, the admin's actions on them
(approve, deactivate, unlock, reset MFA, never the last admin) and one's own password."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

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
    EmailTaken,
    InvalidUsername,
    LastAdmin,
    PasswordsDiffer,
    UsernameTaken,
    UserNotFound,
    WeakPassword,
    WrongCurrentPassword,
)
from openward.identity.models import User, WebSession
from openward.identity.passwords import policy_problem
from openward.identity.sign_in_throttling import count_failure, refuse_if_throttled
from openward.identity.sign_ins import end_all_sign_ins, end_api_sign_ins

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,149}$")


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


async def users_by_ids(db: AsyncSession, user_ids: Iterable[int]) -> dict[int, User]:
    """Many logins at once, for the domains that show a person with their login."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    return {u.id: u for u in await db.scalars(select(User).where(User.id.in_(wanted)))}


def name_of(user_id: Any) -> Any:
    """The login's full name as an SQL expression, for another domain's ORDER BY (it never
    joins the users table itself)."""
    return select(User.full_name).where(User.id == user_id).scalar_subquery()


def ids_whose_name_contains(word: str) -> Any:
    """The logins whose full name contains `word` (any case), as a subquery for searches."""
    return select(User.id).where(func.lower(User.full_name).contains(word, autoescape=True))


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
        await end_all_sign_ins(db, user.id, "password_changed")
        changed.append("password")
    if "role" in changed:
        await end_all_sign_ins(db, user.id, "role_changed")
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
        await end_all_sign_ins(db, user.id, "deactivated")
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
    await end_all_sign_ins(db, user.id, "mfa_reset")
    await db.flush()
    await audit.record(db, actor, "user.mfa_reset", object_type="user", object_id=user.id)
    return user


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
    await refuse_if_throttled(db, settings, actor, user.username)
    if not await security.verify_password_off_loop(current, user.password_hash):
        await count_failure(db, settings, actor, user.username, "wrong_current_password", user)
        raise WrongCurrentPassword(field="current_password")
    if new != confirm:
        raise PasswordsDiffer(field="confirm_password")
    check_password(new, user.username, field="new_password")
    user.password_hash = await security.hash_password_off_loop(new)
    user.password_changed_at = utcnow()
    now = utcnow()
    await end_api_sign_ins(db, "password_changed", user_id=user.id)
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


async def account_history(db: AsyncSession, user_id: int, limit: int = 15):
    """What happened to and by this account, newest first (for the admin's user page)."""
    by_user, _ = await audit.search(db, actor=str(user_id), limit=limit)
    on_user, _ = await audit.search(db, object_type="user", object_id=str(user_id), limit=limit)
    merged = {event.id: event for event in [*by_user, *on_user]}
    events = sorted(merged.values(), key=lambda e: e.id, reverse=True)[:limit]
    return events, len(events)


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


def is_staff_role(role: str) -> bool:
    return role != "patient"
