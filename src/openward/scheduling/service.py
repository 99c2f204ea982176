"""Booking, rescheduling and the visit's status: every scheduling rule lives here.

The database has the last word on double booking (an exclusion constraint on PostgreSQL, a
trigger on SQLite); the checks before the insert exist to give a clear answer first."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.core import audit, dates
from openward.core.actors import Actor
from openward.core.clock import as_aware
from openward.db import utcnow
from openward.patients import minimum_necessary
from openward.patients import service as patients_service
from openward.patients.errors import NotYourRecord, PatientInactive
from openward.patients.mrn import format_mrn
from openward.scheduling import schemas
from openward.scheduling.errors import (
    AppointmentNotFound,
    DoctorInactive,
    InThePast,
    InvalidTransition,
    NoFreeSlot,
    NotYourAppointment,
    OutsideAvailability,
    PatientBusy,
    SlotTaken,
)
from openward.scheduling.models import ACTIVE_STATUSES, Appointment
from openward.staff import service as staff_service
from openward.staff.models import Doctor

SEARCH_DAYS = 30  # how far ahead automatic assignment looks for a free slot
MAX_ASSIGN_ATTEMPTS = 50
FRONT_DESK = ("admin", "receptionist", "nurse")

# status -> statuses it may move to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "booked": ("checked_in", "cancelled", "no_show"),
    "checked_in": ("completed", "cancelled"),
    "completed": (),
    "cancelled": (),
    "no_show": (),
}


# ---------------------------------------------------------------- queries other domains use


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


async def has_seen(db: AsyncSession, doctor_id: int, patient_id: int) -> bool:
    """A care relationship through an appointment (any status but a cancelled one)."""
    found = await db.scalar(
        select(Appointment.id)
        .where(
            Appointment.doctor_id == doctor_id,
            Appointment.patient_id == patient_id,
            Appointment.status != "cancelled",
        )
        .limit(1)
    )
    return found is not None


def patient_ids_of_doctor(doctor_id: int) -> Select[Any]:
    """The patients a doctor has appointments with, as a subquery for the patients' lists."""
    return select(Appointment.patient_id).where(
        Appointment.doctor_id == doctor_id, Appointment.status != "cancelled"
    )


# ---------------------------------------------------------------- presenting


async def present(
    db: AsyncSession, appointments: Sequence[Appointment], zone: ZoneInfo
) -> list[schemas.AppointmentOut]:
    """Appointments with the patient's and the doctor's names: three queries for any number."""
    patients = await patients_service.briefs(db, [a.patient_id for a in appointments])
    doctors = await staff_service.doctor_views(db, [a.doctor_id for a in appointments])
    out = []
    for a in appointments:
        patient, doctor = patients[a.patient_id], doctors[a.doctor_id]
        out.append(
            schemas.AppointmentOut(
                id=a.id,
                status=a.status,
                patient_id=a.patient_id,
                patient_name=patient.full_name,
                patient_mrn=patient.mrn,
                doctor_id=a.doctor_id,
                doctor_name=doctor.name,
                department_id=a.department_id,
                department_name=doctor.department.name,
                start=a.start_at.astimezone(zone),
                end=a.end_at.astimezone(zone),
                reason=a.reason,
                created_at=a.created_at.astimezone(zone),
                checked_in_at=_local(a.checked_in_at, zone),
                completed_at=_local(a.completed_at, zone),
                cancelled_at=_local(a.cancelled_at, zone),
                cancel_reason=a.cancel_reason,
            )
        )
    return out


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)


async def present_one(
    db: AsyncSession, appointment: Appointment, zone: ZoneInfo
) -> schemas.AppointmentOut:
    return (await present(db, [appointment], zone))[0]


# ---------------------------------------------------------------- access


async def _acting_doctor_id(db: AsyncSession, actor: Actor) -> int | None:
    return await staff_service.doctor_id_of(db, actor)


async def get(db: AsyncSession, appointment_id: int) -> Appointment:
    appointment = await db.get(Appointment, appointment_id)
    if appointment is None:
        raise AppointmentNotFound()
    return appointment


