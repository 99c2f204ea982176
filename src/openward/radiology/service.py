"""Imaging orders from request to verified report, and the images attached to them.

Every rule of radiology lives here: who may order, schedule, perform, report and verify;
which step may follow which (anything else is 409 `invalid_transition`); who may read a
report (doctors, nurses and patients only once it is verified); and who may open an image.

Choices worth knowing:
- Scheduling does not refuse two exams overlapping on one modality: the catalogue has no
  rooms or machines, and most departments run several X-ray rooms and ultrasound couches.
  The worklist shows each day's bookings per modality so the desk can spread them.
- The radiologist who wrote a report may verify it (sign it off); hospitals that want a
  second reader do so by practice, not by this rule. Re-reporting is allowed until then.
- An exam is performed only once it is scheduled (a walk-in is scheduled for now + a few
  minutes first), so the steps are exactly ordered -> scheduled -> performed -> reported
  -> verified; cancelling is possible before the exam is performed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import anyio
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.core import audit, events
from openward.core.actors import Actor
from openward.core.clock import as_aware
from openward.core.errors import Conflict, PermissionDenied
from openward.core.timeline import InboxRow
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.patients import minimum_necessary
from openward.patients import service as patients_service
from openward.patients.errors import PatientInactive, PatientNotFound
from openward.patients.models import Patient
from openward.radiology import images, schemas
from openward.radiology.errors import (
    AttachmentNotFound,
    EmptyFile,
    EncounterMismatch,
    ExamNotFound,
    FileTooLarge,
    InvalidTransition,
    NotInTheFuture,
    OrderNotFound,
    ReportNotVerified,
    UnknownDoctor,
    UnsupportedFileType,
)
from openward.radiology.events import ReportReady
from openward.radiology.models import ImagingAttachment, ImagingExam, ImagingOrder, Modality
from openward.scheduling import service as scheduling_service
from openward.staff import service as staff_service

# status -> statuses it may move to (a status moving to itself: rescheduling, re-reporting)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "ordered": ("scheduled", "cancelled"),
    "scheduled": ("scheduled", "performed", "cancelled"),
    "performed": ("reported",),
    "reported": ("reported", "verified"),
    "verified": (),
    "cancelled": (),
}
OPEN_STATUSES = ("ordered", "scheduled", "performed", "reported")
# Who reads a report once it is verified; radiologists read it from the first draft.
VERIFIED_REPORT_READERS = ("doctor", "nurse", "patient", "radiologist")
PRIORITY_RANK = {"stat": 0, "urgent": 1, "routine": 2}
MAX_SCHEDULE_AHEAD = timedelta(days=366)
INBOX_DAYS = 30


class AttachmentOnCancelledOrder(Conflict):
    code = "order_cancelled"
    title = "Nothing can be attached to a cancelled order"


class UnknownPatient(PatientNotFound):
    status = 422


# ---------------------------------------------------------------- catalogue


async def list_modalities(db: AsyncSession) -> list[schemas.ModalityOut]:
    counts = dict(
        (
            await db.execute(
                select(ImagingExam.modality_id, func.count(ImagingExam.id))
                .where(ImagingExam.is_active)
                .group_by(ImagingExam.modality_id)
            )
        ).all()
    )
    rows = await db.scalars(select(Modality).where(Modality.is_active).order_by(Modality.name))
    return [
        schemas.ModalityOut(id=m.id, code=m.code, name=m.name, exams=int(counts.get(m.id, 0)))
        for m in rows
    ]


def exam_out(exam: ImagingExam, modality: Modality) -> schemas.ExamOut:
    return schemas.ExamOut(
        id=exam.id,
        code=exam.code,
        name=exam.name,
        modality_code=modality.code,
        modality_name=modality.name,
        body_part=exam.body_part,
        price=exam.price,
        duration_minutes=exam.duration_minutes,
        preparation=exam.preparation,
    )


async def list_exams(
    db: AsyncSession, *, modality: str | None = None, q: str | None = None
) -> list[schemas.ExamOut]:
    """Active exams by modality and name; `modality` is a DICOM code, `q` words of the name,
    code or body part."""
    query = (
        select(ImagingExam, Modality)
        .join(Modality, Modality.id == ImagingExam.modality_id)
        .where(ImagingExam.is_active, Modality.is_active)
    )
    if modality:
        query = query.where(Modality.code == modality.strip().upper())
    for word in (q or "").lower().split():
        query = query.where(
            or_(
                func.lower(ImagingExam.name).contains(word, autoescape=True),
                func.lower(ImagingExam.code).contains(word, autoescape=True),
                func.lower(func.coalesce(ImagingExam.body_part, "")).contains(
                    word, autoescape=True
                ),
            )
        )
    rows = await db.execute(query.order_by(Modality.name, ImagingExam.name))
    return [exam_out(exam, mod) for exam, mod in rows.all()]


async def _exam(db: AsyncSession, data: schemas.OrderCreate) -> tuple[ImagingExam, Modality]:
    query = select(ImagingExam, Modality).join(Modality, Modality.id == ImagingExam.modality_id)
    if data.exam_code is not None:
        code = data.exam_code.strip().upper()
        row = (await db.execute(query.where(ImagingExam.code == code))).first()
        field, named = "exam_code", f"code {data.exam_code!r}"
    else:
        row = (await db.execute(query.where(ImagingExam.id == data.exam_id))).first()
        field, named = "exam_id", f"id {data.exam_id}"
    if row is None or not row[0].is_active or not row[1].is_active:
        raise ExamNotFound(f"There is no imaging exam with {named} in the catalogue.", field=field)
    return row[0], row[1]


# ---------------------------------------------------------------- access


def _must(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"Your role ({actor.role}) does not have '{permission}'.")


async def _check_access(
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
    await _check_access(db, actor, order, break_glass_reason)
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
    if actor.role == "patient" and order.status != "verified":
        raise ReportNotVerified()
    return order


def report_visible(actor: Actor, order: ImagingOrder) -> bool:
    if order.findings is None and order.impression is None:
        return False
    if not minimum_necessary.sees(actor, minimum_necessary.IMAGING):
        return False
    if actor.role == "radiologist":
        return True
    return order.status == "verified" and actor.role in VERIFIED_REPORT_READERS


# ---------------------------------------------------------------- presenting


async def _exams_of(
    db: AsyncSession, exam_ids: set[int]
) -> dict[int, tuple[ImagingExam, Modality]]:
    if not exam_ids:
        return {}
    rows = await db.execute(
        select(ImagingExam, Modality)
        .join(Modality, Modality.id == ImagingExam.modality_id)
        .where(ImagingExam.id.in_(exam_ids))
    )
    return {exam.id: (exam, modality) for exam, modality in rows.all()}


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
    exams = await _exams_of(db, {o.exam_id for o in orders})
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
                cancelled_at=_local(o.cancelled_at, zone),
                cancelled_by=o.cancelled_by,
                cancel_reason=o.cancel_reason,
                attachments=counts.get(o.id, 0),
            )
        )
    return out


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)


async def present_one(
    db: AsyncSession, actor: Actor, order: ImagingOrder, zone: ZoneInfo
) -> schemas.OrderOut:
    return (await present(db, actor, [order], zone))[0]


# ---------------------------------------------------------------- ordering


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
    _must(actor, "radiology:order")
    patient = await _patient_for_order(db, actor, data.patient_id, break_glass_reason)
    exam, _modality = await _exam(db, data)
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


# ---------------------------------------------------------------- steps


def _allow(order: ImagingOrder, to: str, doing: str) -> None:
    if to not in TRANSITIONS[order.status]:
        raise InvalidTransition(
            f"A {order.status} imaging order cannot be {doing}.",
            extra={"current_status": order.status, "allowed": list(TRANSITIONS[order.status])},
        )


async def _step(
    db: AsyncSession, actor: Actor, order_id: int, permission: str, to: str, doing: str
) -> ImagingOrder:
    _must(actor, permission)
    order = await get(db, order_id, lock=True)
    await _check_access(db, actor, order)
    _allow(order, to, doing)
    return order


async def _record(
    db: AsyncSession,
    actor: Actor,
    order: ImagingOrder,
    action: str,
    *,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await db.flush()
    await audit.record(
        db,
        actor,
        f"radiology.{action}",
        object_type="imaging_order",
        object_id=order.id,
        patient_id=order.patient_id,
        reason=reason,
        detail=detail,
    )


def _future_time(value: datetime, zone: ZoneInfo, now: datetime) -> datetime:
    aware = as_aware(value, zone)
    assert aware is not None
    try:
        if aware <= now:
            raise NotInTheFuture(field="scheduled_at")
        if aware > now + MAX_SCHEDULE_AHEAD:
            raise NotInTheFuture("Exams are scheduled at most a year ahead.", field="scheduled_at")
        return aware.astimezone(ZoneInfo("UTC"))
    except OverflowError:
        raise NotInTheFuture("That time is out of range.", field="scheduled_at") from None


async def schedule(
    db: AsyncSession,
    actor: Actor,
    order_id: int,
    scheduled_at: datetime,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> ImagingOrder:
    """Book the exam's time (again while it is scheduled: rescheduling)."""
    order = await _step(db, actor, order_id, "radiology:schedule", "scheduled", "scheduled")
    when = _future_time(scheduled_at, zone, now or utcnow())
    previous = order.scheduled_at
    order.status = "scheduled"
    order.scheduled_at = when
    order.scheduled_by = actor.id
    await _record(
        db,
        actor,
        order,
        "reschedule" if previous else "schedule",
        detail={"from": previous, "to": when},
    )
    return order


