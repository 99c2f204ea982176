"""What the pharmacy and prescribing tell the rest of the hospital."""

from __future__ import annotations

from dataclasses import dataclass

from openward.core.events import Event


@dataclass(frozen=True)
class PrescriptionReady(Event):
    """Medicines of a prescription were dispensed and wait at the pharmacy counter."""

    NAME = "pharmacy.prescription_ready"
    prescription_id: int
    patient_id: int
    complete: bool  # False when only part could be dispensed


@dataclass(frozen=True)
class RenewalRequested(Event):
    NAME = "pharmacy.renewal_requested"
    request_id: int
    prescription_id: int
    patient_id: int
    prescriber_user_id: int


@dataclass(frozen=True)
class RenewalDecided(Event):
    NAME = "pharmacy.renewal_decided"
    request_id: int
    prescription_id: int
    patient_id: int
    approved: bool
    new_prescription_id: int | None
