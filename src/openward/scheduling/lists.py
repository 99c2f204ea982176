"""Lists of appointments, each audited for whose were shown: the appointments page (scoped
to a patient's own or a doctor's own), a deactivated doctor's visits to come, the dashboards'
time windows and figures, and the subquery the patients' lists use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit, dates
from openward.core.actors import Actor
from openward.db import utcnow
from openward.patients import service as patients_service
from openward.scheduling import schemas
from openward.scheduling.access import Shown, present, shown_columns
from openward.scheduling.models import Appointment
from openward.staff import service as staff_service

# ---------------------------------------------------------------- queries other domains use


def patient_ids_of_doctor(doctor_id: int) -> Select[Any]:
    """The patients a doctor has appointments with, as a subquery for the patients' lists."""
    return select(Appointment.patient_id).where(
        Appointment.doctor_id == doctor_id, Appointment.status != "cancelled"
    )


# ---------------------------------------------------------------- lists


def day_bounds(first: date | None, last: date | None, zone: ZoneInfo):
    """UTC bounds of local days, `last` inclusive (a day outside the calendar: 422)."""
    return dates.day_bounds(first, last, zone)


def _scope(actor: Actor, query: Select[Any]) -> Select[Any]:
    """Lists show a patient their own appointments and a doctor theirs (found inside the
    list's own statement)."""
    if actor.role == "patient":
        return query.where(Appointment.patient_id == patients_service.id_of_login(actor.id))
    if actor.role == "doctor":
        return query.where(Appointment.doctor_id == staff_service.doctor_id_of_login(actor.id))
    return query


async def list_appointments(
    db: AsyncSession,
    actor: Actor,
    *,
    zone: ZoneInfo,
    patient_id: int | None = None,
    doctor_id: int | None = None,
    department_id: int | None = None,
    status: str | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    limit: int = 50,
    offset: int = 0,
    newest_first: bool = False,
) -> tuple[list[schemas.AppointmentOut], int]:
    """A page of appointments as shown (names included), and how many there are."""
    query = _scope(actor, select(Appointment))
    if patient_id:
        query = query.where(Appointment.patient_id == patient_id)
    if doctor_id:
        query = query.where(Appointment.doctor_id == doctor_id)
    if department_id:
        query = query.where(Appointment.department_id == department_id)
    if status:
        query = query.where(Appointment.status == status)
    start, end = day_bounds(first_day, last_day, zone)
    if start is not None:
        query = query.where(Appointment.start_at >= start)
    if end is not None:
        query = query.where(Appointment.start_at < end)
    order = Appointment.start_at.desc() if newest_first else Appointment.start_at
    # The page, its names and the total in one statement; a page past the end asks for the
    # total.
    page = (
        await db.execute(
            query.add_columns(func.count().over(), *shown_columns())
            .order_by(order, Appointment.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    rows = [row[0] for row in page]
    if page:
        total = int(page[0][1])
    elif offset:
        total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    else:
        total = 0
    await _audit_list(db, actor, rows, total)
    shown = {row[0].id: Shown.of(row[2:]) for row in page}
    return await present(db, rows, zone, shown), total


async def _audit_list(
    db: AsyncSession, actor: Actor, rows: Sequence[Appointment], total: int | None = None
) -> None:
    """A list of appointments names its patients: one audit event says whose were shown."""
    await audit.record(
        db,
        actor,
        "appointment.list",
        object_type="appointment",
        detail={
            "total": len(rows) if total is None else total,
            "patients": sorted({a.patient_id for a in rows}),
        },
    )


async def future_for_doctor(
    db: AsyncSession, actor: Actor, doctor_id: int, zone: ZoneInfo
) -> list[schemas.AppointmentOut]:
    """A deactivated doctor's booked visits still to come, for the front desk to rebook."""
    rows = await db.scalars(
        select(Appointment)
        .where(
            Appointment.doctor_id == doctor_id,
            Appointment.status.in_(("booked", "checked_in")),
            Appointment.start_at > utcnow(),
        )
        .order_by(Appointment.start_at)
    )
    appointments = list(rows)
    await _audit_list(db, actor, appointments)
    return await present(db, appointments, zone)


# ---------------------------------------------------------------- figures for dashboards


async def counts_by_status(
    db: AsyncSession, start: datetime, end: datetime, doctor_id: int | None = None
) -> dict[str, int]:
    query = (
        select(Appointment.status, func.count(Appointment.id))
        .where(Appointment.start_at >= start, Appointment.start_at < end)
        .group_by(Appointment.status)
    )
    if doctor_id is not None:
        query = query.where(Appointment.doctor_id == doctor_id)
    found = {status: count for status, count in (await db.execute(query)).all()}
    return {status: int(found.get(status, 0)) for status in schemas.STATUSES}


async def busiest_departments(
    db: AsyncSession, start: datetime, end: datetime, limit: int = 5
) -> list[dict[str, Any]]:
    rows = await db.execute(
        select(Appointment.department_id, func.count(Appointment.id).label("n"))
        .where(
            Appointment.start_at >= start,
            Appointment.start_at < end,
            Appointment.status != "cancelled",
        )
        .group_by(Appointment.department_id)
        .order_by(func.count(Appointment.id).desc(), Appointment.department_id)
        .limit(limit)
    )
    counted = rows.all()
    names = {d.id: d.name for d in await staff_service.list_departments(db, include_inactive=True)}
    return [
        {"department_id": dept_id, "department_name": names.get(dept_id, "?"), "appointments": n}
        for dept_id, n in counted
    ]


async def window(
    db: AsyncSession,
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    doctor_id: int | None = None,
    patient_id: int | None = None,
    statuses: Sequence[str] | None = None,
    newest_first: bool = False,
    limit: int = 50,
) -> list[Appointment]:
    """Appointments in a time window (dashboards: today's queue, upcoming, past visits)."""
    conditions = [Appointment.start_at >= start, Appointment.start_at < end]
    if doctor_id is not None:
        conditions.append(Appointment.doctor_id == doctor_id)
    if patient_id is not None:
        conditions.append(Appointment.patient_id == patient_id)
    if statuses:
        conditions.append(Appointment.status.in_(statuses))
    order = Appointment.start_at.desc() if newest_first else Appointment.start_at
    rows = await db.scalars(
        select(Appointment).where(and_(*conditions)).order_by(order).limit(limit)
    )
    appointments = list(rows)
    await _audit_list(db, actor, appointments)
    return appointments