async def perform(
    db: AsyncSession, actor: Actor, order_id: int, *, now: datetime | None = None
) -> ImagingOrder:
    order = await _step(db, actor, order_id, "radiology:process", "performed", "performed")
    order.status = "performed"
    order.performed_at = now or utcnow()
    order.performed_by = actor.id
    await _record(db, actor, order, "perform")
    return order


async def report(
    db: AsyncSession,
    actor: Actor,
    order_id: int,
    data: schemas.ReportIn,
    *,
    now: datetime | None = None,
) -> ImagingOrder:
    """The radiologist's findings and impression; rewritten freely until verified."""
    order = await _step(db, actor, order_id, "radiology:process", "reported", "reported")
    revised = order.status == "reported"
    order.status = "reported"
    order.findings = data.findings
    order.impression = data.impression
    order.reported_at = now or utcnow()
    order.reported_by = actor.id
    await _record(db, actor, order, "report", detail={"revised": revised})
    return order


async def verify(
    db: AsyncSession, actor: Actor, order_id: int, *, now: datetime | None = None
) -> ImagingOrder:
    """Sign the report off: the ordering doctor and the patient may now read it."""
    order = await _step(db, actor, order_id, "radiology:process", "verified", "verified")
    order.status = "verified"
    order.verified_at = now or utcnow()
    order.verified_by = actor.id
    await _record(db, actor, order, "verify", detail={"reported_by": order.reported_by})
    exam = await db.get(ImagingExam, order.exam_id)
    await events.publish(
        db,
        ReportReady(
            order_id=order.id,
            patient_id=order.patient_id,
            doctor_user_id=order.doctor_user_id,
            exam=exam.name if exam else "Imaging exam",
        ),
    )
    return order


