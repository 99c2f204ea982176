"""The visit's status: booked -> checked in -> completed, or cancelled or a no-show; any
other move is refused with 409 `invalid_transition`. A visit is completed by signing its
encounter (clinical calls `complete_signed_visit`). The clock has a say too (`timing`): a visit is checked in only on its own day and
marked a no-show only after its start (409 `too_early` / `too_late`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit, events
from openward.core.actors import Actor
from openward.db import utcnow
from openward.scheduling import timing
from openward.scheduling.access import acting_doctor_id, check_access, denied, get
from openward.scheduling.errors import EncounterRequired, InvalidTransition, NotYourAppointment
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
    *,
    zone: ZoneInfo | None = None,
    now: datetime | None = None,
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
    now = now or utcnow()
    if zone is not None:
        refusal = None
        if to == "checked_in":
            refusal = timing.check_in_refusal(appointment, zone, now)
        elif to == "no_show":
            refusal = timing.no_show_refusal(appointment, zone, now)
        if refusal is not None:
            raise refusal
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


async def check_in(
    db: AsyncSession,
    actor: Actor,
    appointment_id: int,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> Appointment:
    """Only on the visit's own day in the hospital's zone. `now` is the clock, for loading
    history (the demo's past visits); requests never set it."""
    return await _move(db, actor, appointment_id, "checked_in", zone=zone, now=now)


async def mark_no_show(
    db: AsyncSession,
    actor: Actor,
    appointment_id: int,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> Appointment:
    """Only once the visit's start has passed."""
    return await _move(db, actor, appointment_id, "no_show", zone=zone, now=now)


async def cancel(db: AsyncSession, actor: Actor, appointment_id: int, reason: str) -> Appointment:
    """Cancelling frees the slot: the constraints count only active appointments."""
    return await _move(db, actor, appointment_id, "cancelled", reason)


async def complete(db: AsyncSession, actor: Actor, appointment_id: int) -> Appointment:
    """A visit is completed by signing its encounter (the visit's one record): asked
    directly, a completed visit answers as it is and any other 409 `encounter_required`."""
    appointment = await get(db, appointment_id)
    await _check_own_visit(db, actor, appointment)
    if appointment.status == "completed":
        return appointment
    raise EncounterRequired(
        "Sign the visit's encounter to complete it: signing completes the appointment.",
        extra={"current_status": appointment.status},
    )


async def complete_signed_visit(
    db: AsyncSession, actor: Actor, appointment_id: int, *, now: datetime | None = None
) -> Appointment:
    """Called when the visit's encounter is signed: the checked-in visit is completed in the
    same transaction (a visit not checked in cannot be: 409 `invalid_transition`)."""
    appointment = await get(db, appointment_id)
    await _check_own_visit(db, actor, appointment)
    if appointment.status != "checked_in":
        raise InvalidTransition(
            "Check the patient in before signing the visit's encounter: signing completes "
            f"the visit, and a {appointment.status.replace('_', ' ')} visit cannot be completed.",
            extra={"current_status": appointment.status, "allowed": ["checked_in"]},
        )
    return await _move(db, actor, appointment_id, "completed", now=now)


async def _check_own_visit(db: AsyncSession, actor: Actor, appointment: Appointment) -> None:
    if appointment.doctor_id != await acting_doctor_id(db, actor):
        await denied(db, actor, appointment, "not_your_appointment")
        raise NotYourAppointment()
