"""Staff: departments, doctors' profiles and their weekly hours."""

from __future__ import annotations

from openward.audit import readable as audit_readable
from openward.config import ROLES, STAFF_ROLES
from openward.core.domains import Domain, Link
from openward.identity import service as identity_service
from openward.staff import account_profiles, api, audit_names, models, pages

domain = Domain(
    name="staff",
    layer=3,
    api=[api.router],
    pages=[pages.router],
    models=[models],
    links=[
        Link("Doctors", "/doctors", "directory:read", "doctor", rank=30),
        Link("Departments", "/departments", "directory:read", "building", rank=40),
    ],
    permissions={
        "staff:directory": STAFF_ROLES,
        # Departments, doctors and free slots: everyone signed in, patients included.
        "directory:read": ROLES,
        "staff:manage": ("admin",),
        "availability:write": ("admin", "doctor"),
    },
    # Every doctor's account has its profile: identity asks for it on the Users page.
    extends=[
        (identity_service.ROLE_PROFILE, account_profiles.doctor_profile),
        (audit_readable.NAMES, audit_names.doctor_and_department_names),
    ],
)