async def cancel(db: AsyncSession, actor: Actor, order_id: int, reason: str) -> ImagingOrder:
    """Those who order or schedule may cancel, until the exam is performed."""
    if not (actor.can("radiology:order") or actor.can("radiology:schedule")):
        raise PermissionDenied("Only those who order or schedule exams may cancel them.")
    order = await get(db, order_id, lock=True)
    await _check_access(db, actor, order)
    _allow(order, "cancelled", "cancelled")
    order.status = "cancelled"
    order.cancelled_at = utcnow()
    order.cancelled_by = actor.id
    order.cancel_reason = reason
    await _record(db, actor, order, "cancel", reason=reason)
    return order


# ---------------------------------------------------------------- lists


async def _scope(
    db: AsyncSession,
    actor: Actor,
    query: Select[Any],
    patient_id: int | None,
    break_glass_reason: str | None,
) -> Select[Any]:
    """A patient sees their own orders; a doctor the ones they requested and their patients'
    (any one patient's with ?patient_id=, checked like the chart); departments see all."""
    if actor.role == "patient":
        return query.where(
            ImagingOrder.patient_id == (await patients_service.my_id(db, actor) or 0)
        )
    if patient_id is not None:
        patient = await patients_service.get(db, patient_id)
        await patients_service.check_access(
            db, actor, patient, break_glass_reason=break_glass_reason
        )
        return query
    if actor.role == "doctor":
        conditions = [ImagingOrder.doctor_user_id == actor.id, ImagingOrder.ordered_by == actor.id]
        doctor_id = await staff_service.doctor_id_of(db, actor)
        if doctor_id is not None:
            conditions.append(
                ImagingOrder.patient_id.in_(scheduling_service.patient_ids_of_doctor(doctor_id))
            )
        return query.where(or_(*conditions))
    return query


