"""Free slots: a doctor's working grid minus the booked appointments, and the directory of
doctors narrowed to those with a free slot on a day."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.db import utcnow
from openward.scheduling.models import ACTIVE_STATUSES, Appointment
from openward.staff import service as staff_service

if TYPE_CHECKING:
    from openward.staff.models import Doctor


async def busy_intervals(
    db: AsyncSession, doctor_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    rows = await db.execute(
        select(Appointment.start_at, Appointment.end_at).where(
            Appointment.doctor_id == doctor_id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at < end,
            Appointment.end_at > start,
        )
    )
    return [(s, e) for s, e in rows.all()]


async def free_slots(
    db: AsyncSession,
    doctor: Doctor,
    day: date,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> list[staff_service.Window]:
    """Slots on the grid of a local day that are in the future and not taken."""
    slots = await staff_service.grid_slots(db, doctor, day, zone)
    if not slots:
        return []
    now = now or utcnow()
    busy = await busy_intervals(db, doctor.id, slots[0][0], slots[-1][1])
    return [
        (start, end)
        for start, end in slots
        if start > now and not any(b_start < end and start < b_end for b_start, b_end in busy)
    ]


async def doctors_free_on(
    db: AsyncSession,
    day: date | None,
    *,
    zone: ZoneInfo,
    q: str | None = None,
    department_id: int | None = None,
    specialization: str | None = None,
    include_inactive: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[staff_service.DoctorView], int]:
    """One page of the directory (by name) and its total, narrowed to the doctors with a free
    slot on the local `day`; with no day, the directory as staff lists it."""
    if day is None:
        return await staff_service.list_doctors(
            db,
            q=q,
            department_id=department_id,
            specialization=specialization,
            include_inactive=include_inactive,
            limit=limit,
            offset=offset,
        )
    views = await staff_service.matching_doctors(
        db,
        q=q,
        department_id=department_id,
        specialization=specialization,
        include_inactive=include_inactive,
    )
    free = [v for v in views if await free_slots(db, v.doctor, day, zone=zone)]
    return free[offset : offset + limit], len(free)
