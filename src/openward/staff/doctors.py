"""Doctors: the login and profile together, the directory, and taking a doctor off (or back
on) the booking lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.schemas import search_text
from openward.db import utcnow
from openward.identity import schemas as identity_schemas
from openward.identity import service as identity_service
from openward.identity.errors import ProfileExists, UsernameTaken
from openward.staff import schemas
from openward.staff.errors import DoctorNotFound, LicenseTaken, UnknownDepartment
from openward.staff.models import Department, Doctor

if TYPE_CHECKING:
    from openward.identity.models import User


@dataclass
class DoctorView:
    """A doctor with the login and department it is shown with."""

    doctor: Doctor
    user: User
    department: Department

    def public(self) -> schemas.DoctorPublic:
        return schemas.DoctorPublic(**self._public_fields())

    def private(self) -> schemas.DoctorOut:
        return schemas.DoctorOut(
            **self._public_fields(),
            user_id=self.user.id,
            username=self.user.username,
            email=self.user.email,
            phone=self.user.phone,
            license_number=self.doctor.license_number,
            deactivated_reason=self.doctor.deactivated_reason,
        )

    def _public_fields(self) -> dict[str, Any]:
        d = self.doctor
        return {
            "id": d.id,
            "full_name": self.user.full_name,
            "department_id": d.department_id,
            "department_name": self.department.name,
            "specialization": d.specialization,
            "qualification": d.qualification,
            "experience_years": d.experience_years,
            "consultation_fee": d.consultation_fee,
            "slot_minutes": d.slot_minutes,
            "is_active": d.is_active,
        }

    @property
    def name(self) -> str:
        return self.user.full_name


def _views_query():
    return select(Doctor, Department).join(Department, Department.id == Doctor.department_id)


async def _views(db: AsyncSession, query) -> list[DoctorView]:
    """Doctors with their department (one query) and their logins (one more)."""
    rows = (await db.execute(query)).all()
    users = await identity_service.users_by_ids(db, [doctor.user_id for doctor, _ in rows])
    return [DoctorView(doctor, users[doctor.user_id], department) for doctor, department in rows]


async def _department_for(db: AsyncSession, department_id: int) -> Department:
    department = await db.get(Department, department_id)
    if department is None:
        raise UnknownDepartment(field="department_id")
    return department


async def _license_taken(db: AsyncSession, license_number: str, skip_id: int = 0) -> bool:
    found = await db.scalar(
        select(Doctor.id).where(
            func.lower(Doctor.license_number) == license_number.lower(), Doctor.id != skip_id
        )
    )
    return found is not None


async def _refuse_profileless_doctor(db: AsyncSession, username: str) -> None:
    """A doctor's account made without a profile is completed, not made again: say how."""
    user = await identity_service.find_by_username(db, username)
    if user is not None and user.role == "doctor" and await doctor_for_user(db, user.id) is None:
        raise UsernameTaken(
            f"'{user.username}' is a doctor's account without a profile: complete its profile "
            f"on the Users page, or with POST /api/v1/users/{user.id}/profile.",
            field="username",
            extra={"user_id": user.id},
        )


async def create_doctor(db: AsyncSession, actor: Actor, data: schemas.DoctorCreate) -> DoctorView:
    """The login and the professional profile, in one transaction."""
    await _refuse_profileless_doctor(db, data.username)
    await _department_for(db, data.department_id)
    if await _license_taken(db, data.license_number):
        raise LicenseTaken(field="license_number")
    user = await identity_service.create_user(
        db,
        actor,
        identity_schemas.UserCreate(
            username=data.username,
            password=data.password,
            full_name=data.full_name,
            email=data.email,
            phone=data.phone,
            role="doctor",
        ),
    )
    profile = schemas.DoctorProfileIn(
        **data.model_dump(include=set(schemas.DoctorProfileIn.model_fields))
    )
    return await add_profile(db, actor, user, profile)


