"""The doctor's profile as identity asks for it (identity's ROLE_PROFILE extension point):
every account with the role doctor has one, made with the account on the Users page or by
POST /users, completed when a self-registered doctor is approved, or later for an account
made before profiles were required."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core.actors import Actor
from openward.identity import service as identity_service
from openward.staff import schemas
from openward.staff.departments import list_departments
from openward.staff.doctors import add_profile, specializations
from openward.staff.models import Doctor

if TYPE_CHECKING:
    from openward.identity.models import User


async def _create(db: AsyncSession, actor: Actor, user: User, data: Any) -> None:
    await add_profile(db, actor, user, data)


async def _lacking(db: AsyncSession, user_ids: Collection[int]) -> set[int]:
    wanted = set(user_ids)
    having = set(await db.scalars(select(Doctor.user_id).where(Doctor.user_id.in_(wanted))))
    return wanted - having


async def _form_fields(db: AsyncSession) -> list[identity_service.ProfileField]:
    field = identity_service.ProfileField
    departments = [(str(d.id), d.name) for d in await list_departments(db, include_inactive=False)]
    return [
        field("department_id", "Department", True, "select", departments),
        field(
            "specialization",
            "Specialization",
            True,
            attrs="maxlength=120",
            suggestions=await specializations(db),
        ),
        field("license_number", "Licence number", True, attrs="maxlength=60 autocomplete=off"),
        field("qualification", "Qualification", help="e.g. MBBS, MD (Cardiology)"),
        field(
            "experience_years",
            "Experience (years)",
            type="number",
            attrs="min=0 max=80 step=1 inputmode=numeric",
        ),
        field(
            "consultation_fee",
            "Consultation fee",
            type="number",
            attrs="min=0 step=0.01 inputmode=decimal",
        ),
    ]


def _form_input(values: Mapping[str, str]) -> dict[str, Any]:
    """Form text as the schema wants it: empty fields left out (required ones are then named
    as missing, optional numbers take their defaults), a fee's thousands separators dropped."""
    data: dict[str, Any] = {k: v for k, v in values.items() if v != ""}
    if "consultation_fee" in data:
        data["consultation_fee"] = data["consultation_fee"].replace(",", "")
    return data


def doctor_profile() -> identity_service.RoleProfile:
    return identity_service.RoleProfile(
        role="doctor",
        label="Doctor profile",
        schema=schemas.DoctorProfileIn,
        create=_create,
        lacking=_lacking,
        form_fields=_form_fields,
        form_input=_form_input,
    )
