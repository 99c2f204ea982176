"""Imaging orders: who may see one, placing an order, and an order as it is shown (the report
only to those who may read it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import PermissionDenied
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.patients import minimum_necessary
from openward.patients import service as patients_service
from openward.patients.errors import PatientInactive, PatientNotFound
from openward.radiology import schemas
from openward.radiology.catalogue import exams_of, find_exam
from openward.radiology.errors import (
    EncounterMismatch,
    OrderNotFound,
    ReportNotVerified,
    UnknownDoctor,
)
from openward.radiology.models import ImagingAttachment, ImagingOrder
from openward.staff import service as staff_service

if TYPE_CHECKING:
    from openward.patients.models import Patient

# Who reads a report once it is verified; radiologists read it from the first draft.
VERIFIED_REPORT_READERS = ("doctor", "nurse", "patient", "radiologist")


class UnknownPatient(PatientNotFound):
    status = 422


def require_permission(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"Your role ({actor.role}) does not have '{permission}'.")


async def check_access(
    db: AsyncSession, actor: Actor, order: ImagingOrder, break_glass_reason: str | None = None
) -> None:
    """The ordering doctor always sees their order; otherwise the patient's care relationship
    decides (radiology and the front desk serve every patient, a patient only themselves)."""
    if actor.role == "doctor" and actor.id in (order.doctor_user_id, order.ordered_by):
        return
    patient = await patients_service.get(db, order.patient_id)
    await patients_service.check_access(db, actor, patient, break_glass_reason=break_glass_reason)


async def get(db: AsyncSession, order_id: int, *, lock: bool = False) -> ImagingOrder:
    query = select(ImagingOrder).where(ImagingOrder.id == order_id)
    if lock:
        query = query.with_for_update()
    order = await db.scalar(query)
    if order is None:
        raise OrderNotFound()
    return order


async def get_for(
    db: AsyncSession, actor: Actor, order_id: int, *, break_glass_reason: str | None = None
) -> ImagingOrder:
    """An order read on the actor's behalf: access checked, the read audited."""
    order = await get(db, order_id)
    await check_access(db, actor, order, break_glass_reason)
    await audit.record(
        db,
        actor,
        "radiology.order_read",
        object_type="imaging_order",
        object_id=order.id,
        patient_id=order.patient_id,
    )
    return order


async def my_report(db: AsyncSession, actor: Actor, order_id: int) -> ImagingOrder:
    """A patient's own verified report; anything else does not exist for them."""
    order = await get_for(db, actor, order_id)
    if actor.role == "patient" and not released(order):
        raise ReportNotVerified()
    return order


def released(order: ImagingOrder, now: datetime | None = None) -> bool:
    """A verified report reaches the patient once the requesting doctor acknowledged it or
    the release delay after verification passed (`released_at`, set by `workflow.verify`)."""
    return (
        order.status == "verified"
        and order.released_at is not None
        and order.released_at <= (now or utcnow())
    )


def released_to_patients():
    """SQL: the report has reached the patient (see `released`)."""
    return (
        (ImagingOrder.status == "verified")
        & ImagingOrder.released_at.is_not(None)
        & (ImagingOrder.released_at <= utcnow())
    )


def report_visible(actor: Actor, order: ImagingOrder) -> bool:
    if order.findings is None and order.impression is None:
        return False
    if not minimum_necessary.sees(actor, minimum_necessary.IMAGING):
        return False
    if actor.role == "radiologist":
        return True
    if actor.role == "patient":
        return released(order)
    return order.status == "verified" and actor.role in VERIFIED_REPORT_READERS


async def _attachment_counts(db: AsyncSession, order_ids: list[int]) -> dict[int, int]:
    if not order_ids:
        return {}
    rows = await db.execute(
        select(ImagingAttachment.order_id, func.count(ImagingAttachment.id))
        .where(ImagingAttachment.order_id.in_(order_ids))
        .group_by(ImagingAttachment.order_id)
    )
    return {order_id: int(n) for order_id, n in rows.all()}


