"""Finding an appointment, who may see it (the front desk every one, a doctor their own, a
patient theirs, a refusal audited) and how it is shown: with the patient's and the doctor's
names, in the clinic's time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.db import utcnow
from openward.patients import service as patients_service
from openward.patients.errors import NotYourRecord
from openward.scheduling import schemas, timing
from openward.scheduling.errors import AppointmentNotFound, NotYourAppointment
from openward.scheduling.models import Appointment
from openward.staff import service as staff_service

FRONT_DESK = ("admin", "receptionist", "nurse")


# ---------------------------------------------------------------- presenting


@dataclass(frozen=True)
class Shown:
    """What an appointment shows of its patient and its doctor."""

    patient_name: str
    patient_mrn: str
    doctor_name: str
    department_name: str

    @classmethod
    def of(cls, values: Sequence[Any]) -> Shown:
        """From the values of `shown_columns` in a row (a missing one: empty)."""
        return cls(*(value or "" for value in values))


def shown_columns(appointment: Any = Appointment) -> tuple[Any, ...]:
    """Shown's four fields as SQL expressions: a list adds them to its own statement."""
    return (
        *patients_service.brief_of(appointment.patient_id),
        *staff_service.name_of_doctor(appointment.doctor_id),
    )


async def present(
    db: AsyncSession,
    appointments: Sequence[Appointment],
    zone: ZoneInfo,
    shown: dict[int, Shown] | None = None,
) -> list[schemas.AppointmentOut]:
    """Appointments with the patient's and the doctor's names: `shown` when the caller has
    them (a list read them in its statement, a booking knows whom it booked), else one
    query for any number."""
    if shown is None:
        shown = {}
        if appointments:
            ids = {a.id for a in appointments}
            rows = await db.execute(
                select(Appointment.id, *shown_columns()).where(Appointment.id.in_(ids))
            )
            shown = {row[0]: Shown.of(row[1:]) for row in rows}
    return [_out(a, shown[a.id], zone) for a in appointments]


def _out(a: Appointment, shown: Shown, zone: ZoneInfo) -> schemas.AppointmentOut:
    now = utcnow()
    return schemas.AppointmentOut(
        id=a.id,
        status=a.status,
        patient_id=a.patient_id,
        patient_name=shown.patient_name,
        patient_mrn=shown.patient_mrn,
        doctor_id=a.doctor_id,
        doctor_name=shown.doctor_name,
        department_id=a.department_id,
        department_name=shown.department_name,
        start=a.start_at.astimezone(zone),
        end=a.end_at.astimezone(zone),
        reason=a.reason,
        created_at=a.created_at.astimezone(zone),
        checked_in_at=_local(a.checked_in_at, zone),
        completed_at=_local(a.completed_at, zone),
        cancelled_at=_local(a.cancelled_at, zone),
        cancel_reason=a.cancel_reason,
        may_check_in=timing.may_check_in(a, zone, now),
        may_mark_no_show=timing.may_mark_no_show(a, zone, now),
        waiting_minutes=timing.waiting_minutes(a, now),
        overdue=timing.is_overdue(a, now),
    )


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)


async def present_one(
    db: AsyncSession, appointment: Appointment, zone: ZoneInfo, shown: Shown | None = None
) -> schemas.AppointmentOut:
    known = None if shown is None else {appointment.id: shown}
    return (await present(db, [appointment], zone, known))[0]


# ---------------------------------------------------------------- access


async def acting_doctor_id(db: AsyncSession, actor: Actor) -> int | None:
    return await staff_service.doctor_id_of(db, actor)


async def get(db: AsyncSession, appointment_id: int) -> Appointment:
    appointment = await db.get(Appointment, appointment_id)
    if appointment is None:
        raise AppointmentNotFound()
    return appointment


async def check_access(db: AsyncSession, actor: Actor, appointment: Appointment) -> None:
    """Front desk sees every appointment, a doctor their own, a patient theirs; a refusal is
    audited (and kept) as the chart's are."""
    if actor.role in FRONT_DESK:
        return
    if actor.role == "patient":
        if appointment.patient_id != await patients_service.my_id(db, actor):
            await denied(db, actor, appointment, "not_your_record")
            raise NotYourRecord("This appointment is not yours.")
        return
    if actor.role == "doctor":
        if appointment.doctor_id != await acting_doctor_id(db, actor):
            await denied(db, actor, appointment, "not_your_appointment")
            raise NotYourAppointment()
        return
    await denied(db, actor, appointment, "role")
    raise NotYourAppointment()


async def denied(db: AsyncSession, actor: Actor, appointment: Appointment, why: str) -> None:
    await audit.record(
        db,
        actor,
        "appointment.read",
        object_type="appointment",
        object_id=appointment.id,
        patient_id=appointment.patient_id,
        outcome="denied",
        detail={"why": why},
    )


async def get_for(db: AsyncSession, actor: Actor, appointment_id: int) -> Appointment:
    appointment = await get(db, appointment_id)
    await check_access(db, actor, appointment)
    await audit.record(
        db,
        actor,
        "appointment.read",
        object_type="appointment",
        object_id=appointment.id,
        patient_id=appointment.patient_id,
    )
    return appointment
