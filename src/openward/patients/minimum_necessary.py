"""Minimum necessary: which clinical content of a patient a reader may see.

The care relationship (`patients_service.check_access`: doctors their own patients or by
break-the-glass, patients themselves) says whose record someone may open. This says what of
it they may read. The front desk and the administrator (admin, receptionist, billing) see
demographics, visits with their status, and orders with their status; clinical content
(diagnoses, treatment notes, prescriptions, result values, report text, images, the notes on
an order) is for the clinicians caring for the patient, for each department in its own
work, and for the patient. Every page, PDF and export asks here; the README's roles section
has the same table."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import PermissionDenied

# The kinds of clinical content, one per domain that holds it.
VISITS = "visits"  # diagnoses, treatment notes and prescriptions written at a visit
PRESCRIPTIONS = "prescriptions"  # the pharmacy's prescriptions and their items
LAB = "lab"  # result values, flags, earlier values, trends, the printed report, order notes
IMAGING = "imaging"  # report text, images and documents, order notes

CARE_ROLES = ("doctor", "nurse", "patient")
READERS: dict[str, tuple[str, ...]] = {
    VISITS: CARE_ROLES,
    PRESCRIPTIONS: (*CARE_ROLES, "pharmacist"),
    LAB: (*CARE_ROLES, "lab_technician"),
    IMAGING: (*CARE_ROLES, "radiologist"),
}
# The hospital's own processes (demo loader, jobs, the command line) act for everyone.
SYSTEM_VIA = ("cli", "demo", "job", "system")


class ClinicalContentWithheld(PermissionDenied):
    code = "clinical_content_withheld"
    title = "Clinical content is shown only to the clinicians caring for the patient"


def sees(actor: Actor, kind: str) -> bool:
    """May this reader see this kind of clinical content of a patient whose record they may
    open (the caller has passed the care-relationship check)?"""
    if actor.via in SYSTEM_VIA:
        return True
    return actor.role in READERS[kind]


async def require(
    db: AsyncSession,
    actor: Actor,
    kind: str,
    *,
    patient_id: int,
    action: str,
    object_type: str,
    object_id: object,
) -> None:
    """Refuse (403, audited as denied) what is nothing but clinical content: a printed
    report, an image, a trend of values."""
    if sees(actor, kind):
        return
    await audit.record(
        db,
        actor,
        action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        outcome="denied",
        detail={"why": "minimum_necessary", "kind": kind},
    )
    raise ClinicalContentWithheld()
