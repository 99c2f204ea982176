"""Laboratory errors, each with the stable code clients rely on."""

from __future__ import annotations

from openward.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class LabOrderNotFound(NotFound):
    code = "lab_order_not_found"
    title = "No such lab order"


class UnknownTest(ValidationFailed):
    code = "unknown_test"
    title = "No such lab test in the catalogue"


class UnknownAnalyte(ValidationFailed):
    code = "unknown_analyte"
    title = "This order has no such analyte"


class InvalidResultValue(ValidationFailed):
    code = "invalid_result_value"
    title = "The result value cannot be stored for this analyte"


class InvalidDoctor(ValidationFailed):
    code = "invalid_doctor"
    title = "The responsible doctor must be an active doctor"


class EncounterMismatch(ValidationFailed):
    code = "encounter_mismatch"
    title = "The encounter belongs to another patient"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The lab order cannot make that step from where it is"


class NotVerified(Conflict):
    code = "not_verified"
    title = "The report prints once the results are verified"


class NotYourLabOrder(PermissionDenied):
    code = "not_your_lab_order"
    title = "This lab order is not yours to see or change"


class SecondPersonRequired(Conflict):
    code = "second_person_required"
    title = "Results are verified by someone other than the person who entered them"


class NotOrderingDoctor(PermissionDenied):
    code = "not_ordering_doctor"
    title = "Only the doctor responsible for the order acknowledges its results"


class NotYetFinal(Conflict):
    code = "not_final"
    title = "Results are acknowledged once they are verified"
