"""Roles map to named permissions; routes declare permissions, never role names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import iter_route_contexts

from openward.config import ROLES, STAFF_ROLES

# Every signed-in person may use their own account (me, logout, MFA set-up, dashboard).
SELF = "account:self"

_STAFF = STAFF_ROLES

PERMISSIONS: dict[str, tuple[str, ...]] = {
    SELF: ROLES,
    "dashboard:view": ROLES,
    "users:manage": ("admin",),
    "audit:read": ("admin",),
    # Doctors read only their own patients (care team, appointments); the service checks.
    "patients:read": ("admin", "receptionist", "nurse", "doctor"),
    "patients:write": ("admin", "receptionist", "nurse"),
    "patients:self": ("patient",),
    "care_team:write": ("admin", "receptionist", "nurse", "doctor"),
    "staff:directory": _STAFF,
    # Departments, doctors and free slots: everyone signed in, patients included.
    "directory:read": ROLES,
    "staff:manage": ("admin",),
    "availability:write": ("admin", "doctor"),
    # Appointments: patients their own, doctors theirs (scoped in the service).
    "appointments:read": ("admin", "receptionist", "nurse", "doctor", "patient"),
    "appointments:book": ("admin", "receptionist", "nurse", "doctor", "patient"),
    # Check-in and no-show: the front desk, and a doctor calling in their own patient.
    "appointments:attend": ("admin", "receptionist", "nurse", "doctor"),
    "appointments:complete": ("doctor",),
    "history:read": ("admin", "receptionist", "nurse", "doctor", "patient"),
    # The clinical record. Doctors their own patients (break-the-glass for others); patients
    # their own chart read-only (scoped in the service).
    "chart:read": ("nurse", "doctor", "patient"),
    "encounters:write": ("doctor",),
    "vitals:write": ("nurse", "doctor"),
    "chart:write": ("nurse", "doctor"),  # allergies, problems, care plans
    "icd10:read": _STAFF,
    # Pharmacy.
    "medicines:read": ("admin", "nurse", "doctor", "pharmacist"),
    "medicines:write": ("admin", "pharmacist"),
    "stock:read": ("admin", "pharmacist"),
    "stock:write": ("pharmacist",),
    "prescriptions:read": ("nurse", "doctor", "pharmacist", "patient"),
    "prescriptions:write": ("doctor",),
    "prescriptions:dispense": ("pharmacist",),
    "renewals:request": ("patient",),
    "renewals:decide": ("doctor",),
    # Laboratory and radiology: ordering, the department's steps, reading results.
    "lab:catalogue": ROLES,
    "lab:order": ("receptionist", "nurse", "doctor"),
    "lab:process": ("lab_technician",),
    "lab:read": ("receptionist", "nurse", "doctor", "lab_technician", "patient"),
    "radiology:catalogue": ROLES,
    "radiology:order": ("receptionist", "nurse", "doctor"),
    "radiology:schedule": ("receptionist", "radiologist"),
    "radiology:process": ("radiologist",),
    "radiology:read": ("receptionist", "nurse", "doctor", "radiologist", "patient"),
    "results:inbox": ("doctor",),
    # A patient's own clinical pages (results, prescriptions, chart).
    "clinical:self": ("patient",),
    "notifications:read": ROLES,
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    role: frozenset(perm for perm, roles in PERMISSIONS.items() if role in roles) for role in ROLES
}

PERMISSION_ATTR = "__openward_permission__"
PUBLIC = "public"


def has_permission(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def _walk(dependant: Any) -> Iterator[Any]:
    for dep in getattr(dependant, "dependencies", ()):
        yield dep.call
        yield from _walk(dep)


def declared_permission(route: Any) -> str | None:
    """The permission (or PUBLIC) a route declares through its dependencies; None if none."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    for call in _walk(dependant):
        marker = getattr(call, PERMISSION_ATTR, None)
        if marker is not None:
            return marker
    return None


# Framework routes that are public by nature: the API contract, its docs, static files.
FRAMEWORK_PUBLIC_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
STATIC_PREFIX = "/static"


def all_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route the app serves, with included routers expanded."""
    yield from iter_route_contexts(list(routes))


def undeclared_routes(routes: Iterable[Any]) -> list[str]:
    """Routes (methods path) that declare no permission: default deny makes them a bug."""
    missing = []
    for route in all_routes(routes):
        path = getattr(route, "path", "?")
        if getattr(route, "dependant", None) is None and (
            path in FRAMEWORK_PUBLIC_PATHS
            or path == STATIC_PREFIX
            or path.startswith(STATIC_PREFIX + "/")
        ):
            continue
        if declared_permission(route) is None:
            methods = ",".join(sorted(getattr(route, "methods", None) or ["*"]))
            missing.append(f"{methods} {path}")
    return missing
