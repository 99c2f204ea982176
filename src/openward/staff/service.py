"""Departments, doctors and availability: every staffing rule, and the slot grid."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.schemas import search_text
from openward.db import utcnow
from openward.identity import schemas as identity_schemas
from openward.identity import service as identity_service
from openward.identity.models import User
from openward.staff import schemas
from openward.staff.errors import (
    DepartmentExists,
    DepartmentNotFound,
    DoctorNotFound,
    ExceptionNotFound,
    LicenseTaken,
    NotYourProfile,
    OverlappingHours,
    UnknownDepartment,
)
from openward.staff.models import AvailabilityException, Department, Doctor, WeeklyHours

# ---------------------------------------------------------------- departments


async def _doctor_counts(db: AsyncSession) -> dict[int, int]:
    rows = await db.execute(
        select(Doctor.department_id, func.count(Doctor.id))
        .where(Doctor.is_active)
        .group_by(Doctor.department_id)
    )
    return {dept_id: count for dept_id, count in rows.all()}


def department_out(department: Department, counts: dict[int, int]) -> schemas.DepartmentOut:
    out = schemas.DepartmentOut.model_validate(department)
    out.doctor_count = counts.get(department.id, 0)
    return out


async def _name_taken(db: AsyncSession, name: str, skip_id: int = 0) -> bool:
    found = await db.scalar(
        select(Department.id).where(
            func.lower(Department.name) == name.lower(), Department.id != skip_id
        )
    )
    return found is not None


async def create_department(
    db: AsyncSession, actor: Actor, data: schemas.DepartmentCreate
) -> schemas.DepartmentOut:
    if await _name_taken(db, data.name):
        raise DepartmentExists(field="name")
    department = Department(**data.model_dump())
    try:
        async with db.begin_nested():
            db.add(department)
            await db.flush()
    except IntegrityError:
        raise DepartmentExists(field="name") from None
    await audit.record(
        db,
        actor,
        "department.create",
        object_type="department",
        object_id=department.id,
        detail={"name": department.name},
    )
    return department_out(department, {})


async def get_department(db: AsyncSession, department_id: int) -> Department:
    department = await db.get(Department, department_id)
    if department is None:
        raise DepartmentNotFound()
    return department


async def department_detail(db: AsyncSession, department_id: int) -> schemas.DepartmentOut:
    return department_out(await get_department(db, department_id), await _doctor_counts(db))


async def list_departments(
    db: AsyncSession, *, include_inactive: bool = False
) -> list[schemas.DepartmentOut]:
    query = select(Department).order_by(Department.name)
    if not include_inactive:
        query = query.where(Department.is_active)
    counts = await _doctor_counts(db)
    return [department_out(d, counts) for d in await db.scalars(query)]


async def update_department(
    db: AsyncSession, actor: Actor, department_id: int, data: schemas.DepartmentUpdate
) -> schemas.DepartmentOut:
    department = await get_department(db, department_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") and await _name_taken(db, changes["name"], skip_id=department.id):
        raise DepartmentExists(field="name")
    changed = []
    for field, value in changes.items():
        if value is None and field in ("name", "is_active"):
            continue
        if getattr(department, field) != value:
            setattr(department, field, value)
            changed.append(field)
    await db.flush()
    await audit.record(
        db,
        actor,
        "department.update",
        object_type="department",
        object_id=department.id,
        detail={"fields": changed},
    )
    return department_out(department, await _doctor_counts(db))


# ---------------------------------------------------------------- doctors


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
    return (
        select(Doctor, User, Department)
        .join(User, User.id == Doctor.user_id)
        .join(Department, Department.id == Doctor.department_id)
    )


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


async def create_doctor(db: AsyncSession, actor: Actor, data: schemas.DoctorCreate) -> DoctorView:
    """The login and the professional profile, in one transaction."""
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
    row = (await db.execute(_views_query().where(Doctor.id == doctor_id))).first()
    if row is None:
        raise DoctorNotFound()
    return DoctorView(*row)


async def doctor_views(db: AsyncSession, doctor_ids: Sequence[int]) -> dict[int, DoctorView]:
    """Many doctors at once (one query), keyed by id: for lists that show doctors' names."""
    if not doctor_ids:
        return {}
    rows = await db.execute(_views_query().where(Doctor.id.in_(set(doctor_ids))))
    return {row[0].id: DoctorView(*row) for row in rows.all()}


async def doctor_for_user(db: AsyncSession, user_id: int | None) -> Doctor | None:
    if user_id is None:
        return None
    return await db.scalar(select(Doctor).where(Doctor.user_id == user_id))


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
        raise DoctorNotFound("This account has no doctor profile.")
    return await doctor_view(db, doctor.id)