async def _check_access(db: AsyncSession, actor: Actor, appointment: Appointment) -> None:
    """Front desk sees every appointment, a doctor their own, a patient theirs; a refusal is
    audited (and kept) as the chart's are."""
    if actor.role in FRONT_DESK:
        return
    if actor.role == "patient":
        if appointment.patient_id != await patients_service.my_id(db, actor):
            await _denied(db, actor, appointment, "not_your_record")
            raise NotYourRecord("This appointment is not yours.")
        return
    if actor.role == "doctor":
        if appointment.doctor_id != await _acting_doctor_id(db, actor):
            await _denied(db, actor, appointment, "not_your_appointment")
            raise NotYourAppointment()
        return
    await _denied(db, actor, appointment, "role")
    raise NotYourAppointment()


async def _denied(db: AsyncSession, actor: Actor, appointment: Appointment, why: str) -> None:
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
    await _check_access(db, actor, appointment)
    await audit.record(
        db,
        actor,
        "appointment.read",
        object_type="appointment",
        object_id=appointment.id,
        patient_id=appointment.patient_id,
    )
    return appointment


# ---------------------------------------------------------------- booking


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    return as_aware(value, zone)  # type: ignore[return-value]


async def _slot_at(
    db: AsyncSession, doctor: Doctor, start: datetime, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """The grid slot that begins exactly at `start`, or why there is none."""
    local = start.astimezone(zone)
    for slot_start, slot_end in await staff_service.grid_slots(db, doctor, local.date(), zone):
        if slot_start == start:
            return slot_start, slot_end
    raise OutsideAvailability(
        f"The doctor sees patients in {doctor.slot_minutes}-minute slots within their hours; "
        f"{local:%a %d %b %H:%M} is not one of them. Pick a time from the free slots.",
        field="start",
    )


async def _patient_busy(
    db: AsyncSession, patient_id: int, start: datetime, end: datetime, skip_id: int = 0
) -> bool:
    found = await db.scalar(
        select(Appointment.id).where(
            Appointment.patient_id == patient_id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at < end,
            Appointment.end_at > start,
            Appointment.id != skip_id,
        )
    )
    return found is not None


async def _check_slot(
    db: AsyncSession,
    doctor: Doctor,
    patient_id: int,
    start: datetime,
    zone: ZoneInfo,
    skip_id: int = 0,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    if not doctor.is_active:
        raise DoctorInactive(field="doctor_id")
    if start <= (now or utcnow()):
        raise InThePast(field="start")
    slot = await _slot_at(db, doctor, start, zone)
    taken = [b for b in await busy_intervals(db, doctor.id, *slot)]
    if skip_id:
        own = await get(db, skip_id)
        taken = [b for b in taken if b != (own.start_at, own.end_at)]
    if taken:
        raise SlotTaken(field="start")
    if await _patient_busy(db, patient_id, *slot, skip_id=skip_id):
        raise PatientBusy(field="start")
    return slot


def _overlap_error(exc: IntegrityError) -> Exception:
    message = str(exc.orig)
    if "patient" in message and "overlap" in message:
        return PatientBusy(field="start")
    return SlotTaken(field="start")


async def _patient_for_booking(db: AsyncSession, actor: Actor, patient_id: int):
    if actor.role == "patient" and patient_id != await patients_service.my_id(db, actor):
        await audit.record(
            db,
            actor,
            "appointment.book",
            object_type="appointment",
            patient_id=patient_id,
            outcome="denied",
            detail={"why": "not_your_record"},
        )
        raise NotYourRecord("Patients can book only for themselves.", field="patient_id")
    patient = await patients_service.get(db, patient_id)
    await patients_service.check_access(db, actor, patient)
    if not patient.is_active:
        raise PatientInactive(field="patient_id")
    return patient


async def _candidates(
    db: AsyncSession, department_id: int | None, specialization: str | None
) -> list[Doctor]:
    query = select(Doctor).where(Doctor.is_active).order_by(Doctor.id)
    if department_id is not None:
        await staff_service.get_department(db, department_id)
        query = query.where(Doctor.department_id == department_id)
    if specialization:
        query = query.where(func.lower(Doctor.specialization) == specialization.strip().lower())
    return list(await db.scalars(query))


async def _day_load(db: AsyncSession, doctor_id: int, day_start: datetime) -> int:
    return int(
        await db.scalar(
            select(func.count(Appointment.id)).where(
                Appointment.doctor_id == doctor_id,
                Appointment.status.in_(ACTIVE_STATUSES),
                Appointment.start_at >= day_start,
                Appointment.start_at < day_start + timedelta(days=1),
            )
        )
        or 0
    )


async def earliest_free(
    db: AsyncSession,
    doctors: list[Doctor],
    patient_id: int,
    start: datetime,
    zone: ZoneInfo,
    exclude: set[tuple[int, datetime]] | None = None,
) -> tuple[Doctor, tuple[datetime, datetime]] | None:
    """The doctor with the earliest free slot at or after `start` (the patient free too);
    between doctors free at the same time, the one with the fewest appointments that day."""
    exclude = exclude or set()
    start = max(start, utcnow())
    first_day = start.astimezone(zone).date()
    for offset in range(SEARCH_DAYS + 1):
        day = first_day + timedelta(days=offset)
        best: list[tuple[datetime, int, int, Doctor, tuple[datetime, datetime]]] = []
        for doctor in doctors:
            for slot in await staff_service.free_slots(db, doctor, day, zone=zone):
                if slot[0] < start or (doctor.id, slot[0]) in exclude:
                    continue
                if await _patient_busy(db, patient_id, *slot):
                    continue
                day_start = datetime.combine(day, time.min, tzinfo=zone)
                best.append(
                    (slot[0], await _day_load(db, doctor.id, day_start), doctor.id, doctor, slot)
                )
                break
        if best:
            best.sort(key=lambda item: item[:3])
            return best[0][3], best[0][4]
    return None


async def _insert(db: AsyncSession, appointment: Appointment) -> None:
    try:
        async with db.begin_nested():
            db.add(appointment)
            await db.flush()
    except IntegrityError as exc:
        raise _overlap_error(exc) from None


async def book(
    db: AsyncSession,
    actor: Actor,
    data: schemas.AppointmentCreate,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> Appointment:
    """`now` is the clock, for loading history (the demo's past visits); requests never set it."""
    patient = await _patient_for_booking(db, actor, data.patient_id)
    start = _aware(data.start, zone)
    if data.doctor_id is not None:
        doctor = await staff_service.get_doctor(db, data.doctor_id)
        slot = await _check_slot(db, doctor, patient.id, start, zone, now=now)
        appointment = _new(actor, patient.id, doctor, slot, data.reason)
        await _insert(db, appointment)
    else:
        appointment = await _book_earliest(db, actor, data, patient.id, start, zone)
    await audit.record(
        db,
        actor,
        "appointment.book",
        object_type="appointment",
        object_id=appointment.id,
        patient_id=patient.id,
        detail={
            "doctor_id": appointment.doctor_id,
            "start": appointment.start_at,
            "assigned": data.doctor_id is None,
        },
    )
    return appointment


async def _book_earliest(
    db: AsyncSession,
    actor: Actor,
    data: schemas.AppointmentCreate,
    patient_id: int,
    start: datetime,
    zone: ZoneInfo,
) -> Appointment:
    if start <= utcnow() - timedelta(minutes=1):
        raise InThePast(field="start")
    doctors = await _candidates(db, data.department_id, data.specialization)
    tried: set[tuple[int, datetime]] = set()
    # Another desk may take the chosen slot this instant: each loss rules that slot out, so
    # the loop ends once a slot is won or none is left (bounded for pathological loads).
    for _attempt in range(MAX_ASSIGN_ATTEMPTS):
        choice = await earliest_free(db, doctors, patient_id, start, zone, tried)
        if choice is None:
            raise NoFreeSlot(
                f"No {'doctor of that department' if data.department_id else 'such specialist'} "
                f"has a free slot within {SEARCH_DAYS} days of the time asked for.",
            )
        doctor, slot = choice
        appointment = _new(actor, patient_id, doctor, slot, data.reason)
        try:
            await _insert(db, appointment)
        except SlotTaken:
            tried.add((doctor.id, slot[0]))
            continue
        return appointment
    raise SlotTaken(field="start")


def _new(
    actor: Actor,
    patient_id: int,
    doctor: Doctor,
    slot: tuple[datetime, datetime],
    reason: str | None,
) -> Appointment:
    return Appointment(
        patient_id=patient_id,
        doctor_id=doctor.id,
        department_id=doctor.department_id,
        start_at=slot[0],
        end_at=slot[1],
        status="booked",
        reason=reason,
        booked_by=actor.id,
    )


async def reschedule(
    db: AsyncSession, actor: Actor, appointment_id: int, start: datetime, *, zone: ZoneInfo
) -> Appointment:
    appointment = await get(db, appointment_id)
    await _check_access(db, actor, appointment)
    if appointment.status != "booked":
        raise InvalidTransition(
            f"Only a booked appointment can be moved; this one is {appointment.status}."
        )
    doctor = await staff_service.get_doctor(db, appointment.doctor_id)
    new_start = _aware(start, zone)
    slot = await _check_slot(db, doctor, appointment.patient_id, new_start, zone, appointment.id)
    previous = appointment.start_at
    appointment.start_at, appointment.end_at = slot
    appointment.rescheduled_from = previous
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        raise _overlap_error(exc) from None
    await audit.record(
        db,
        actor,
        "appointment.reschedule",
        object_type="appointment",
        object_id=appointment.id,
        patient_id=appointment.patient_id,
        detail={"from": previous, "to": appointment.start_at},
    )
    return appointment


# ---------------------------------------------------------------- status


async def _move(
    db: AsyncSession,
    actor: Actor,
    appointment_id: int,
    to: str,
    reason: str | None = None,
) -> Appointment:
    appointment = await get(db, appointment_id)
    await _check_access(db, actor, appointment)
    if to not in TRANSITIONS[appointment.status]:
        raise InvalidTransition(
            f"A {appointment.status.replace('_', ' ')} appointment cannot be "
            f"{to.replace('_', ' ')}.",
            extra={
                "current_status": appointment.status,
                "allowed": list(TRANSITIONS[appointment.status]),
            },
        )
    now = utcnow()
    appointment.status = to
    if to == "checked_in":
        appointment.checked_in_at = now
    elif to == "completed":
        appointment.completed_at = now
    elif to == "no_show":
        appointment.no_show_at = now
    elif to == "cancelled":
        appointment.cancelled_at = now
        appointment.cancelled_by = actor.id
        appointment.cancel_reason = reason
    await db.flush()
    await audit.record(
        db,
        actor,
        f"appointment.{to}",
        object_type="appointment",
        object_id=appointment.id,
        patient_id=appointment.patient_id,
        reason=reason,
    )
    return appointment


async def check_in(db: AsyncSession, actor: Actor, appointment_id: int) -> Appointment:
    return await _move(db, actor, appointment_id, "checked_in")


async def mark_no_show(db: AsyncSession, actor: Actor, appointment_id: int) -> Appointment:
    return await _move(db, actor, appointment_id, "no_show")


async def cancel(db: AsyncSession, actor: Actor, appointment_id: int, reason: str) -> Appointment:
    """Cancelling frees the slot: the constraints count only active appointments."""
    return await _move(db, actor, appointment_id, "cancelled", reason)


async def complete(
    db: AsyncSession, actor: Actor, appointment_id: int, data: schemas.CompleteIn
) -> Appointment:
    """The doctor closes the visit with what they found and did: the treatment record."""
    appointment = await get(db, appointment_id)
    if appointment.doctor_id != await _acting_doctor_id(db, actor):
        await _denied(db, actor, appointment, "not_your_appointment")
        raise NotYourAppointment()
    appointment = await _move(db, actor, appointment_id, "completed")
    await clinical_service.record_treatment(
        db,
        actor,
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        doctor_id=appointment.doctor_id,
        diagnosis=data.diagnosis,
        treatment_notes=data.treatment_notes,
        prescription=data.prescription,
        next_visit_date=data.next_visit_date,
    )
    return appointment


# ---------------------------------------------------------------- lists


def day_bounds(first: date | None, last: date | None, zone: ZoneInfo):
    """UTC bounds of local days, `last` inclusive (a day outside the calendar: 422)."""
    return dates.day_bounds(first, last, zone)


async def _scope(db: AsyncSession, actor: Actor, query: Select[Any]) -> Select[Any]:
    """Lists show a patient their own appointments and a doctor theirs."""
    if actor.role == "patient":
        return query.where(Appointment.patient_id == (await patients_service.my_id(db, actor) or 0))
    if actor.role == "doctor":
        return query.where(Appointment.doctor_id == (await _acting_doctor_id(db, actor) or 0))
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
) -> tuple[list[Appointment], int]:
    query = await _scope(db, actor, select(Appointment))
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
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    order = Appointment.start_at.desc() if newest_first else Appointment.start_at
    rows = list(await db.scalars(query.order_by(order, Appointment.id).limit(limit).offset(offset)))
    await _audit_list(db, actor, rows, total)
    return rows, total


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


# ---------------------------------------------------------------- history


async def history(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    zone: ZoneInfo,
    break_glass_reason: str | None = None,
) -> schemas.PatientHistory:
    """Every appointment of a patient with its treatment record, newest first."""
    patient = await patients_service.get_for(
        db, actor, patient_id, break_glass_reason=break_glass_reason, action="patient.history"
    )
    rows = list(
        await db.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient.id)
            .order_by(Appointment.start_at.desc(), Appointment.id.desc())
        )
    )
    withheld = not minimum_necessary.sees(actor, minimum_necessary.VISITS)
    treatments = (
        {} if withheld else await clinical_service.for_appointments(db, [a.id for a in rows])
    )
    items = []
    for appointment, out in zip(rows, await present(db, rows, zone), strict=True):
        treatment = treatments.get(appointment.id)
        items.append(
            schemas.HistoryItem(
                **out.model_dump(),
                treatment=None
                if treatment is None
                else schemas.TreatmentOut(
                    diagnosis=treatment.diagnosis,
                    treatment_notes=treatment.treatment_notes,
                    prescription=treatment.prescription,
                    next_visit_date=treatment.next_visit_date,
                    recorded_at=treatment.created_at.astimezone(zone),
                ),
            )
        )
    brief = {
        "id": patient.id,
        "mrn": patient.mrn,
        "mrn_display": format_mrn(patient.mrn),
        "full_name": patient.full_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
    }
    return schemas.PatientHistory(
        patient=brief, items=items, total=len(items), treatments_withheld=withheld
    )


CSV_COLUMNS = (
    "date",
    "time",
    "doctor",
    "department",
    "status",
    "reason",
    "diagnosis",
    "treatment_notes",
    "prescription",
    "next_visit_date",
)


def _cell(value: object) -> str:
    """Spreadsheet-safe text: a leading =, +, - or @ would be run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# The visit columns anyone who may read the history sees (minimum necessary).
VISIT_COLUMNS = CSV_COLUMNS[:6]


def history_csv(record: schemas.PatientHistory) -> str:
    """The history as a spreadsheet; without the treatment columns when they are withheld."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = VISIT_COLUMNS if record.treatments_withheld else CSV_COLUMNS
    writer.writerow(columns)
    for item in record.items:
        t = item.treatment
        row = (
            item.start.date().isoformat(),
            item.start.strftime("%H:%M"),
            item.doctor_name,
            item.department_name,
            item.status,
            item.reason,
            t.diagnosis if t else None,
            t.treatment_notes if t else None,
            t.prescription if t else None,
            t.next_visit_date.isoformat() if t and t.next_visit_date else None,
        )
        writer.writerow([_cell(v) for v in row[: len(columns)]])
    return buffer.getvalue()


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
