"""Lists of imaging orders, scoped by who is asking: the worklist in its order, and each day's
bookings per modality."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.patients import service as patients_service
from openward.radiology.models import ImagingExam, ImagingOrder, Modality
from openward.scheduling import service as scheduling_service
from openward.staff import service as staff_service

PRIORITY_RANK = {"stat": 0, "urgent": 1, "routine": 2}


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
    priority: str | None = None,
    scheduled_from: datetime | None = None,
    scheduled_before: datetime | None = None,
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
    if priority:
        query = query.where(ImagingOrder.priority == priority)
    if scheduled_from is not None:
        query = query.where(ImagingOrder.scheduled_at >= scheduled_from)
    if scheduled_before is not None:
        query = query.where(ImagingOrder.scheduled_at < scheduled_before)
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
    await audit_list(db, actor, rows, total)
    return rows, total


async def audit_list(
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