def sees_private_fields(actor: Actor, view: DoctorView) -> bool:
    return actor.role == "admin" or (actor.id is not None and actor.id == view.user.id)


async def list_doctors(
    db: AsyncSession,
    *,
    q: str | None = None,
    department_id: int | None = None,
    specialization: str | None = None,
    available_on: date | None = None,
    include_inactive: bool = False,
    zone: ZoneInfo,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DoctorView], int]:
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
                func.lower(User.full_name).contains(word, autoescape=True),
                func.lower(Doctor.specialization).contains(word, autoescape=True),
                func.lower(Department.name).contains(word, autoescape=True),
            )
        )
    query = query.order_by(User.full_name, Doctor.id)
    if available_on is None:
        total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = await db.execute(query.limit(limit).offset(offset))
        return [DoctorView(*row) for row in rows.all()], total
    views = [DoctorView(*row) for row in (await db.execute(query)).all()]
    free = [v for v in views if await free_slots(db, v.doctor, available_on, zone=zone)]
    return free[offset : offset + limit], len(free)


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


# ---------------------------------------------------------------- availability

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


async def _check_may_edit(db: AsyncSession, actor: Actor, doctor: Doctor) -> None:
    if actor.role != "admin" and doctor.user_id != actor.id:
        raise NotYourProfile()


def sees_leave_reasons(actor: Actor | None, doctor: Doctor) -> bool:
    """Why a doctor is away is for those who keep the schedule: an administrator and the
    doctor themself. Everyone else (patients booking included) sees only that they are."""
    return actor is not None and (actor.role == "admin" or doctor.user_id == actor.id)


async def availability(
    db: AsyncSession, doctor_id: int, actor: Actor | None = None
) -> schemas.AvailabilityOut:
    """Weekly hours and coming exceptions; leave reasons only where sees_leave_reasons."""
    doctor = await get_doctor(db, doctor_id)
    reasons = sees_leave_reasons(actor, doctor)
    weekly = await db.scalars(
        select(WeeklyHours)
        .where(WeeklyHours.doctor_id == doctor_id)
        .order_by(WeeklyHours.weekday, WeeklyHours.start)
    )
    exceptions = await db.scalars(
        select(AvailabilityException)
        .where(
            AvailabilityException.doctor_id == doctor_id,
            AvailabilityException.is_active,
            AvailabilityException.day >= utcnow().date() - timedelta(days=1),
        )
        .order_by(AvailabilityException.day, AvailabilityException.start)
    )
    return schemas.AvailabilityOut(
        slot_minutes=doctor.slot_minutes,
        weekly=[schemas.WeeklyBlockOut.model_validate(w) for w in weekly],
        exceptions=[
            schemas.ExceptionOut.model_validate(e).model_copy(
                update={} if reasons else {"reason": None}
            )
            for e in exceptions
        ],
    )


async def set_availability(
    db: AsyncSession, actor: Actor, doctor_id: int, data: schemas.AvailabilityIn
) -> schemas.AvailabilityOut:
    """Replace the weekly schedule and slot length. Booked appointments stay as they are."""
    doctor = await get_doctor(db, doctor_id)
    await _check_may_edit(db, actor, doctor)
    blocks = sorted(data.weekly, key=lambda b: (b.weekday, b.start))
    for before, after in itertools.pairwise(blocks):
        if before.weekday == after.weekday and after.start < before.end:
            raise OverlappingHours(
                f"The hours {before.start:%H:%M}–{before.end:%H:%M} and "
                f"{after.start:%H:%M}–{after.end:%H:%M} overlap on {WEEKDAYS[after.weekday]}.",
                field="weekly",
                extra={"weekday": after.weekday},
            )
    for old in await db.scalars(select(WeeklyHours).where(WeeklyHours.doctor_id == doctor_id)):
        await db.delete(old)
    for block in blocks:
        db.add(
            WeeklyHours(
                doctor_id=doctor_id, weekday=block.weekday, start=block.start, end=block.end
            )
        )
    doctor.slot_minutes = data.slot_minutes
    await db.flush()
    await audit.record(
        db,
        actor,
        "availability.set",
        object_type="doctor",
        object_id=doctor_id,
        detail={"slot_minutes": data.slot_minutes, "blocks": len(blocks)},
    )
    return await availability(db, doctor_id, actor)


