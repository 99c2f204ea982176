"""Free slots: a doctor's working grid minus the booked appointments, the directory of
doctors narrowed to those with a free slot on a day, a day's plan (hours, leave, slots) for
the calendar, and what booking says of a day (its free times, or why there are none and the
next day that has some)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import literal, select, union_all
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


# ---------------------------------------------------------------- a day's plan


@dataclass(frozen=True)
class DayPlan:
    """A doctor's local day: the hours they keep (the week's blocks and extra hours, before
    leave), the leave taken out of them, and the bookable slots that remain."""

    day: date
    hours: list[staff_service.Window]
    leave: list[staff_service.Window]
    slots: list[staff_service.Window]

    @property
    def on_leave_all_day(self) -> bool:
        return bool(self.leave) and not self.slots

    def on_leave_at(self, slot: staff_service.Window) -> bool:
        return any(start < slot[1] and slot[0] < end for start, end in self.leave)


async def day_plans(
    db: AsyncSession, doctor: Doctor, days: Sequence[date], zone: ZoneInfo
) -> dict[date, DayPlan]:
    """The doctor's plan for each of `days`, read (through staff's rows) in one statement."""
    selects = [
        part.add_columns(literal(day.isoformat()).label("day"))
        for day in days
        for part in staff_service.window_rows(doctor.id, day)
    ]
    rows = (await db.execute(union_all(*selects))).all() if selects else []
    plans: dict[date, DayPlan] = {}
    for day in days:
        mine = [r for r in rows if r.day == day.isoformat()]
        kept = [r for r in mine if r.kind != "leave"]
        hours = staff_service.windows_from(kept, day, zone)
        leave = []
        for r in (r for r in mine if r.kind == "leave"):
            if r.start is None or r.end is None:
                start = datetime.combine(day, time.min, tzinfo=zone)
                leave.append((start, start + timedelta(days=1)))
            else:
                leave.append(
                    (
                        datetime.combine(day, r.start, tzinfo=zone),
                        datetime.combine(day, r.end, tzinfo=zone),
                    )
                )
        slots = staff_service.grid(staff_service.windows_from(mine, day, zone), doctor.slot_minutes)
        plans[day] = DayPlan(day, hours, leave, slots)
    return plans


# ---------------------------------------------------------------- what booking says of a day


@dataclass(frozen=True)
class DayOutlook:
    """A doctor's free times on a day; when there are none, why (`leave`, `not_working`,
    `full`, `over`, `inactive`), and the next day with a free time (None: none in the
    search window)."""

    day: date
    times: list[staff_service.Window] = field(default_factory=list)
    why: str | None = None
    next_free_day: date | None = None

    @property
    def message(self) -> str:
        return {
            None: "",
            "leave": "The doctor is on leave that day.",
            "not_working": "The doctor does not see patients on that day of the week.",
            "full": "Every slot that day is booked.",
            "over": "No times are left that day.",
            "past": "That day has passed.",
            "inactive": "This doctor is not taking bookings.",
        }[self.why]


async def day_outlook(
    db: AsyncSession,
    doctor: Doctor,
    day: date,
    *,
    zone: ZoneInfo,
    search_days: int = 30,
    now: datetime | None = None,
) -> DayOutlook:
    """The free times on `day`, or why none and the next day (within `search_days`) that
    has one."""
    now = now or utcnow()
    if not doctor.is_active:
        return DayOutlook(day, why="inactive")
    today = now.astimezone(zone).date()
    times = await free_slots(db, doctor, day, zone=zone, now=now) if day >= today else []
    if times:
        return DayOutlook(day, times)
    if day < today:
        why = "past"
    else:
        plan = (await day_plans(db, doctor, [day], zone))[day]
        if not plan.slots:
            why = "leave" if plan.leave else "not_working"
        elif all(start <= now for start, _end in plan.slots):
            why = "over"
        else:
            why = "full"
    first = max(day, today - timedelta(days=1)) + timedelta(days=1)
    for offset in range(search_days):
        candidate = first + timedelta(days=offset)
        if await free_slots(db, doctor, candidate, zone=zone, now=now):
            return DayOutlook(day, [], why, candidate)
    return DayOutlook(day, [], why, None)
