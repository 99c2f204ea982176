"""Booking errors, each with the stable code clients rely on."""

from __future__ import annotations

from openward.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    title = "No such appointment"


class OutsideAvailability(ValidationFailed):
    code = "outside_availability"
    title = "The doctor does not see patients at that time"


class InThePast(ValidationFailed):
    code = "in_the_past"
    title = "Appointments cannot be booked in the past"


class DoctorInactive(Conflict):
    code = "doctor_inactive"
    title = "This doctor is not taking bookings"


class SlotTaken(Conflict):
    code = "slot_taken"
    title = "That slot has just been taken"


class PatientBusy(Conflict):
    code = "patient_busy"
    title = "The patient already has an appointment at that time"


class NoFreeSlot(Conflict):
    code = "no_free_slot"
    title = "No doctor has a free slot in the next 30 days"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The appointment cannot move to that status from where it is"


class NotYourAppointment(PermissionDenied):
    code = "not_your_appointment"
    title = "This appointment belongs to another doctor"


class DoctorChoiceMissing(ValidationFailed):
    code = "doctor_required"
    title = "Choose a doctor, a department or a specialization"


class TooEarly(Conflict):
    code = "too_early"
    title = "It is too early for that"


class TooLate(Conflict):
    code = "too_late"
    title = "It is too late for that"


class EncounterRequired(Conflict):
    code = "encounter_required"
    title = "A visit is completed by signing its encounter"