async def present(
    db: AsyncSession, actor: Actor, orders: Sequence[ImagingOrder], zone: ZoneInfo
) -> list[schemas.OrderOut]:
    """Orders with names, exam and modality, for any number in a fixed number of queries;
    the report only where the reader may see it."""
    patients = await patients_service.briefs(db, [o.patient_id for o in orders])
    exams = await exams_of(db, {o.exam_id for o in orders})
    counts = await _attachment_counts(db, [o.id for o in orders])
    names = await identity_service.full_names(
        db,
        {
            user_id
            for o in orders
            for user_id in (
                o.doctor_user_id,
                o.ordered_by,
                o.performed_by,
                o.reported_by,
                o.verified_by,
                o.acknowledged_by,
            )
        },
    )
    clinical = minimum_necessary.sees(actor, minimum_necessary.IMAGING)
    out = []
    for o in orders:
        patient = patients[o.patient_id]
        exam, modality = exams[o.exam_id]
        visible = report_visible(actor, o)
        out.append(
            schemas.OrderOut(
                id=o.id,
                status=o.status,  # type: ignore[arg-type]
                priority=o.priority,  # type: ignore[arg-type]
                patient_id=o.patient_id,
                patient_name=patient.full_name,
                patient_mrn=patient.mrn,
                exam_id=exam.id,
                exam_code=exam.code,
                exam_name=exam.name,
                modality_code=modality.code,
                modality_name=modality.name,
                body_part=exam.body_part,
                preparation=exam.preparation,
                duration_minutes=exam.duration_minutes,
                price=o.price,
                clinical_notes=o.clinical_notes if clinical else None,
                clinical_content_withheld=not clinical,
                encounter_id=o.encounter_id,
                doctor_user_id=o.doctor_user_id,
                doctor_name=names.get(o.doctor_user_id) if o.doctor_user_id else None,
                ordered_by=o.ordered_by,
                ordered_by_name=names.get(o.ordered_by, ""),
                ordered_at=o.ordered_at.astimezone(zone),
                scheduled_at=_local(o.scheduled_at, zone),
                scheduled_by=o.scheduled_by,
                performed_at=_local(o.performed_at, zone),
                performed_by=o.performed_by,
                performed_by_name=names.get(o.performed_by) if o.performed_by else None,
                report_visible=visible,
                findings=o.findings if visible else None,
                impression=o.impression if visible else None,
                reported_at=_local(o.reported_at, zone),
                reported_by=o.reported_by,
                reported_by_name=names.get(o.reported_by) if o.reported_by else None,
                verified_at=_local(o.verified_at, zone),
                verified_by=o.verified_by,
                verified_by_name=names.get(o.verified_by) if o.verified_by else None,
                acknowledged_at=_local(o.acknowledged_at, zone),
                acknowledged_by=o.acknowledged_by,
                acknowledged_by_name=names.get(o.acknowledged_by) if o.acknowledged_by else None,
                released_at=_local(o.released_at, zone),
                released_to_patient=released(o),
                can_acknowledge=o.status == "verified"
                and o.acknowledged_at is None
                and actor.role == "doctor"
                and actor.id is not None
                and actor.id == (o.doctor_user_id or o.ordered_by),
                cancelled_at=_local(o.cancelled_at, zone),
                cancelled_by=o.cancelled_by,
                cancel_reason=o.cancel_reason,
                attachments=counts.get(o.id, 0),
            )
        )
    return out


async def acknowledgement(db: AsyncSession, order: ImagingOrder) -> schemas.AcknowledgementOut:
    """Who acknowledged the report and when (the acknowledging call audited it)."""
    assert order.acknowledged_by is not None and order.acknowledged_at is not None
    names = await identity_service.full_names(db, [order.acknowledged_by])
    return schemas.AcknowledgementOut(
        order_id=order.id,
        status=order.status,
        acknowledged_by=order.acknowledged_by,
        acknowledged_by_name=names.get(order.acknowledged_by),
        acknowledged_at=order.acknowledged_at,
        released_at=order.released_at,
    )


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)


async def present_one(
    db: AsyncSession, actor: Actor, order: ImagingOrder, zone: ZoneInfo
) -> schemas.OrderOut:
    return (await present(db, actor, [order], zone))[0]


async def _patient_for_order(
    db: AsyncSession, actor: Actor, patient_id: int, break_glass_reason: str | None
) -> Patient:
    try:
        patient = await patients_service.get(db, patient_id)
    except PatientNotFound:
        raise UnknownPatient(field="patient_id") from None
    await patients_service.check_access(db, actor, patient, break_glass_reason=break_glass_reason)
    if not patient.is_active:
        raise PatientInactive(field="patient_id")
    return patient


async def _requesting_doctor(db: AsyncSession, actor: Actor, user_id: int | None) -> int | None:
    """A doctor ordering is the requesting doctor, as in the lab: naming a colleague would
    hand them the patient's report (and the order) without a care relationship. Others
    (nurses, the front desk) name the doctor they order for."""
    if actor.role == "doctor":
        if user_id is not None and user_id != actor.id:
            raise UnknownDoctor(
                "A doctor's order names the doctor placing it; leave doctor_user_id out.",
                field="doctor_user_id",
            )
        return actor.id
    if user_id is None:
        return None
    if await staff_service.doctor_for_user(db, user_id) is None:
        raise UnknownDoctor(
            f"User {user_id} has no doctor profile; name the requesting doctor's account.",
            field="doctor_user_id",
        )
    return user_id


async def create_order(
    db: AsyncSession,
    actor: Actor,
    data: schemas.OrderCreate,
    *,
    break_glass_reason: str | None = None,
    now: datetime | None = None,
) -> ImagingOrder:
    """Doctors, nurses and the front desk order an exam; its price is kept as it is today.
    `now` is the clock for loading history (the demo); requests never set it."""
    require_permission(actor, "radiology:order")
    patient = await _patient_for_order(db, actor, data.patient_id, break_glass_reason)
    exam, _modality = await find_exam(db, data)
    doctor_user_id = await _requesting_doctor(db, actor, data.doctor_user_id)
    if data.encounter_id is not None:
        owner = await clinical_service.encounter_patient(db, data.encounter_id)
        if owner is None:
            raise EncounterMismatch("There is no such encounter.", field="encounter_id")
        if owner != patient.id:
            raise EncounterMismatch(field="encounter_id")
    order = ImagingOrder(
        patient_id=patient.id,
        exam_id=exam.id,
        encounter_id=data.encounter_id,
        doctor_user_id=doctor_user_id,
        priority=data.priority,
        clinical_notes=data.clinical_notes or None,
        price=exam.price,
        status="ordered",
        ordered_by=actor.id,
        ordered_at=now or utcnow(),
    )
    db.add(order)
    await db.flush()
    await audit.record(
        db,
        actor,
        "radiology.order",
        object_type="imaging_order",
        object_id=order.id,
        patient_id=patient.id,
        detail={
            "exam": exam.code,
            "priority": order.priority,
            "price": order.price,
            "doctor_user_id": doctor_user_id,
        },
    )
    return order
