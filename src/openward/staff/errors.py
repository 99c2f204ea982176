"""Staff domain errors, each with the stable code clients rely on."""

from __future__ import annotations

from openward.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class DepartmentNotFound(NotFound):
    code = "department_not_found"
    title = "No such department"


class UnknownDepartment(ValidationFailed):
    """A department named in a request body that does not exist (the field is wrong)."""

    code = "department_not_found"
    title = "No such department"


class DepartmentExists(Conflict):
    code = "department_exists"
    title = "A department with this name already exists"


class DoctorNotFound(NotFound):
    code = "doctor_not_found"
    title = "No such doctor"


class LicenseTaken(Conflict):
    code = "license_taken"
    title = "Another doctor already has this licence number"


class NotYourProfile(PermissionDenied):
    code = "not_your_profile"
    title = "Doctors can change only their own availability"


class OverlappingHours(ValidationFailed):
    code = "overlapping_hours"
    title = "Two blocks of hours overlap on the same day"


class ExceptionNotFound(NotFound):
    code = "availability_exception_not_found"
    title = "No such availability exception"
