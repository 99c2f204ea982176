"""Clinical record errors, each with the stable code clients rely on."""

from __future__ import annotations

from openward.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class EncounterNotFound(NotFound):
    code = "encounter_not_found"
    title = "No such encounter"


class EncounterExists(Conflict):
    code = "encounter_exists"
    title = "This appointment already has an encounter"


class EncounterSigned(Conflict):
    code = "encounter_signed"
    title = "A signed encounter cannot be changed; add an amendment instead"


class EncounterNotSigned(Conflict):
    code = "encounter_not_signed"
    title = "Only a signed encounter takes amendments; edit the draft instead"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The record cannot move to that status from where it is"


class NotEncounterAuthor(PermissionDenied):
    code = "not_encounter_author"
    title = "Only the doctor who wrote this draft may change or sign it"


class NotADoctor(PermissionDenied):
    code = "doctor_profile_required"
    title = "Encounters are written by doctors with a doctor profile"


class AppointmentMismatch(ValidationFailed):
    code = "appointment_mismatch"
    title = "The appointment belongs to another patient"


class UnknownDiagnosisCode(ValidationFailed):
    code = "unknown_icd10_code"
    title = "Unknown ICD-10 code"


class PrimaryDiagnosis(ValidationFailed):
    code = "primary_diagnosis"
    title = "An encounter has exactly one primary diagnosis"


class DuplicateDiagnosis(ValidationFailed):
    code = "duplicate_diagnosis"
    title = "The same diagnosis code is listed twice"


class NoVitals(ValidationFailed):
    code = "vitals_empty"
    title = "Record at least one vital sign"


class AllergyExists(Conflict):
    code = "allergy_exists"
    title = "This allergy is already on the patient's list"


class AllergyNotFound(NotFound):
    code = "allergy_not_found"
    title = "No such allergy"


class ProblemNotFound(NotFound):
    code = "problem_not_found"
    title = "No such problem"


class CarePlanNotFound(NotFound):
    code = "care_plan_not_found"
    title = "No such care plan"


class UnknownStaff(ValidationFailed):
    code = "unknown_staff"
    title = "The responsible person must be an active staff member"


class DiagnosisRequired(ValidationFailed):
    code = "diagnosis_required"
    title = "A visit's encounter needs at least one ICD-10 diagnosis before it is signed"


class NoKnownAllergiesConflict(Conflict):
    code = "allergies_recorded"
    title = "The patient has active allergies: 'no known allergies' cannot be recorded"