async def add_profile(
    db: AsyncSession, actor: Actor, user: User, data: schemas.DoctorProfileIn
) -> DoctorView:
    """A doctor profile for an existing doctor's login."""
    department = await _department_for(db, data.department_id)
    if await _license_taken(db, data.license_number):
        raise LicenseTaken(field="license_number")
    doctor = Doctor(user_id=user.id, **data.model_dump())
    try:
        async with db.begin_nested():
            db.add(doctor)
            await db.flush()
    except IntegrityError:
        # Lost a race: the same login's profile (made twice at once) or the same licence.
        if await doctor_for_user(db, user.id) is not None:
            raise ProfileExists(f"{user.full_name} already has a doctor profile.") from None
        raise LicenseTaken(field="license_number") from None
    await audit.record(
        db,
        actor,
        "doctor.create",
        object_type="doctor",
        object_id=doctor.id,
        detail={"user_id": user.id, "department_id": department.id},
    )
    return DoctorView(doctor, user, department)


async def get_doctor(db: AsyncSession, doctor_id: int) -> Doctor:
    doctor = await db.get(Doctor, doctor_id)
    if doctor is None:
        raise DoctorNotFound()
    return doctor


async def doctor_view(db: AsyncSession, doctor_id: int) -> DoctorView:
    views = await _views(db, _views_query().where(Doctor.id == doctor_id))
    if not views:
        raise DoctorNotFound()
    return views[0]


async def doctor_views(db: AsyncSession, doctor_ids: Sequence[int]) -> dict[int, DoctorView]:
    """Many doctors at once (two queries), keyed by id: for lists that show doctors' names."""
    if not doctor_ids:
        return {}
    views = await _views(db, _views_query().where(Doctor.id.in_(set(doctor_ids))))
    return {view.doctor.id: view for view in views}


@dataclass(frozen=True)
class DoctorName:
    """What a list of appointments shows of a doctor."""

    name: str
    department_name: str


def name_of_doctor(doctor_id: Any) -> tuple[Any, Any]:
    """The doctor's name and department as SQL expressions, for another domain's list."""
    name = select(identity_service.name_of(Doctor.user_id)).where(Doctor.id == doctor_id)
    department = (
        select(Department.name)
        .join(Doctor, Doctor.department_id == Department.id)
        .where(Doctor.id == doctor_id)
    )
    return name.scalar_subquery(), department.scalar_subquery()


def named_doctor_query(doctor_id: int) -> Select[Any]:
    """One doctor with what an appointment shows of them: rows of (Doctor, name,
    department). Another domain may add its own columns to it (see `named_doctor_of`)."""
    return (
        select(Doctor, identity_service.name_of(Doctor.user_id), Department.name)
        .join(Department, Department.id == Doctor.department_id)
        .where(Doctor.id == doctor_id)
    )


def named_doctor_of(row: Any) -> tuple[Doctor, DoctorName]:
    """The doctor and their names from a row of `named_doctor_query` (None: no such doctor)."""
    if row is None:
        raise DoctorNotFound()
    return row[0], DoctorName(row[1] or "", row[2])


async def get_named_doctor(db: AsyncSession, doctor_id: int) -> tuple[Doctor, DoctorName]:
    """The doctor and what an appointment shows of them, in one statement."""
    return named_doctor_of((await db.execute(named_doctor_query(doctor_id))).first())


async def doctor_for_user(db: AsyncSession, user_id: int | None) -> Doctor | None:
    if user_id is None:
        return None
    return await db.scalar(select(Doctor).where(Doctor.user_id == user_id))


def doctor_id_of_login(user_id: int | None) -> Any:
    """The doctor profile id of a login as an SQL expression (NULL when none), for another
    domain's WHERE clause: a doctor's own list without a query to find their profile."""
    return select(Doctor.id).where(Doctor.user_id == user_id).scalar_subquery()


async def doctor_id_of(db: AsyncSession, actor: Actor) -> int | None:
    """The doctor profile id of a signed-in doctor (None for everyone else)."""
    if actor.role != "doctor":
        return None
    doctor = await doctor_for_user(db, actor.id)
    return doctor.id if doctor else None


async def my_view(db: AsyncSession, actor: Actor) -> DoctorView:
    """The signed-in doctor's own profile."""
    doctor = await doctor_for_user(db, actor.id)
    if doctor is None:
        raise DoctorNotFound(
            "This account has no doctor profile yet: an administrator completes it on the "
            "Users page (or with POST /api/v1/users/{id}/profile)."
        )
    return await doctor_view(db, doctor.id)


