"""Pharmacy and prescribing errors, each with the stable code clients rely on."""

from __future__ import annotations

from openward.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class MedicineNotFound(NotFound):
    code = "medicine_not_found"
    title = "No such medicine"


class MedicineExists(Conflict):
    code = "medicine_exists"
    title = "This medicine, strength and form is already in the catalogue"


class MedicineInactive(Conflict):
    code = "medicine_inactive"
    title = "This medicine is no longer in the catalogue"


class LotNotFound(NotFound):
    code = "lot_not_found"
    title = "No such stock lot"


class ExpiredLot(ValidationFailed):
    code = "expired_lot"
    title = "This lot has already expired and cannot be received"


class DuplicateBatch(Conflict):
    code = "duplicate_batch"
    title = "This batch number is already in stock for the medicine"


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "The lot does not hold that much"


class OutOfStock(Conflict):
    code = "out_of_stock"
    title = "Nothing of this prescription is in stock"


class BeyondRemaining(ValidationFailed):
    code = "beyond_remaining"
    title = "More than what remains to dispense"


class PrescriptionNotFound(NotFound):
    code = "prescription_not_found"
    title = "No such prescription"


class NotYourPrescription(PermissionDenied):
    code = "not_your_prescription"
    title = "This prescription is not yours"


class EncounterMismatch(ValidationFailed):
    code = "encounter_mismatch"
    title = "The encounter does not belong to this patient"


class InteractionSevere(Conflict):
    """A severe warning blocks; the audit row of the refusal is kept."""

    code = "interaction_severe"
    title = "A severe interaction blocks this prescription unless overridden with a reason"
    keep_writes = True


class AllergyConflict(Conflict):
    code = "allergy_conflict"
    title = "The patient is severely allergic to a prescribed medicine"
    keep_writes = True


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The prescription cannot move to that status from where it is"


class RenewalNotFound(NotFound):
    code = "renewal_not_found"
    title = "No such renewal request"


class RenewalPending(Conflict):
    code = "renewal_pending"
    title = "A renewal request for this prescription is already waiting"


class UnknownMedicine(ValidationFailed):
    code = "unknown_medicine"
    title = "No such medicine in the catalogue"


class NotThePrescriber(PermissionDenied):
    code = "not_the_prescriber"
    title = "Only the doctor who wrote the prescription may decide on its renewal"
