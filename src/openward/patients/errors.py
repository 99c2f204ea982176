"""Patient domain errors, each with the stable code clients rely on."""

from __future__ import annotations

from openward.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class PatientNotFound(NotFound):
    code = "patient_not_found"
    title = "No such patient"


class PossibleDuplicate(Conflict):
    code = "possible_duplicate"
    title = "This patient may already be registered"
    # The answer lists the look-alikes; the audit row of that disclosure is kept.
    keep_writes = True


class NationalIdTaken(Conflict):
    code = "national_id_taken"
    title = "Another patient already has this national id"


class NotYourPatient(PermissionDenied):
    code = "not_your_patient"
    title = "This patient is not under your care"


class NotYourRecord(PermissionDenied):
    code = "not_your_record"
    title = "Patients can see and change only their own record"


class PatientInactive(Conflict):
    code = "patient_inactive"
    title = "This patient's record is deactivated"


class NotOnCareTeam(NotFound):
    code = "not_on_care_team"
    title = "This doctor is not on the patient's care team"


class RecordNotMatched(ValidationFailed):
    code = "record_not_matched"
    title = "No record matches this MRN, date of birth and activation code"
    # The failure count and its audit row are kept: guessing must leave a trace.
    keep_writes = True


class AlreadyLinked(Conflict):
    code = "already_linked"
    title = "This patient already has an online account"
