"""Scheduling: appointments (booking without double-booking, check-in, completion by the
visit's signed encounter), free slots and a patient's visits; appointments feed the
patients' care relationships."""

from __future__ import annotations

from openward.core.domains import Domain, Link
from openward.patients.service import BANNER_FACTS
from openward.scheduling import (
    api,
    demo,
    doctors_api,
    doctors_pages,
    models,
    pages,
    reactions,
    visit_history,
)
from openward.scheduling.events import AppointmentBooked, AppointmentCancelled

_CLINIC = ("admin", "receptionist", "nurse", "doctor")

domain = Domain(
    name="scheduling",
    layer=5,
    api=[api.router, doctors_api.router],
    pages=[pages.router, doctors_pages.router],
    models=[models],
    links=[
        Link("Appointments", "/appointments", "appointments:read", "calendar", rank=20),
        Link("Calendar", "/calendar", "calendar:read", "calendar", rank=21),
    ],
    permissions={
        # Appointments: patients their own, doctors theirs (scoped in the service).
        "appointments:read": (*_CLINIC, "patient"),
        "appointments:book": (*_CLINIC, "patient"),
        # Check-in and no-show: the front desk, and a doctor calling in their own patient.
        "appointments:attend": _CLINIC,
        "appointments:complete": ("doctor",),
        # The day and week calendar of doctors and departments: the clinic, not patients.
        "calendar:read": _CLINIC,
        "history:read": (*_CLINIC, "patient"),
    },
    subscribers=[
        (AppointmentBooked, reactions.appointment_booked),
        (AppointmentCancelled, reactions.appointment_cancelled),
    ],
    extends=[(BANNER_FACTS, visit_history.banner_facts)],
    demo=demo.load,
    demo_steps=demo.STEPS,
)
