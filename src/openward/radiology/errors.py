"""Radiology errors, each with the stable code clients rely on."""

from __future__ import annotations

from openward.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed


class ExamNotFound(ValidationFailed):
    code = "unknown_exam"
    title = "No such imaging exam in the catalogue"


class ModalityNotFound(ValidationFailed):
    code = "unknown_modality"
    title = "No such modality"


class OrderNotFound(NotFound):
    code = "imaging_order_not_found"
    title = "No such imaging order"


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    title = "No such image or document"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The imaging order cannot take that step from where it is"


class NotYourOrder(PermissionDenied):
    code = "not_your_order"
    title = "This imaging order is not yours to see"


class ReportNotVerified(NotFound):
    """Patients learn of a report once it is verified; before that it does not exist for them."""

    code = "report_not_verified"
    title = "This report is not ready yet"


class NotInTheFuture(ValidationFailed):
    code = "in_the_past"
    title = "The exam must be scheduled in the future"


class UnknownDoctor(ValidationFailed):
    code = "unknown_doctor"
    title = "The requesting doctor must be a doctor's account"


class EncounterMismatch(ValidationFailed):
    code = "encounter_mismatch"
    title = "The encounter does not belong to this patient"


class UnsupportedFileType(ValidationFailed):
    code = "unsupported_file_type"
    title = "Only JPEG, PNG, PDF and DICOM files can be attached"


class EmptyFile(ValidationFailed):
    code = "empty_file"
    title = "The file is empty"


class FileTooLarge(DomainError):
    status = 413
    code = "file_too_large"
    title = "The file is larger than the upload limit"


class SecondPersonRequired(Conflict):
    code = "second_person_required"
    title = "A report is verified by someone other than the radiologist who wrote it"


class NotOrderingDoctor(PermissionDenied):
    code = "not_ordering_doctor"
    title = "Only the doctor who requested the exam acknowledges its report"


class NotYetFinal(Conflict):
    code = "not_final"
    title = "A report is acknowledged once it is verified"
