"""The visit's status: booked -> checked in -> completed, or cancelled or a no-show; any
other move is refused with 409 `invalid_transition`. Completing writes the treatment
record."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit, events
from openward.core.actors import Actor
from openward.db import utcnow
from openward.scheduling import schemas, treatments
from openward.scheduling.access import acting_doctor_id, check_access, denied, get
from openward.scheduling.errors import InvalidTransition, NotYourAppointment
from openward.scheduling.events import AppointmentCancelled
from openward.scheduling.models import Appointment

# status -> statuses it may move to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "booked": ("checked_in", "cancelled", "no_show"),
    "checked_in": ("completed", "cancelled"),
    "completed": (),
    "cancelled": (),
    "no_show": (),
}


async def _move(
    db: AsyncSession,
    actor: Actor,
    appointment_id: int,
    to: str,
    reason: str | None = None,
) -> Appointment:
    appointment = await get(db, appointment_id)
    await check_access(db, actor, appointment)
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
    if to == "cancelled":
        await events.publish(
            db, AppointmentCancelled(appointment.id, appointment.patient_id, appointment.doctor_id)
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
    if appointment.doctor_id != await acting_doctor_id(db, actor):
        await denied(db, actor, appointment, "not_your_appointment")
        raise NotYourAppointment()
    appointment = await _move(db, actor, appointment_id, "completed")
    await treatments.record_treatment(
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