def worklist_order() -> tuple[Any, ...]:
    """Stat first, then urgent, then by the time booked (or, unscheduled, the oldest)."""
    rank = case(PRIORITY_RANK, value=ImagingOrder.priority, else_=3)
    return (
        rank,
        func.coalesce(ImagingOrder.scheduled_at, ImagingOrder.ordered_at),
        ImagingOrder.id,
    )


async def list_orders(
    db: AsyncSession,
    actor: Actor,
    *,
    status: str | None = None,
    statuses: Sequence[str] | None = None,
    patient_id: int | None = None,
    modality: str | None = None,
    newest_first: bool = False,
    break_glass_reason: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ImagingOrder], int]:
    query = await _scope(db, actor, select(ImagingOrder), patient_id, break_glass_reason)
    if patient_id is not None:
        query = query.where(ImagingOrder.patient_id == patient_id)
    if status:
        query = query.where(ImagingOrder.status == status)
    if statuses:
        query = query.where(ImagingOrder.status.in_(statuses))
    if modality:
        query = query.where(
            ImagingOrder.exam_id.in_(
                select(ImagingExam.id)
                .join(Modality, Modality.id == ImagingExam.modality_id)
                .where(Modality.code == modality.strip().upper())
            )
        )
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    order_by = (
        (ImagingOrder.ordered_at.desc(), ImagingOrder.id.desc())
        if newest_first
        else worklist_order()
    )
    rows = list(await db.scalars(query.order_by(*order_by).limit(limit).offset(offset)))
    await _audit_list(db, actor, rows, total)
    return rows, total


async def _audit_list(
    db: AsyncSession,
    actor: Actor,
    rows: Sequence[ImagingOrder],
    total: int | None = None,
    action: str = "radiology.order_list",
) -> None:
    await audit.record(
        db,
        actor,
        action,
        object_type="imaging_order",
        detail={
            "total": len(rows) if total is None else total,
            "patients": sorted({o.patient_id for o in rows}),
        },
    )


async def day_bookings(db: AsyncSession, day_start: datetime, day_end: datetime) -> dict[str, int]:
    """Exams booked in a window per modality code (the desk spreads them across rooms)."""
    rows = await db.execute(
        select(Modality.code, func.count(ImagingOrder.id))
        .join(ImagingExam, ImagingExam.modality_id == Modality.id)
        .join(ImagingOrder, ImagingOrder.exam_id == ImagingExam.id)
        .where(
            ImagingOrder.status == "scheduled",
            ImagingOrder.scheduled_at >= day_start,
            ImagingOrder.scheduled_at < day_end,
        )
        .group_by(Modality.code)
    )
    return {code: int(n) for code, n in rows.all()}


# ---------------------------------------------------------------- attachments


def attachment_out(attachment: ImagingAttachment, names: dict[int, str]) -> schemas.AttachmentOut:
    return schemas.AttachmentOut(
        id=attachment.id,
        order_id=attachment.order_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size_bytes=attachment.size_bytes,
        sha256=attachment.sha256,
        uploaded_by=attachment.uploaded_by,
        uploaded_by_name=names.get(attachment.uploaded_by, ""),
        uploaded_at=attachment.uploaded_at,
        url=f"/api/v1/radiology/attachments/{attachment.id}",
        is_image=attachment.content_type in images.IMAGE_TYPES,
    )


async def present_attachments(
    db: AsyncSession, attachments: Sequence[ImagingAttachment], zone: ZoneInfo
) -> list[schemas.AttachmentOut]:
    names = await identity_service.full_names(db, {a.uploaded_by for a in attachments})
    out = []
    for a in attachments:
        shown = attachment_out(a, names)
        out.append(shown.model_copy(update={"uploaded_at": a.uploaded_at.astimezone(zone)}))
    return out


