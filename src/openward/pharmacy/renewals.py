"""Renewals: a patient asks the prescriber to renew a prescription; the prescriber alone
approves (a new prescription, checked again like any other) or declines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit, events
from openward.core.actors import Actor
from openward.db import utcnow
from openward.patients import service as patients_service
from openward.pharmacy import reading, schemas, writing
from openward.pharmacy.chart import medicine_label
from openward.pharmacy.errors import (
    InvalidTransition,
    NotThePrescriber,
    NotYourPrescription,
    RenewalNotFound,
    RenewalPending,
)
from openward.pharmacy.events import RenewalDecided, RenewalRequested
from openward.pharmacy.models import Prescription, RenewalRequest


async def renewal_get(db: AsyncSession, request_id: int) -> RenewalRequest:
    request = await db.get(RenewalRequest, request_id)
    if request is None:
        raise RenewalNotFound()
    return request


async def request_renewal(
    db: AsyncSession, actor: Actor, prescription_id: int, note: str | None
) -> RenewalRequest:
    """A patient asks the prescriber to renew one of their own prescriptions."""
    prescription = await reading.get(db, prescription_id)
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
    items = await reading.items_of(db, [r.prescription_id for r in requests])
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
    prescription = await reading.get(db, request.prescription_id)
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
    rows = (await reading.items_of(db, [original.id])).get(original.id, [])
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
    renewed = await writing.write(
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
