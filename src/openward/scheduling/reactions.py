"""Appointments feed the patient's care relationships: booking one puts the doctor in the
patient's care, cancelling it takes that reason away (patients decides access from these)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.patients import care
from openward.scheduling.events import AppointmentBooked, AppointmentCancelled


async def appointment_booked(db: AsyncSession, event: AppointmentBooked) -> None:
    await care.begin(
        db,
        patient_id=event.patient_id,
        doctor_id=event.doctor_id,
        source="appointment",
        source_id=event.appointment_id,
    )


async def appointment_cancelled(db: AsyncSession, event: AppointmentCancelled) -> None:
    await care.end(db, source="appointment", source_id=event.appointment_id)