async def attach(
    db: AsyncSession,
    actor: Actor,
    order_id: int,
    *,
    source: BinaryIO,
    filename: str | None,
    media_dir: Path,
    max_bytes: int,
    now: datetime | None = None,
) -> ImagingAttachment:
    """Keep an image or document with the order: the type proved by its first bytes, the
    file under a random key in the media directory, its size and SHA-256 in the row."""
    _must(actor, "radiology:process")
    order = await get(db, order_id)
    await _check_access(db, actor, order)
    if order.status == "cancelled":
        raise AttachmentOnCancelledOrder()
    try:
        stored = await anyio.to_thread.run_sync(images.store, source, media_dir, max_bytes)
    except images.TooLarge:
        raise FileTooLarge(
            f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB.",
            field="file",
        ) from None
    except images.Empty:
        raise EmptyFile(field="file") from None
    except images.Unrecognised:
        raise UnsupportedFileType(
            "The file is not a JPEG, PNG, PDF or DICOM file (checked by its content).",
            field="file",
        ) from None
    attachment = ImagingAttachment(
        order_id=order.id,
        filename=images.safe_filename(filename, stored.content_type),
        content_type=stored.content_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        uploaded_by=actor.id,
        uploaded_at=now or utcnow(),
    )
    try:
        async with db.begin_nested():
            db.add(attachment)
            await db.flush()
    except Exception:  # the row did not land: the file must not linger either
        images.remove(media_dir, stored.key)
        raise
    await audit.record(
        db,
        actor,
        "radiology.attachment_upload",
        object_type="imaging_attachment",
        object_id=attachment.id,
        patient_id=order.patient_id,
        detail={
            "order_id": order.id,
            "content_type": stored.content_type,
            "size": stored.size,
            "sha256": stored.sha256,
        },
    )
    return attachment


async def _images_allowed(db: AsyncSession, actor: Actor, order: ImagingOrder, action: str) -> None:
    """Images are clinical content (minimum necessary; a refusal is audited); patients see
    the images of their exam with the verified report, not before."""
    await minimum_necessary.require(
        db,
        actor,
        minimum_necessary.IMAGING,
        patient_id=order.patient_id,
        action=action,
        object_type="imaging_order",
        object_id=order.id,
    )
    if actor.role == "patient" and order.status != "verified":
        raise ReportNotVerified("The images are shown with the verified report.")


async def list_attachments(
    db: AsyncSession, actor: Actor, order_id: int, *, break_glass_reason: str | None = None
) -> list[ImagingAttachment]:
    order = await get(db, order_id)
    await _check_access(db, actor, order, break_glass_reason)
    await _images_allowed(db, actor, order, "radiology.attachment_list")
    rows = list(
        await db.scalars(
            select(ImagingAttachment)
            .where(ImagingAttachment.order_id == order.id)
            .order_by(ImagingAttachment.uploaded_at, ImagingAttachment.id)
        )
    )
    await audit.record(
        db,
        actor,
        "radiology.attachment_list",
        object_type="imaging_order",
        object_id=order.id,
        patient_id=order.patient_id,
        detail={"attachments": [a.id for a in rows]},
    )
    return rows


async def open_attachment(
    db: AsyncSession,
    actor: Actor,
    attachment_id: int,
    *,
    media_dir: Path,
    break_glass_reason: str | None = None,
) -> tuple[ImagingAttachment, Path]:
    """An attachment and the file to send, for someone who may see the patient; audited."""
    attachment = await db.get(ImagingAttachment, attachment_id)
    if attachment is None:
        raise AttachmentNotFound()
    order = await get(db, attachment.order_id)
    await _check_access(db, actor, order, break_glass_reason)
    await _images_allowed(db, actor, order, "radiology.attachment_read")
    path = images.path_of(media_dir, attachment.storage_key)
    if not path.is_file():
        raise AttachmentNotFound("The file is missing from the media store.")
    await audit.record(
        db,
        actor,
        "radiology.attachment_read",
        object_type="imaging_attachment",
        object_id=attachment.id,
        patient_id=order.patient_id,
        detail={"order_id": order.id},
    )
    return attachment, path


