"""A doctor's availability: the weekly hours, the slot length, and leave or extra hours on
single dates; who may change them and who sees why a doctor is away."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.db import utcnow
from openward.staff import schemas
from openward.staff.doctors import get_doctor
from openward.staff.errors import ExceptionNotFound, NotYourProfile, OverlappingHours
from openward.staff.models import AvailabilityException, Doctor, WeeklyHours

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


async def availability_for_editing(
    db: AsyncSession, actor: Actor, doctor_id: int
) -> schemas.AvailabilityOut:
    """The schedule as the editor page opens it: only for those who may change it (an
    administrator, or the doctor themself; anyone else gets NotYourProfile)."""
    doctor = await get_doctor(db, doctor_id)
    await _check_may_edit(db, actor, doctor)
    return await availability(db, doctor_id, actor)
