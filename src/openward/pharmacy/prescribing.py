"""Prescribing: safety-checked prescriptions, who may see them, cancelling, printing and
renewals. A severe warning blocks unless the doctor overrides it with a reason; both the
refusal and the override are audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.core import audit, events
from openward.core.actors import Actor
from openward.core.pdf import Document
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.patients import minimum_necessary
from openward.patients import service as patients_service
from openward.patients.errors import PatientInactive
from openward.patients.mrn import format_mrn
from openward.pharmacy import catalogue, safety, schemas
from openward.pharmacy.chart import medicine_label
from openward.pharmacy.errors import (
    AllergyConflict,
    EncounterMismatch,
    InteractionSevere,
    InvalidTransition,
    MedicineInactive,
    NotThePrescriber,
    NotYourPrescription,
    PrescriptionNotFound,
    RenewalNotFound,
    RenewalPending,
    UnknownMedicine,
)
from openward.pharmacy.events import RenewalDecided, RenewalRequested
from openward.pharmacy.models import (
    Medicine,
    Prescription,
    PrescriptionItem,
    PrescriptionWarning,
    RenewalRequest,
)

OPEN_STATUSES = ("active", "partially_dispensed")


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


async def _check_access(
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
    await _check_access(db, actor, prescription, break_glass_reason)
    await audit.record(
        db,
        actor,
        action,
        object_type="prescription",
        object_id=prescription.id,
        patient_id=prescription.patient_id,
    )
    return prescription


# ---------------------------------------------------------------- prescribing


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


async def _write(
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
    return await _write(
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
    prescription = await get(db, prescription_id)
    await _check_access(db, actor, prescription, None)
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


# ---------------------------------------------------------------- printing


async def pdf(
    db: AsyncSession,
    actor: Actor,
    prescription_id: int,
    *,
    hospital_name: str,
    zone: ZoneInfo,
    break_glass_reason: str | None = None,
) -> tuple[bytes, str]:
    """The printable prescription and a file name stem."""
    prescription = await get_for(
        db,
        actor,
        prescription_id,
        break_glass_reason=break_glass_reason,
        action="prescription.print",
    )
    shown = await present_one(db, prescription, zone)
    patient = await patients_service.get(db, prescription.patient_id)
    allergies = await clinical_service.active_allergies(db, patient.id)
    document = Document(hospital_name, f"Prescription #{shown.id}", datetime.now(zone))
    document.set_subject(f"Prescription for {patient.full_name}")
    document.set_author(shown.prescriber_name)
    document.fields(
        [
            ("Patient", patient.full_name),
            ("MRN", format_mrn(patient.mrn)),
            ("Date of birth", patient.date_of_birth.strftime("%d %b %Y")),
            (
                "Allergies",
                ", ".join(f"{s} ({sev.replace('_', '-')})" for s, sev in allergies)
                or "No known allergies recorded",
            ),
            ("Date", shown.created_at.strftime("%d %b %Y %H:%M")),
            ("Prescriber", shown.prescriber_name),
            ("Status", shown.status.replace("_", " ")),
        ]
    )
    document.heading("Medicines")
    document.grid(
        ["Medicine", "Dose", "Route", "Frequency", "Days", "Qty", "Instructions"],
        [
            [
                item.medicine,
                item.dose,
                item.route,
                item.frequency,
                str(item.duration_days or "—"),
                str(item.quantity),
                item.instructions or "",
            ]
            for item in shown.items
        ],
        widths=(52, 22, 18, 28, 12, 12, 46),
    )
    if shown.notes:
        document.heading("Notes")
        document.paragraph(shown.notes)
    if shown.override_reason:
        document.heading("Warnings overridden")
        document.paragraph(shown.override_reason)
    document.signature_line(f"Signature — {shown.prescriber_name}")
    return document.to_bytes(), f"prescription-{shown.id}-{patient.mrn}"


# ---------------------------------------------------------------- renewals


async def renewal_get(db: AsyncSession, request_id: int) -> RenewalRequest:
    request = await db.get(RenewalRequest, request_id)
    if request is None:
        raise RenewalNotFound()
    return request


async def request_renewal(
    db: AsyncSession, actor: Actor, prescription_id: int, note: str | None
) -> RenewalRequest:
    """A patient asks the prescriber to renew one of their own prescriptions."""
    prescription = await get(db, prescription_id)
    if prescription.patient_id != await patients_service.my_id(db, actor):
        await audit.record(
            db,
            actor,
            "renewal.request",
            object_type="prescription",
            object_id=prescription.id,
            patient_id=prescription.patient_id,
            outcome="denied",
            detail={"why": "not_your_prescription"},
        )
        raise NotYourPrescription()
    if prescription.status == "cancelled":
        raise InvalidTransition("A cancelled prescription cannot be renewed.")
    pending = await db.scalar(
        select(RenewalRequest.id).where(
            RenewalRequest.prescription_id == prescription.id, RenewalRequest.status == "pending"
        )
    )
    if pending is not None:
        raise RenewalPending()
    request = RenewalRequest(
        prescription_id=prescription.id,
        patient_id=prescription.patient_id,
        requested_by=actor.id,
        note=note,
        status="pending",
    )
    try:
        async with db.begin_nested():
            db.add(request)
            await db.flush()
    except IntegrityError:
        raise RenewalPending() from None
    await audit.record(
        db,
        actor,
        "renewal.request",
        object_type="renewal_request",
        object_id=request.id,
        patient_id=prescription.patient_id,
    )
    await events.publish(
        db,
        RenewalRequested(
            request_id=request.id,
            prescription_id=prescription.id,
            patient_id=prescription.patient_id,
            prescriber_user_id=prescription.prescriber_id,
        ),
    )
    return request


async def list_renewals(
    db: AsyncSession,
    actor: Actor,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RenewalRequest], int]:
    """A doctor's: requests on their prescriptions, pending first; a patient's: their own."""
    query = select(RenewalRequest)
    if actor.role == "patient":
        query = query.where(
            RenewalRequest.patient_id == (await patients_service.my_id(db, actor) or 0)
        )
    else:
        mine = select(Prescription.id).where(Prescription.prescriber_id == actor.id)
        query = query.where(RenewalRequest.prescription_id.in_(mine))
    if status:
        query = query.where(RenewalRequest.status == status)
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pending_first = case((RenewalRequest.status == "pending", 0), else_=1)
    rows = list(
        await db.scalars(
            query.order_by(
                pending_first, RenewalRequest.created_at.desc(), RenewalRequest.id.desc()
            )
            .limit(limit)
            .offset(offset)
        )
    )
    await audit.record(
        db,
        actor,
        "renewal.list",
        object_type="renewal_request",
        detail={"total": total, "patients": sorted({r.patient_id for r in rows})},
    )
    return rows, total


async def present_renewals(
    db: AsyncSession, requests: Sequence[RenewalRequest], zone: ZoneInfo | None = None
) -> list[schemas.RenewalOut]:
    if not requests:
        return []
    items = await items_of(db, [r.prescription_id for r in requests])
    patients = await patients_service.briefs(db, [r.patient_id for r in requests])

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(zone) if value is not None and zone else value

    return [
        schemas.RenewalOut(
            id=r.id,
            prescription_id=r.prescription_id,
            patient_id=r.patient_id,
            patient_name=patients[r.patient_id].full_name,
            status=r.status,  # type: ignore[arg-type]
            note=r.note,
            created_at=local(r.created_at),  # type: ignore[arg-type]
            decided_at=local(r.decided_at),
            decision_note=r.decision_note,
            new_prescription_id=r.new_prescription_id,
            medicines=[medicine_label(m) for _i, m in items.get(r.prescription_id, [])],
        )
        for r in requests
    ]


async def _pending_for_decision(
    db: AsyncSession, actor: Actor, request_id: int
) -> tuple[RenewalRequest, Prescription]:
    request = await renewal_get(db, request_id)
    prescription = await get(db, request.prescription_id)
    if actor.id is None or actor.id != prescription.prescriber_id:
        # No delegate is recorded on a prescription: its prescriber alone decides.
        await audit.record(
            db,
            actor,
            "renewal.decide",
            object_type="renewal_request",
            object_id=request.id,
            patient_id=request.patient_id,
            outcome="denied",
            detail={"why": "not_the_prescriber", "prescription_id": prescription.id},
        )
        raise NotThePrescriber()
    if request.status != "pending":
        raise InvalidTransition(f"This request is already {request.status}.")
    return request, prescription


async def _decided(
    db: AsyncSession, actor: Actor, request: RenewalRequest, approved: bool, note: str | None
) -> None:
    request.status = "approved" if approved else "declined"
    request.decided_by = actor.id
    request.decided_at = utcnow()
    request.decision_note = note
    await db.flush()
    await audit.record(
        db,
        actor,
        "renewal.approve" if approved else "renewal.decline",
        object_type="renewal_request",
        object_id=request.id,
        patient_id=request.patient_id,
        reason=note,
    )
    await events.publish(
        db,
        RenewalDecided(
            request_id=request.id,
            prescription_id=request.prescription_id,
            patient_id=request.patient_id,
            approved=approved,
            new_prescription_id=request.new_prescription_id,
        ),
    )


async def approve_renewal(
    db: AsyncSession, actor: Actor, request_id: int, data: schemas.RenewalApproveIn
) -> RenewalRequest:
    """A new prescription with the same items, checked again like any other."""
    request, original = await _pending_for_decision(db, actor, request_id)
    rows = (await items_of(db, [original.id])).get(original.id, [])
    items = [
        schemas.ItemIn(
            medicine_id=item.medicine_id,
            dose=item.dose,
            route=item.route,
            frequency=item.frequency,
            duration_days=item.duration_days,
            quantity=item.quantity,
            instructions=item.instructions,
        )
        for item, _medicine in rows
    ]
    renewed = await _write(
        db,
        actor,
        patient_id=original.patient_id,
        encounter_id=None,
        items=items,
        notes=original.notes,
        override_reason=data.override_reason,
        renewed_from_id=original.id,
    )
    request.new_prescription_id = renewed.id
    await _decided(db, actor, request, True, data.note)
    return request


async def decline_renewal(
    db: AsyncSession, actor: Actor, request_id: int, note: str
) -> RenewalRequest:
    request, _original = await _pending_for_decision(db, actor, request_id)
    await _decided(db, actor, request, False, note)
    return request
