"""Scheduling: appointments (booking without double-booking, check-in, completion), free
slots and the visit history; appointments feed the patients' care relationships."""

from __future__ import annotations

from openward.core.domains import Domain, Link
from openward.patients.service import VISIT_HISTORY
from openward.scheduling import (
    api,
    demo,
    doctors_api,
    doctors_pages,
    models,
    pages,
    reactions,
)
from openward.scheduling import service as scheduling_service
from openward.scheduling.events import AppointmentBooked, AppointmentCancelled

_CLINIC = ("admin", "receptionist", "nurse", "doctor")

domain = Domain(
    name="scheduling",
    layer=5,
    api=[api.router, doctors_api.router],
    pages=[pages.router, doctors_pages.router],
    models=[models],
    links=[Link("Appointments", "/appointments", "appointments:read", "calendar", rank=20)],
    permissions={
        # Appointments: patients their own, doctors theirs (scoped in the service).
        "appointments:read": (*_CLINIC, "patient"),
        "appointments:book": (*_CLINIC, "patient"),
        # Check-in and no-show: the front desk, and a doctor calling in their own patient.
        "appointments:attend": _CLINIC,
        "appointments:complete": ("doctor",),
        "history:read": (*_CLINIC, "patient"),
    },
    subscribers=[
        (AppointmentBooked, reactions.appointment_booked),
        (AppointmentCancelled, reactions.appointment_cancelled),
    ],
    extends=[(VISIT_HISTORY, scheduling_service.history)],
    demo=demo.load,
    demo_steps=demo.STEPS,
)