async def add_exception(
    db: AsyncSession, actor: Actor, doctor_id: int, data: schemas.ExceptionIn
) -> AvailabilityException:
    doctor = await get_doctor(db, doctor_id)
    await _check_may_edit(db, actor, doctor)
    exception = AvailabilityException(
        doctor_id=doctor_id,
        day=data.date,
        kind=data.kind,
        start=data.start,
        end=data.end,
        reason=data.reason,
        created_by=actor.id,
    )
    db.add(exception)
    await db.flush()
    await audit.record(
        db,
        actor,
        f"availability.{data.kind}",
        object_type="doctor",
        object_id=doctor_id,
        detail={"date": data.date, "start": data.start, "end": data.end},
        reason=data.reason,
    )
    return exception


async def remove_exception(
    db: AsyncSession, actor: Actor, doctor_id: int, exception_id: int
) -> None:
    doctor = await get_doctor(db, doctor_id)
    await _check_may_edit(db, actor, doctor)
    exception = await db.get(AvailabilityException, exception_id)
    if exception is None or exception.doctor_id != doctor_id or not exception.is_active:
        raise ExceptionNotFound()
    exception.is_active = False
    await db.flush()
    await audit.record(
        db,
        actor,
        "availability.exception_removed",
        object_type="doctor",
        object_id=doctor_id,
        detail={"exception_id": exception_id},
    )


# ---------------------------------------------------------------- the slot grid

Window = tuple[datetime, datetime]


def _subtract(windows: list[Window], cut: Window) -> list[Window]:
    out: list[Window] = []
    for start, end in windows:
        if cut[1] <= start or end <= cut[0]:
            out.append((start, end))
            continue
        if start < cut[0]:
            out.append((start, cut[0]))
        if cut[1] < end:
            out.append((cut[1], end))
    return out


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


async def working_windows(
    db: AsyncSession, doctor_id: int, day: date, zone: ZoneInfo
) -> list[Window]:
    """The doctor's hours on one local day: the week's blocks, plus extra hours, minus leave."""
    blocks = await db.scalars(
        select(WeeklyHours).where(
            WeeklyHours.doctor_id == doctor_id, WeeklyHours.weekday == day.weekday()
        )
    )
    windows = [(_at(day, b.start, zone), _at(day, b.end, zone)) for b in blocks]
    exceptions = list(
        await db.scalars(
            select(AvailabilityException).where(
                AvailabilityException.doctor_id == doctor_id,
                AvailabilityException.day == day,
                AvailabilityException.is_active,
            )
        )
    )
    for extra in (e for e in exceptions if e.kind == "extra" and e.start and e.end):
        windows.append((_at(day, extra.start, zone), _at(day, extra.end, zone)))
    windows.sort()
    merged: list[Window] = []
    for start, end in windows:  # extra hours may touch or overlap the week's blocks
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    for leave in (e for e in exceptions if e.kind == "leave"):
        if leave.start is None or leave.end is None:
            return []
        merged = _subtract(merged, (_at(day, leave.start, zone), _at(day, leave.end, zone)))
    return merged


def grid(windows: list[Window], slot_minutes: int) -> list[Window]:
    """Whole slots from the start of each window; a remainder too short for a slot is unused."""
    step = timedelta(minutes=slot_minutes)
    slots: list[Window] = []
    for start, end in windows:
        cursor = start
        while cursor + step <= end:
            slots.append((cursor, cursor + step))
            cursor += step
    return slots


async def grid_slots(db: AsyncSession, doctor: Doctor, day: date, zone: ZoneInfo) -> list[Window]:
    return grid(await working_windows(db, doctor.id, day, zone), doctor.slot_minutes)


async def free_slots(
    db: AsyncSession,
    doctor: Doctor,
    day: date,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> list[Window]:
    """Slots on the grid of a local day that are in the future and not taken."""
    from openward.scheduling import service as scheduling_service

    slots = await grid_slots(db, doctor, day, zone)
    if not slots:
        return []
    now = now or utcnow()
    busy = await scheduling_service.busy_intervals(db, doctor.id, slots[0][0], slots[-1][1])
    return [
        (start, end)
        for start, end in slots
        if start > now and not any(b_start < end and start < b_end for b_start, b_end in busy)
    ]


async def availability_for_editing(
    db: AsyncSession, actor: Actor, doctor_id: int
) -> schemas.AvailabilityOut:
    """The schedule as the editor page opens it: only for those who may change it (an
    administrator, or the doctor themself; anyone else gets NotYourProfile)."""
    doctor = await get_doctor(db, doctor_id)
    await _check_may_edit(db, actor, doctor)
    return await availability(db, doctor_id, actor)
