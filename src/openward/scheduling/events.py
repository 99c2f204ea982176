"""What happens to appointments, for the domains that react (the care relationship now;
reminders and billing later)."""

from __future__ import annotations

from dataclasses import dataclass

from openward.core.events import Event


@dataclass(frozen=True)
class AppointmentBooked(Event):
    NAME = "appointment.booked"
    appointment_id: int
    patient_id: int
    doctor_id: int


@dataclass(frozen=True)
class AppointmentCancelled(Event):
    NAME = "appointment.cancelled"
    appointment_id: int
    patient_id: int
    doctor_id: int
