"""Prescribing: a doctor writes a safety-checked prescription, lists what the actor may
see, and cancels before anything is dispensed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.core import audit
from openward.core.actors import Actor
from openward.db import utcnow
from openward.patients import service as patients_service
from openward.patients.errors import PatientInactive
from openward.pharmacy import catalogue, reading, safety, schemas, writing
from openward.pharmacy.errors import EncounterMismatch, InvalidTransition, NotYourPrescription
from openward.pharmacy.models import Prescription

# reports/work.py still reaches the renewals through this module.
from openward.pharmacy.renewals import list_renewals  # noqa: F401

OPEN_STATUSES = ("active", "partially_dispensed")


# ---------------------------------------------------------------- prescribing


async def prescribe(
    db: AsyncSession,
    actor: Actor,
    data: schemas.PrescriptionCreate,
    *,
    break_glass_reason: str | None = None,
) -> Prescription:
    """A doctor prescribes for a patient under their care (or by audited break-the-glass)."""
    patient = await patients_service.get_for(
        db, actor, data.patient_id, break_glass_reason=break_glass_reason
    )
    if not patient.is_active:
        raise PatientInactive(field="patient_id")
    if data.encounter_id is not None:
        owner = await clinical_service.encounter_patient(db, data.encounter_id)
        if owner != patient.id:
            raise EncounterMismatch(
                "No encounter with this id belongs to the patient.", field="encounter_id"
            )
    return await writing.write(
        db,
        actor,
        patient_id=patient.id,
        encounter_id=data.encounter_id,
        items=data.items,
        notes=data.notes,
        override_reason=data.override_reason,
    )


async def preview_warnings(
    db: AsyncSession, patient_id: int, medicine_ids: Sequence[int]
) -> list[safety.Finding]:
    """The warnings prescribing these medicines would give (for the prescribing page)."""
    found = await catalogue.many(db, list(medicine_ids))
    medicines = [found[i] for i in medicine_ids if i in found]
    return await safety.check(db, patient_id, medicines)


# ---------------------------------------------------------------- lists


async def _scope(
    db: AsyncSession,
    actor: Actor,
    query: Select[Any],
    patient_id: int | None,
    break_glass_reason: str | None,
) -> Select[Any]:
    """Patients see their own; doctors a patient they may see, else what they prescribed;
    nurses and the pharmacy see all."""
    if actor.role == "patient":
        mine = await patients_service.my_id(db, actor)
        if patient_id is not None and patient_id != mine:
            await audit.record(
                db,
                actor,
                "prescription.list",
                object_type="prescription",
                patient_id=patient_id,
                outcome="denied",
                detail={"why": "not_your_prescription"},
            )
            raise NotYourPrescription("Patients see only their own prescriptions.")
        return query.where(Prescription.patient_id == (mine or 0))
    if patient_id is not None:
        patient = await patients_service.get(db, patient_id)
        await patients_service.check_access(
            db, actor, patient, break_glass_reason=break_glass_reason
        )
        return query.where(Prescription.patient_id == patient_id)
    if actor.role == "doctor":
        return query.where(Prescription.prescriber_id == actor.id)
    return query


async def _audit_list(
    db: AsyncSession, actor: Actor, rows: Sequence[Prescription], total: int, action: str
) -> None:
    await audit.record(
        db,
        actor,
        action,
        object_type="prescription",
        detail={"total": total, "patients": sorted({p.patient_id for p in rows})},
    )


async def list_prescriptions(
    db: AsyncSession,
    actor: Actor,
    *,
    patient_id: int | None = None,
    status: str | None = None,
    break_glass_reason: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Prescription], int]:
    """Newest first, scoped to what the actor may see; the list is audited."""
    query = await _scope(db, actor, select(Prescription), patient_id, break_glass_reason)
    if status:
        query = query.where(Prescription.status == status)
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(
        await db.scalars(
            query.order_by(Prescription.created_at.desc(), Prescription.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    await _audit_list(db, actor, rows, total, "prescription.list")
    return rows, total


# ---------------------------------------------------------------- cancelling


async def cancel(db: AsyncSession, actor: Actor, prescription_id: int, reason: str) -> Prescription:
    """Only before the pharmacy has handed anything out."""
    prescription = await reading.get(db, prescription_id)
    await reading.check_access(db, actor, prescription, None)
    if prescription.status != "active":
        raise InvalidTransition(
            f"A {prescription.status.replace('_', ' ')} prescription cannot be cancelled."
        )
    prescription.status = "cancelled"
    prescription.cancelled_at = utcnow()
    prescription.cancelled_by = actor.id
    prescription.cancel_reason = reason
    await db.flush()
    await audit.record(
        db,
        actor,
        "prescription.cancel",
        object_type="prescription",
        object_id=prescription.id,
        patient_id=prescription.patient_id,
        reason=reason,
    )
    return prescription