# ---------------------------------------------------------------- results for other pages


async def inbox(db: AsyncSession, actor: Actor, *, limit: int = 100) -> list[InboxRow]:
    """Verified reports of exams this doctor requested, from the last 30 days, newest first."""
    since = utcnow() - timedelta(days=INBOX_DAYS)
    rows = list(
        (
            await db.execute(
                select(ImagingOrder, ImagingExam.name)
                .join(ImagingExam, ImagingExam.id == ImagingOrder.exam_id)
                .where(
                    ImagingOrder.doctor_user_id == actor.id,
                    ImagingOrder.status == "verified",
                    ImagingOrder.verified_at >= since,
                )
                .order_by(ImagingOrder.verified_at.desc(), ImagingOrder.id.desc())
                .limit(limit)
            )
        ).all()
    )
    patients = await patients_service.briefs(db, [order.patient_id for order, _name in rows])
    await _audit_list(db, actor, [order for order, _name in rows], action="radiology.inbox")
    return [
        InboxRow(
            at=order.verified_at,
            kind="imaging",
            order_id=order.id,
            patient_id=order.patient_id,
            patient_name=patients[order.patient_id].full_name,
            mrn=patients[order.patient_id].mrn,
            title=name,
            status=order.status,
            flag=None,
            link=f"/radiology/orders/{order.id}",
        )
        for order, name in rows
    ]


@dataclass(frozen=True)
class ReportRow:
    """One verified imaging report on a patient's results page."""

    order_id: int
    exam_name: str
    modality: str
    verified_at: datetime
    impression: str
    link: str

    @property
    def exam(self) -> str:
        return self.exam_name


async def my_reports(db: AsyncSession, actor: Actor) -> list[ReportRow]:
    """The signed-in patient's verified imaging reports, newest first (audited)."""
    patient_id = await patients_service.my_id(db, actor)
    if patient_id is None:
        return []
    rows = list(
        (
            await db.execute(
                select(ImagingOrder, ImagingExam.name, Modality.name)
                .join(ImagingExam, ImagingExam.id == ImagingOrder.exam_id)
                .join(Modality, Modality.id == ImagingExam.modality_id)
                .where(ImagingOrder.patient_id == patient_id, ImagingOrder.status == "verified")
                .order_by(ImagingOrder.verified_at.desc(), ImagingOrder.id.desc())
            )
        ).all()
    )
    await audit.record(
        db,
        actor,
        "radiology.my_reports",
        object_type="imaging_order",
        patient_id=patient_id,
        detail={"orders": [order.id for order, _e, _m in rows]},
    )
    return [
        ReportRow(
            order_id=order.id,
            exam_name=exam,
            modality=modality,
            verified_at=order.verified_at,
            impression=order.impression or "",
            link=f"/my/results/imaging/{order.id}",
        )
        for order, exam, modality in rows
    ]


async def dashboard_figures(
    db: AsyncSession, actor: Actor, *, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """The radiologist's dashboard: orders per status, today's exams, reports to write,
    and stat orders not yet reported."""
    zone = zone or ZoneInfo("UTC")
    counted = dict(
        (
            await db.execute(
                select(ImagingOrder.status, func.count(ImagingOrder.id)).group_by(
                    ImagingOrder.status
                )
            )
        ).all()
    )
    today = datetime.now(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    end = start + timedelta(days=1)
    scheduled_today = await db.scalar(
        select(func.count(ImagingOrder.id)).where(
            ImagingOrder.status.in_(("scheduled", "performed", "reported", "verified")),
            ImagingOrder.scheduled_at >= start,
            ImagingOrder.scheduled_at < end,
        )
    )
    stat_pending = await db.scalar(
        select(func.count(ImagingOrder.id)).where(
            ImagingOrder.priority == "stat",
            ImagingOrder.status.in_(("ordered", "scheduled", "performed")),
        )
    )
    by_status = {status: int(counted.get(status, 0)) for status in TRANSITIONS}
    return {
        "by_status": by_status,
        "scheduled_today": int(scheduled_today or 0),
        "awaiting_report": by_status["performed"],
        "awaiting_verification": by_status["reported"],
        "stat_pending": int(stat_pending or 0),
        "to_schedule": by_status["ordered"],
    }
