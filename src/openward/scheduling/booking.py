"""Booking (a chosen doctor's slot, or the earliest free one of a department or specialty)
and rescheduling.

The database has the last word on double booking (an exclusion constraint on PostgreSQL, a
trigger on SQLite); the checks before the insert exist to give a clear answer first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, null, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit, events
from openward.core.actors import Actor
from openward.core.clock import as_aware
from openward.db import insert_unless_taken, utcnow
from openward.patients import service as patients_service
from openward.patients.errors import NotYourRecord, PatientInactive
from openward.scheduling import schemas
from openward.scheduling.access import Shown, check_access, get
from openward.scheduling.errors import (
    DoctorInactive,
    InThePast,
    InvalidTransition,
    NoFreeSlot,
    OutsideAvailability,
    PatientBusy,
    SlotTaken,
)
from openward.scheduling.events import AppointmentBooked
from openward.scheduling.models import ACTIVE_STATUSES, Appointment
from openward.scheduling.slots import free_slots
from openward.staff import roster
from openward.staff import service as staff_service

if TYPE_CHECKING:
    from openward.staff.models import Doctor

SEARCH_DAYS = 30  # how far ahead automatic assignment looks for a free slot
MAX_ASSIGN_ATTEMPTS = 50


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    return as_aware(value, zone)  # type: ignore[return-value]


async def _conflicts(
    db: AsyncSession, doctor_id: int, patient_id: int, slot: tuple[datetime, datetime], skip_id: int
) -> tuple[bool, bool]:
    """Whether the doctor, and whether the patient, already has an active appointment in the
    slot (besides the one being moved), in one statement."""
    rows = (
        await db.execute(
            select(Appointment.doctor_id == doctor_id, Appointment.patient_id == patient_id).where(
                or_(Appointment.doctor_id == doctor_id, Appointment.patient_id == patient_id),
                Appointment.status.in_(ACTIVE_STATUSES),
                Appointment.start_at < slot[1],
                Appointment.end_at > slot[0],
                Appointment.id != skip_id,
            )
        )
    ).all()
    return any(doctor for doctor, _ in rows), any(patient for _, patient in rows)


async def _check_slot(
    db: AsyncSession,
    doctor: Doctor,
    patient_id: int,
    start: datetime,
    zone: ZoneInfo,
    skip_id: int = 0,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """The slot that begins at `start`, or why it cannot be had, from one statement: the
    doctor's hours that day and every active appointment of the doctor or the patient
    overlapping it (besides the one being moved). The database still has the last word."""
    if not doctor.is_active:
        raise DoctorInactive(field="doctor_id")
    if start <= (now or utcnow()):
        raise InThePast(field="start")
    slot = (start, start + timedelta(minutes=doctor.slot_minutes))
    day = start.astimezone(zone).date()
    busy = select(
        case((Appointment.doctor_id == doctor.id, "doctor busy"), else_="patient busy"),
        null(),
        null(),
    ).where(
        or_(Appointment.doctor_id == doctor.id, Appointment.patient_id == patient_id),
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.start_at < slot[1],
        Appointment.end_at > slot[0],
        Appointment.id != skip_id,
    )
    rows = (await db.execute(union_all(*staff_service.window_rows(doctor.id, day), busy))).all()
    windows = staff_service.windows_from(rows, day, zone)
    if slot not in staff_service.grid(windows, doctor.slot_minutes):
        local = start.astimezone(zone)
        raise OutsideAvailability(
            f"The doctor sees patients in {doctor.slot_minutes}-minute slots within their "
            f"hours; {local:%a %d %b %H:%M} is not one of them. Pick a time from the free "
            "slots.",
            field="start",
        )
    kinds = {row[0] for row in rows}
    if "doctor busy" in kinds:
        raise SlotTaken(field="start")
    if "patient busy" in kinds:
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
    if department_id is not None:
        await staff_service.get_department(db, department_id)
    return await roster.active_doctors(
        db, department_id=department_id, specialization=specialization
    )


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
            for slot in await free_slots(db, doctor, day, zone=zone):
                if slot[0] < start or (doctor.id, slot[0]) in exclude:
                    continue
                if (await _conflicts(db, doctor.id, patient_id, slot, 0))[1]:
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


async def _insert(db: AsyncSession, appointment: Appointment) -> Appointment:
    """The database decides (an exclusion constraint on PostgreSQL, a trigger on SQLite), in
    one statement that leaves the session usable when the slot is lost: PostgreSQL inserts
    nothing (ON CONFLICT DO NOTHING), SQLite's trigger undoes only that statement. The next
    slot is tried, or the form is shown again."""
    try:
        written = await insert_unless_taken(db, appointment)
    except IntegrityError as exc:
        raise _overlap_error(exc) from None
    if written is None:  # lost to another desk this instant; say to whom, as the check does
        slot = (appointment.start_at, appointment.end_at)
        doctor_busy, _patient_busy = await _conflicts(
            db, appointment.doctor_id, appointment.patient_id, slot, 0
        )
        raise SlotTaken(field="start") if doctor_busy else PatientBusy(field="start")
    return written


@dataclass(frozen=True)
class Booked:
    """A new appointment, and what it shows when that is known without reading it back
    (a chosen doctor's slot; the earliest-free search leaves it to `present`)."""

    appointment: Appointment
    shown: Shown | None


async def book(
    db: AsyncSession,
    actor: Actor,
    data: schemas.AppointmentCreate,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> Booked:
    """`now` is the clock, for loading history (the demo's past visits); requests never set it."""
    start = _aware(data.start, zone)
    shown = None
    if data.doctor_id is not None:
        # The doctor and the patient in one statement: the patient's record is then in the
        # session, where the checks below find it.
        query = staff_service.named_doctor_query(data.doctor_id)
        row = (await db.execute(patients_service.with_patient(query, data.patient_id))).first()
        patient = await _patient_for_booking(db, actor, data.patient_id)
        doctor, named = staff_service.named_doctor_of(row)
        slot = await _check_slot(db, doctor, patient.id, start, zone, now=now)
        appointment = await _insert(db, _new(actor, patient.id, doctor, slot, data.reason))
        shown = Shown(patient.full_name, patient.mrn, named.name, named.department_name)
    else:
        patient = await _patient_for_booking(db, actor, data.patient_id)
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
    await events.publish(
        db, AppointmentBooked(appointment.id, appointment.patient_id, appointment.doctor_id)
    )
    return Booked(appointment, shown)


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
        try:
            return await _insert(db, _new(actor, patient_id, doctor, slot, data.reason))
        except (SlotTaken, PatientBusy):
            tried.add((doctor.id, slot[0]))
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
) -> Booked:
    # The appointment with its patient's record (then in the session) in one statement.
    query = select(Appointment).where(Appointment.id == appointment_id)
    found = (await db.execute(patients_service.with_patient(query, Appointment.patient_id))).first()
    appointment = found[0] if found is not None else await get(db, appointment_id)
    await check_access(db, actor, appointment)
    if appointment.status != "booked":
        raise InvalidTransition(
            f"Only a booked appointment can be moved; this one is {appointment.status}."
        )
    doctor, named = await staff_service.get_named_doctor(db, appointment.doctor_id)
    new_start = _aware(start, zone)
    slot = await _check_slot(db, doctor, appointment.patient_id, new_start, zone, appointment.id)
    previous = appointment.start_at
    try:
        # The change is made inside the savepoint (begin_nested flushes what is pending
        # first), so that a lost race undoes only it and the session stays usable (the form).
        async with db.begin_nested():
            appointment.start_at, appointment.end_at = slot
            appointment.rescheduled_from = previous
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
    patient = await patients_service.get(db, appointment.patient_id)  # read above: no query
    return Booked(
        appointment, Shown(patient.full_name, patient.mrn, named.name, named.department_name)
    )
