"""Lab orders: placing them, reading one under the patient's access rules, and the lists
(scoped by who asks) with their summaries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import PermissionDenied, ValidationFailed
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.lab import schemas
from openward.lab.errors import EncounterMismatch, InvalidDoctor, LabOrderNotFound, UnknownTest
from openward.lab.flags import CRITICAL, summary_flag
from openward.lab.models import LabOrder, LabOrderTest, LabResult, LabTest
from openward.patients import minimum_necessary
from openward.patients import service as patients_service
from openward.patients.errors import PatientInactive
from openward.scheduling import service as scheduling_service
from openward.staff import service as staff_service
from openward.staff.errors import DoctorNotFound

if TYPE_CHECKING:
    from openward.patients.models import Patient

SYSTEM_VIA = ("cli", "demo", "job", "system")


# ---------------------------------------------------------------- access


async def get(db: AsyncSession, order_id: int) -> LabOrder:
    order = await db.get(LabOrder, order_id)
    if order is None:
        raise LabOrderNotFound()
    return order


async def get_locked(db: AsyncSession, order_id: int) -> LabOrder:
    """The order, locked against a second technician's step until this one commits."""
    order = await db.scalar(
        select(LabOrder)
        .where(LabOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise LabOrderNotFound()
    return order


async def check_access(
    db: AsyncSession, actor: Actor, order: LabOrder, break_glass_reason: str | None = None
) -> Patient:
    """The patient's access rules; the responsible and the ordering doctor always see it."""
    patient = await patients_service.get(db, order.patient_id)
    if (
        actor.role == "doctor"
        and actor.id is not None
        and actor.id
        in (
            order.doctor_user_id,
            order.ordered_by,
        )
    ):
        return patient
    await patients_service.check_access(db, actor, patient, break_glass_reason=break_glass_reason)
    return patient


async def get_for(
    db: AsyncSession, actor: Actor, order_id: int, *, break_glass_reason: str | None = None
) -> tuple[LabOrder, Patient]:
    order = await get(db, order_id)
    patient = await check_access(db, actor, order, break_glass_reason)
    await audit.record(
        db,
        actor,
        "lab.order.read",
        object_type="lab_order",
        object_id=order.id,
        patient_id=order.patient_id,
    )
    return order, patient


def sees_unverified(actor: Actor) -> bool:
    """The lab works on results before they are verified; everyone else reads verified ones."""
    return actor.role == "lab_technician" or actor.via in SYSTEM_VIA


def released(order: LabOrder, now: datetime | None = None) -> bool:
    """Verified results reach the patient once the ordering doctor acknowledged them or the
    release delay after verification passed (`released_at`, set by `workflow.verify`)."""
    return (
        order.status == "verified"
        and order.released_at is not None
        and order.released_at <= (now or utcnow())
    )


def results_readable(actor: Actor, order: LabOrder) -> bool:
    """May this reader see the order's values as final: the lab always, clinicians once
    verified, the patient once released to them."""
    if sees_unverified(actor):
        return True
    if actor.role == "patient":
        return released(order)
    return order.status == "verified"


def released_to_patients():
    """SQL: the order's results have reached the patient (see `released`)."""
    return (
        (LabOrder.status == "verified")
        & LabOrder.released_at.is_not(None)
        & (LabOrder.released_at <= utcnow())
    )


# ---------------------------------------------------------------- ordering


async def _responsible_doctor(
    db: AsyncSession, actor: Actor, data: schemas.LabOrderCreate
) -> int | None:
    """A doctor ordering is responsible; others may name the doctor (profile or user id)."""
    if actor.role == "doctor":
        return actor.id
    if data.doctor_id is not None:
        try:
            doctor = await staff_service.get_doctor(db, data.doctor_id)
        except DoctorNotFound:
            raise InvalidDoctor("No such doctor.", field="doctor_id") from None
        if not doctor.is_active:
            raise InvalidDoctor("This doctor is no longer active.", field="doctor_id")
        return doctor.user_id
    if data.doctor_user_id is not None:
        doctor = await staff_service.doctor_for_user(db, data.doctor_user_id)
        if doctor is None or not doctor.is_active:
            raise InvalidDoctor("That user is not an active doctor.", field="doctor_user_id")
        return doctor.user_id
    return None


def _codes(raw: Sequence[str]) -> list[str]:
    """Upper-cased, in the order given, each once."""
    seen: dict[str, None] = {}
    for code in raw:
        cleaned = code.strip().upper()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


async def create_order(
    db: AsyncSession,
    actor: Actor,
    data: schemas.LabOrderCreate,
    *,
    break_glass_reason: str | None = None,
    now: datetime | None = None,
) -> LabOrder:
    """`now` is the clock, for loading history (the demo's earlier orders)."""
    if not (actor.can("lab:order") or actor.via in SYSTEM_VIA):
        raise PermissionDenied("Your role cannot order lab tests.")
    patient = await patients_service.get(db, data.patient_id)
    await patients_service.check_access(db, actor, patient, break_glass_reason=break_glass_reason)
    if not patient.is_active:
        raise PatientInactive(field="patient_id")
    codes = _codes(data.tests)
    if not codes:
        raise UnknownTest("Choose at least one test.", field="tests")
    tests = {
        t.code: t
        for t in await db.scalars(select(LabTest).where(LabTest.code.in_(codes), LabTest.is_active))
    }
    unknown = [c for c in codes if c not in tests]
    if unknown:
        raise UnknownTest(
            f"Unknown test code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
            field="tests",
            extra={"unknown": unknown},
        )
    if data.encounter_id is not None:
        owner = await clinical_service.encounter_patient(db, data.encounter_id)
        if owner is None:
            raise ValidationFailed("No such encounter.", field="encounter_id")
        if owner != patient.id:
            raise EncounterMismatch(field="encounter_id")
    doctor_user_id = await _responsible_doctor(db, actor, data)
    order = LabOrder(
        patient_id=patient.id,
        encounter_id=data.encounter_id,
        doctor_user_id=doctor_user_id,
        priority=data.priority,
        clinical_notes=data.clinical_notes or None,
        status="ordered",
        ordered_by=actor.id,
        ordered_at=now or utcnow(),
    )
    db.add(order)
    await db.flush()
    for code in codes:
        db.add(LabOrderTest(order_id=order.id, test_id=tests[code].id, price=tests[code].price))
    await db.flush()
    await audit.record(
        db,
        actor,
        "lab.order.create",
        object_type="lab_order",
        object_id=order.id,
        patient_id=patient.id,
        detail={"tests": codes, "priority": order.priority, "doctor_user_id": doctor_user_id},
    )
    return order


# ---------------------------------------------------------------- lists


def _priority_rank():
    """Stat first, then urgent, then routine."""
    return case((LabOrder.priority == "stat", 0), (LabOrder.priority == "urgent", 1), else_=2)


async def _scope(db: AsyncSession, actor: Actor, query: Select[Any]) -> Select[Any]:
    """A patient sees their own orders; a doctor those they ordered or answer for and those
    of patients they have seen; the lab, nurses and the front desk see every order."""
    if actor.role == "patient":
        return query.where(LabOrder.patient_id == (await patients_service.my_id(db, actor) or 0))
    if actor.role == "doctor":
        doctor_id = await staff_service.doctor_id_of(db, actor)
        conditions = [LabOrder.doctor_user_id == actor.id, LabOrder.ordered_by == actor.id]
        if doctor_id is not None:
            conditions.append(
                LabOrder.patient_id.in_(scheduling_service.patient_ids_of_doctor(doctor_id))
            )
        return query.where(or_(*conditions))
    return query


async def list_orders(
    db: AsyncSession,
    actor: Actor,
    *,
    status: str | None = None,
    statuses: Sequence[str] | None = None,
    patient_id: int | None = None,
    priority: str | None = None,
    limit: int = 50,
    offset: int = 0,
    break_glass_reason: str | None = None,
) -> tuple[list[LabOrder], int]:
    """The lab's worklist (stat first, then urgent, then the oldest) or everyone else's list
    (newest first). A doctor asking for one patient gets that patient's every order when the
    patient is theirs (care team, visits or break-the-glass)."""
    query = select(LabOrder)
    if patient_id is not None:
        patient = await patients_service.get(db, patient_id)
        await patients_service.check_access(
            db, actor, patient, break_glass_reason=break_glass_reason
        )
        query = query.where(LabOrder.patient_id == patient_id)
    else:
        query = await _scope(db, actor, query)
    if status:
        query = query.where(LabOrder.status == status)
    if statuses:
        query = query.where(LabOrder.status.in_(statuses))
    if priority:
        query = query.where(LabOrder.priority == priority)
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    if actor.role == "lab_technician":
        order_by = (_priority_rank(), LabOrder.ordered_at, LabOrder.id)
    else:
        order_by = (LabOrder.ordered_at.desc(), LabOrder.id.desc())
    rows = list(await db.scalars(query.order_by(*order_by).limit(limit).offset(offset)))
    await audit_list(db, actor, rows, total)
    return rows, total


async def audit_list(
    db: AsyncSession, actor: Actor, rows: Sequence[LabOrder], total: int | None = None
) -> None:
    await audit.record(
        db,
        actor,
        "lab.order.list",
        object_type="lab_order",
        detail={
            "total": len(rows) if total is None else total,
            "patients": sorted({o.patient_id for o in rows}),
        },
    )


async def ordered_tests(db: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[LabTest]]:
    found: dict[int, list[LabTest]] = defaultdict(list)
    if not order_ids:
        return found
    for order_id, test in await db.execute(
        select(LabOrderTest.order_id, LabTest)
        .join(LabTest, LabTest.id == LabOrderTest.test_id)
        .where(LabOrderTest.order_id.in_(order_ids))
        .order_by(LabOrderTest.id)
    ):
        found[order_id].append(test)
    return found


async def _prices(db: AsyncSession, order_ids: Sequence[int]) -> dict[int, Decimal]:
    if not order_ids:
        return {}
    rows = await db.execute(
        select(LabOrderTest.order_id, func.sum(LabOrderTest.price))
        .where(LabOrderTest.order_id.in_(order_ids))
        .group_by(LabOrderTest.order_id)
    )
    return {order_id: Decimal(total or 0) for order_id, total in rows.all()}


async def result_flags(db: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if not order_ids:
        return found
    for order_id, flag in await db.execute(
        select(LabResult.order_id, LabResult.flag).where(LabResult.order_id.in_(order_ids))
    ):
        found[order_id].append(flag)
    return found


async def summaries(
    db: AsyncSession, actor: Actor, orders: Sequence[LabOrder]
) -> list[schemas.LabOrderSummary]:
    """Orders for a list: the same few queries for any number of orders."""
    ids = [o.id for o in orders]
    patients = await patients_service.briefs(db, [o.patient_id for o in orders])
    tests = await ordered_tests(db, ids)
    prices = await _prices(db, ids)
    flags = await result_flags(db, ids)
    doctors = await identity_service.full_names(db, [o.doctor_user_id for o in orders])
    out = []
    clinical = minimum_necessary.sees(actor, minimum_necessary.LAB)
    for o in orders:
        patient = patients[o.patient_id]
        shown = flags.get(o.id, []) if results_readable(actor, o) else []
        if not shown and actor.role == "doctor" and actor.id == o.doctor_user_id:
            shown = [f for f in flags.get(o.id, []) if f in CRITICAL]
        if not clinical:  # the front desk sees the order's status, not how its values came out
            shown = []
        out.append(
            schemas.LabOrderSummary(
                id=o.id,
                status=o.status,  # type: ignore[arg-type]
                priority=o.priority,  # type: ignore[arg-type]
                patient_id=o.patient_id,
                patient_name=patient.full_name,
                patient_mrn=patient.mrn,
                tests=[t.name for t in tests.get(o.id, [])],
                test_codes=[t.code for t in tests.get(o.id, [])],
                doctor_name=doctors.get(o.doctor_user_id) if o.doctor_user_id else None,
                doctor_user_id=o.doctor_user_id,
                ordered_at=o.ordered_at,
                collected_at=o.collected_at,
                verified_at=o.verified_at,
                acknowledged_at=o.acknowledged_at,
                acknowledged_by=o.acknowledged_by,
                released_to_patient=released(o),
                total_price=prices.get(o.id, Decimal(0)),
                flag=summary_flag(shown),
            )
        )
    return out
