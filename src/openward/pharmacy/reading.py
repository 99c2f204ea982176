"""Reading prescriptions: finding one, who may see it (audited), and presenting any number
of them with their items, warnings and names in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.identity import service as identity_service
from openward.patients import minimum_necessary
from openward.patients import service as patients_service
from openward.pharmacy import schemas
from openward.pharmacy.chart import medicine_label
from openward.pharmacy.errors import PrescriptionNotFound
from openward.pharmacy.models import Medicine, Prescription, PrescriptionItem, PrescriptionWarning

# ---------------------------------------------------------------- presenting


async def items_of(
    db: AsyncSession, prescription_ids: Sequence[int]
) -> dict[int, list[tuple[PrescriptionItem, Medicine]]]:
    rows = await db.execute(
        select(PrescriptionItem, Medicine)
        .join(Medicine, Medicine.id == PrescriptionItem.medicine_id)
        .where(PrescriptionItem.prescription_id.in_(set(prescription_ids)))
        .order_by(PrescriptionItem.id)
    )
    found: dict[int, list[tuple[PrescriptionItem, Medicine]]] = {}
    for item, medicine in rows:
        found.setdefault(item.prescription_id, []).append((item, medicine))
    return found


def item_out(item: PrescriptionItem, medicine: Medicine) -> schemas.ItemOut:
    return schemas.ItemOut(
        id=item.id,
        medicine_id=medicine.id,
        medicine=medicine_label(medicine),
        generic_name=medicine.generic_name,
        dose=item.dose,
        route=item.route,
        frequency=item.frequency,
        duration_days=item.duration_days,
        quantity=item.quantity,
        quantity_dispensed=item.quantity_dispensed,
        remaining=item.quantity - item.quantity_dispensed,
        instructions=item.instructions,
    )


async def present(
    db: AsyncSession, prescriptions: Sequence[Prescription], zone: ZoneInfo | None = None
) -> list[schemas.PrescriptionOut]:
    """Prescriptions with their items, warnings and names: five queries for any number."""
    if not prescriptions:
        return []
    ids = [p.id for p in prescriptions]
    items = await items_of(db, ids)
    warnings: dict[int, list[PrescriptionWarning]] = {}
    for warning in await db.scalars(
        select(PrescriptionWarning)
        .where(PrescriptionWarning.prescription_id.in_(ids))
        .order_by(PrescriptionWarning.id)
    ):
        warnings.setdefault(warning.prescription_id, []).append(warning)
    patients = await patients_service.briefs(db, [p.patient_id for p in prescriptions])
    names = await identity_service.full_names(db, [p.prescriber_id for p in prescriptions])

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(zone) if value is not None and zone else value

    return [
        schemas.PrescriptionOut(
            id=p.id,
            status=p.status,  # type: ignore[arg-type]
            patient_id=p.patient_id,
            patient_name=patients[p.patient_id].full_name,
            patient_mrn=patients[p.patient_id].mrn,
            encounter_id=p.encounter_id,
            prescriber_id=p.prescriber_id,
            prescriber_name=names[p.prescriber_id],
            notes=p.notes,
            override_reason=p.override_reason,
            renewed_from_id=p.renewed_from_id,
            created_at=local(p.created_at),  # type: ignore[arg-type]
            cancelled_at=local(p.cancelled_at),
            cancel_reason=p.cancel_reason,
            items=[item_out(item, medicine) for item, medicine in items.get(p.id, [])],
            warnings=[
                schemas.Warning(type=w.type, severity=w.severity, message=w.message)  # type: ignore[arg-type]
                for w in warnings.get(p.id, [])
            ],
        )
        for p in prescriptions
    ]


async def present_one(
    db: AsyncSession, prescription: Prescription, zone: ZoneInfo | None = None
) -> schemas.PrescriptionOut:
    return (await present(db, [prescription], zone))[0]


# ---------------------------------------------------------------- access


async def get(db: AsyncSession, prescription_id: int) -> Prescription:
    prescription = await db.get(Prescription, prescription_id)
    if prescription is None:
        raise PrescriptionNotFound()
    return prescription


async def check_access(
    db: AsyncSession, actor: Actor, prescription: Prescription, break_glass_reason: str | None
) -> None:
    """The prescriber always; otherwise whoever may see the patient (patients themselves,
    doctors caring for them, nurses and the pharmacy)."""
    if actor.role == "doctor" and actor.id == prescription.prescriber_id:
        return
    patient = await patients_service.get(db, prescription.patient_id)
    await patients_service.check_access(db, actor, patient, break_glass_reason=break_glass_reason)
    await minimum_necessary.require(
        db,
        actor,
        minimum_necessary.PRESCRIPTIONS,
        patient_id=patient.id,
        action="prescription.read",
        object_type="prescription",
        object_id=prescription.id,
    )


async def get_for(
    db: AsyncSession,
    actor: Actor,
    prescription_id: int,
    *,
    break_glass_reason: str | None = None,
    action: str = "prescription.read",
) -> Prescription:
    prescription = await get(db, prescription_id)
    await check_access(db, actor, prescription, break_glass_reason)
    await audit.record(
        db,
        actor,
        action,
        object_type="prescription",
        object_id=prescription.id,
        patient_id=prescription.patient_id,
    )
    return prescription