def sees_private_fields(actor: Actor, view: DoctorView) -> bool:
    return actor.role == "admin" or (actor.id is not None and actor.id == view.user.id)


def _directory_query(
    *,
    q: str | None,
    department_id: int | None,
    specialization: str | None,
    include_inactive: bool,
):
    query = _views_query()
    if not include_inactive:
        query = query.where(Doctor.is_active)
    if department_id:
        query = query.where(Doctor.department_id == department_id)
    if specialization:
        query = query.where(func.lower(Doctor.specialization) == specialization.strip().lower())
    for word in search_text(q or "").lower().split():
        query = query.where(
            or_(
                Doctor.user_id.in_(identity_service.ids_whose_name_contains(word)),
                func.lower(Doctor.specialization).contains(word, autoescape=True),
                func.lower(Department.name).contains(word, autoescape=True),
            )
        )
    return query.order_by(identity_service.name_of(Doctor.user_id), Doctor.id)


async def list_doctors(
    db: AsyncSession,
    *,
    q: str | None = None,
    department_id: int | None = None,
    specialization: str | None = None,
    include_inactive: bool = False,
    zone: ZoneInfo | None = None,  # unused: a day's free slots are scheduling's filter
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DoctorView], int]:
    """One page of the directory, by name, and how many doctors match in all."""
    query = _directory_query(
        q=q,
        department_id=department_id,
        specialization=specialization,
        include_inactive=include_inactive,
    )
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    return await _views(db, query.limit(limit).offset(offset)), total


async def matching_doctors(
    db: AsyncSession,
    *,
    q: str | None = None,
    department_id: int | None = None,
    specialization: str | None = None,
    include_inactive: bool = False,
) -> list[DoctorView]:
    """Every doctor the directory's filters match, in its order (by name), unpaged."""
    query = _directory_query(
        q=q,
        department_id=department_id,
        specialization=specialization,
        include_inactive=include_inactive,
    )
    return await _views(db, query)


async def specializations(db: AsyncSession) -> list[str]:
    rows = await db.scalars(
        select(Doctor.specialization)
        .where(Doctor.is_active)
        .distinct()
        .order_by(Doctor.specialization)
    )
    return list(rows)


async def update_doctor(
    db: AsyncSession, actor: Actor, doctor_id: int, data: schemas.DoctorUpdate
) -> DoctorView:
    view = await doctor_view(db, doctor_id)
    changes = data.model_dump(exclude_unset=True)
    changed: list[str] = []
    account = {k: changes.pop(k) for k in ("full_name", "email", "phone") if k in changes}
    if account:
        await identity_service.update_user(
            db, actor, view.user.id, identity_schemas.UserUpdate(**account)
        )
        changed += list(account)
    if changes.get("department_id"):
        view.department = await _department_for(db, changes["department_id"])
    if changes.get("license_number") and await _license_taken(
        db, changes["license_number"], skip_id=doctor_id
    ):
        raise LicenseTaken(field="license_number")
    for field, value in changes.items():
        if value is None and field != "qualification":
            continue
        if getattr(view.doctor, field) != value:
            setattr(view.doctor, field, value)
            changed.append(field)
    await db.flush()
    await audit.record(
        db,
        actor,
        "doctor.update",
        object_type="doctor",
        object_id=doctor_id,
        detail={"fields": changed},
    )
    return await doctor_view(db, doctor_id)


async def set_doctor_active(
    db: AsyncSession, actor: Actor, doctor_id: int, active: bool, reason: str | None = None
) -> DoctorView:
    """Deactivation blacklists the doctor for new bookings; the login stays as it is."""
    doctor = await get_doctor(db, doctor_id)
    doctor.is_active = active
    doctor.deactivated_at = None if active else utcnow()
    doctor.deactivated_reason = None if active else reason
    await db.flush()
    await audit.record(
        db,
        actor,
        "doctor.activate" if active else "doctor.deactivate",
        object_type="doctor",
        object_id=doctor_id,
        reason=reason,
    )
    return await doctor_view(db, doctor_id)
