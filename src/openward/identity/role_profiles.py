"""Accounts whose role needs a profile kept by a higher domain (a doctor's professional
profile, kept by staff): the extension point, and creating, approving, changing or completing
such an account with its profile in one transaction. Identity never learns what the profile
holds; the domain that keeps it says so through `ROLE_PROFILE`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import domains
from openward.core.actors import Actor
from openward.identity import schemas
from openward.identity.accounts import approve, create_user, get_user, update_user
from openward.identity.errors import NoProfileForRole, ProfileExists, ProfileFieldsInvalid
from openward.identity.models import User
from openward.identity.schemas import ROLE_PROFILE  # () -> RoleProfile, one per role


@dataclass(frozen=True)
class ProfileField:
    """One field of a profile as the Users page's form shows it."""

    name: str
    label: str
    required: bool = False
    type: str = "text"  # "text", "number" or "select"
    options: Sequence[tuple[str, str]] = ()  # (value, label) of a select
    help: str | None = None
    attrs: str = ""  # extra HTML attributes of the input (maxlength, min, step)
    suggestions: Sequence[str] = ()  # offered while typing (a datalist), any text allowed


@dataclass(frozen=True)
class RoleProfile:
    """What the domain keeping a role's profile tells identity about it."""

    role: str
    label: str  # "Doctor profile"
    schema: type[BaseModel]  # the profile's input; unknown fields are refused
    # Writes the profile of a login that has none (flush only; audits; domain errors).
    create: Callable[[AsyncSession, Actor, User, Any], Awaitable[None]]
    # Which of these logins (all of this role) have no profile yet.
    lacking: Callable[[AsyncSession, Collection[int]], Awaitable[set[int]]]
    # The form's fields, with the choices of today (the open departments).
    form_fields: Callable[[AsyncSession], Awaitable[list[ProfileField]]]
    # Form text as the schema wants it (an empty optional number takes its default).
    form_input: Callable[[Mapping[str, str]], dict[str, Any]] = field(
        default=lambda values: {k: v for k, v in values.items() if v != ""}
    )


def profile_for(role: str | None) -> RoleProfile | None:
    """The profile accounts of this role need (None: they need none)."""
    for declared in domains.extensions(ROLE_PROFILE):
        profile = declared()
        if profile.role == role:
            return profile
    return None


def profile_roles() -> list[str]:
    return [declared().role for declared in domains.extensions(ROLE_PROFILE)]


def _field_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err.get("loc", ())) or "body"
        message = err.get("msg", "Invalid value")
        if err.get("type") == "missing":
            message = "This field is required."
        elif err.get("type") == "extra_forbidden":
            message = "This field is not allowed."
        errors.append({"field": name, "message": message})
    return errors


def _not_allowed(names: Collection[str]) -> ProfileFieldsInvalid:
    return ProfileFieldsInvalid(
        [{"field": name, "message": "This field is not allowed."} for name in sorted(names)]
    )


def parse_profile(profile: RoleProfile, fields: Mapping[str, Any]) -> BaseModel:
    """The profile's fields checked, or 422 naming every missing or invalid one."""
    try:
        return profile.schema.model_validate(dict(fields))
    except ValidationError as exc:
        raise ProfileFieldsInvalid(_field_errors(exc)) from None


async def lacking_profile(db: AsyncSession, users: Collection[User]) -> set[int]:
    """The ids of these accounts whose role needs a profile they do not have (one query per
    role that has profiles)."""
    missing: set[int] = set()
    for role in profile_roles():
        ids = [u.id for u in users if u.role == role]
        profile = profile_for(role)
        if ids and profile is not None:
            missing |= await profile.lacking(db, ids)
    return missing


async def accounts_lacking_profile(db: AsyncSession) -> list[int]:
    """Every account, active or not, whose role needs a profile it does not have."""
    missing: set[int] = set()
    for role in profile_roles():
        profile = profile_for(role)
        ids = list(await db.scalars(select(User.id).where(User.role == role)))
        if ids and profile is not None:
            missing |= await profile.lacking(db, ids)
    return sorted(missing)


async def _needs_profile(db: AsyncSession, user: User, role: str) -> RoleProfile | None:
    profile = profile_for(role)
    if profile is None or not await profile.lacking(db, [user.id]):
        return None
    return profile


async def create_account(
    db: AsyncSession, actor: Actor, data: schemas.UserCreate, fields: Mapping[str, Any]
) -> User:
    """A new account and, for a role that needs one, its profile, in one transaction: the
    profile's fields are checked first, so a missing one writes nothing."""
    profile = profile_for(data.role)
    if profile is None:
        if fields:
            raise _not_allowed(fields)
        return await create_user(db, actor, data)
    parsed = parse_profile(profile, fields)
    user = await create_user(db, actor, data)
    await profile.create(db, actor, user, parsed)
    return user


async def change_account(
    db: AsyncSession,
    actor: Actor,
    user_id: int,
    data: schemas.UserUpdate,
    fields: Mapping[str, Any],
) -> User:
    """A change to an account; one that makes it a doctor brings the profile it lacks."""
    user = await get_user(db, user_id)
    changes_role = data.role is not None and data.role != user.role
    profile = await _needs_profile(db, user, data.role) if changes_role and data.role else None
    if profile is None and fields:
        raise _not_allowed(fields)
    # The account's own rules first (never the last administrator), then the profile: a
    # refusal of either fails the request, whose transaction then writes nothing.
    user = await update_user(db, actor, user_id, data)
    if profile is not None:
        await profile.create(db, actor, user, parse_profile(profile, fields))
    return user


async def approve_account(
    db: AsyncSession, actor: Actor, user_id: int, fields: Mapping[str, Any]
) -> User:
    """Approve a self-registered account; a doctor's profile is completed at approval."""
    user = await get_user(db, user_id)
    profile = await _needs_profile(db, user, user.role)
    if profile is None and fields:
        raise _not_allowed(fields)
    if profile is not None:
        await profile.create(db, actor, user, parse_profile(profile, fields))
    return await approve(db, actor, user_id)


async def complete_profile(
    db: AsyncSession, actor: Actor, user_id: int, fields: Mapping[str, Any]
) -> User:
    """The missing profile of an existing account (made before profiles were required)."""
    user = await get_user(db, user_id)
    profile = profile_for(user.role)
    if profile is None:
        raise NoProfileForRole(f"A {user.role.replace('_', ' ')}'s account has no profile.")
    if not await profile.lacking(db, [user.id]):
        raise ProfileExists(f"{user.full_name} already has a {profile.label.lower()}.")
    await profile.create(db, actor, user, parse_profile(profile, fields))
    return user


async def profile_forms(db: AsyncSession) -> list[tuple[RoleProfile, list[ProfileField]]]:
    """Each role's profile with its form's fields (today's choices), for the Users page."""
    forms = []
    for declared in domains.extensions(ROLE_PROFILE):
        profile = declared()
        forms.append((profile, await profile.form_fields(db)))
    return forms


def profile_problems(role: str | None, fields: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with these profile fields for this role, by field (empty: nothing), so a
    form can show every mistake at once."""
    profile = profile_for(role)
    if profile is None:
        return {}
    try:
        parse_profile(profile, fields)
    except ProfileFieldsInvalid as exc:
        return {e["field"]: e["message"] for e in exc.errors()}
    return {}
