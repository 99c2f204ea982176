"""Patients: registration (at the desk and online), the record, the care team and the care
relationships that decide who may open it."""

from __future__ import annotations

from openward.audit import readable as audit_readable
from openward.core.domains import Domain, Link
from openward.patients import (
    api,
    audit_names,
    demo,
    models,
    pages,
    self_registration_api,
    self_registration_pages,
)
from openward.patients.mrn import format_mrn

domain = Domain(
    name="patients",
    layer=4,
    api=[self_registration_api.router, api.router],
    pages=[self_registration_pages.router, pages.router],
    models=[models],
    links=[
        Link("Patients", "/patients", "patients:read", "patients", rank=10),
        Link("My record", "/my/record", "patients:self", "record", rank=140),
    ],
    permissions={
        # Doctors read only their own patients (care team, appointments); the service checks.
        "patients:read": ("admin", "receptionist", "nurse", "doctor"),
        "patients:write": ("admin", "receptionist", "nurse"),
        "patients:self": ("patient",),
        "care_team:write": ("admin", "receptionist", "nurse", "doctor"),
    },
    template_filters={"mrn": format_mrn},
    # The audit trail shows a patient by MRN.
    extends=[(audit_readable.NAMES, audit_names.patient_mrns)],
    demo=demo.load,
    demo_steps=demo.STEPS,
)
