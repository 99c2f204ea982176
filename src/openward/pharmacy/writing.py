"""Writing a prescription after the safety checks: a severe warning refuses it (audited,
nothing written) unless the doctor overrides with a reason, which is audited too."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.pharmacy import catalogue, safety, schemas
from openward.pharmacy.chart import medicine_label
from openward.pharmacy.errors import (
    AllergyConflict,
    InteractionSevere,
    MedicineInactive,
    UnknownMedicine,
)
from openward.pharmacy.models import Medicine, Prescription, PrescriptionItem, PrescriptionWarning


async def _medicines_for(db: AsyncSession, items: Sequence[schemas.ItemIn]) -> list[Medicine]:
    found = await catalogue.many(db, [item.medicine_id for item in items])
    medicines = []
    for index, item in enumerate(items):
        medicine = found.get(item.medicine_id)
        field = f"items.{index}.medicine_id"
        if medicine is None:
            raise UnknownMedicine(f"No medicine {item.medicine_id} in the catalogue.", field=field)
        if not medicine.is_active:
            raise MedicineInactive(f"{medicine_label(medicine)} is no longer stocked.", field=field)
        medicines.append(medicine)
    return medicines


async def write(
    db: AsyncSession,
    actor: Actor,
    *,
    patient_id: int,
    encounter_id: int | None,
    items: Sequence[schemas.ItemIn],
    notes: str | None,
    override_reason: str | None,
    renewed_from_id: int | None = None,
) -> Prescription:
    """Check, then either refuse (audited, nothing else written) or write the prescription."""
    medicines = await _medicines_for(db, items)
    warnings = await safety.check(db, patient_id, medicines, skip_prescription_id=renewed_from_id)
    severe = [w for w in warnings if w.severity == "severe"]
    override = (override_reason or "").strip() or None
    if severe and override is None:
        allergy = any(w.type == "allergy" for w in severe)
        await audit.record(
            db,
            actor,
            "prescription.blocked",
            object_type="prescription",
            patient_id=patient_id,
            outcome="denied",
            detail={
                "warnings": [w.as_dict() for w in severe],
                "medicines": [m.id for m in medicines],
            },
        )
        error = AllergyConflict if allergy else InteractionSevere
        raise error(
            "Severe warnings: "
            + "; ".join(w.message for w in severe)
            + " To prescribe anyway, give an override reason.",
            extra={"warnings": [w.as_dict() for w in warnings]},
        )
    prescription = Prescription(
        patient_id=patient_id,
        encounter_id=encounter_id,
        prescriber_id=actor.id,
        status="active",
        notes=notes,
        override_reason=override if severe else None,
        renewed_from_id=renewed_from_id,
    )
    db.add(prescription)
    await db.flush()
    for item in items:
        db.add(PrescriptionItem(prescription_id=prescription.id, **item.model_dump()))
    for warning in warnings:
        db.add(PrescriptionWarning(prescription_id=prescription.id, **warning.as_dict()))
    await db.flush()
    if severe:
        await audit.record(
            db,
            actor,
            "prescription.override",
            object_type="prescription",
            object_id=prescription.id,
            patient_id=patient_id,
            reason=override,
            detail={"warnings": [w.as_dict() for w in severe]},
        )
    await audit.record(
        db,
        actor,
        "prescription.create",
        object_type="prescription",
        object_id=prescription.id,
        patient_id=patient_id,
        detail={"items": len(items), "warnings": len(warnings), "renewed_from": renewed_from_id},
    )
    return prescription
