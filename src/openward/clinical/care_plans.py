"""Care plans: goals and activities with a responsible member of staff and a review date,
moving through CARE_PLAN_TRANSITIONS until completed or cancelled."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import schemas
from openward.clinical.errors import CarePlanNotFound, InvalidTransition, UnknownStaff
from openward.clinical.models import CarePlan
from openward.clinical.service import checked_patient
from openward.config import STAFF_ROLES
from openward.core import audit, dates
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.db import utcnow
from openward.identity import service as identity_service

# care plan status -> statuses it may move to
CARE_PLAN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("active", "cancelled"),
    "active": ("on_hold", "completed", "cancelled"),
    "on_hold": ("active", "completed", "cancelled"),
    "completed": (),
    "cancelled": (),
}


# ---------------------------------------------------------------- care plans


async def _check_staff(db: AsyncSession, user_id: int | None) -> None:
    if user_id is None:
        return
    try:
        user = await identity_service.get_user(db, user_id)
    except DomainError:
        raise UnknownStaff(field="responsible_user_id") from None
    if user.role not in STAFF_ROLES or not user.is_active:
        raise UnknownStaff(field="responsible_user_id")


async def present_care_plans(
    db: AsyncSession, rows: Sequence[CarePlan]
) -> list[schemas.CarePlanOut]:
    names = await identity_service.full_names(
        db, [c.created_by for c in rows] + [c.responsible_user_id for c in rows]
    )
    return [
        schemas.CarePlanOut(
            id=c.id,
            patient_id=c.patient_id,
            title=c.title,
            goals=c.goals,
            activities=c.activities,
            responsible_user_id=c.responsible_user_id,
            responsible_name=names.get(c.responsible_user_id) if c.responsible_user_id else None,
            status=c.status,  # type: ignore[arg-type]
            review_date=c.review_date,
            created_by=c.created_by,
            created_by_name=names.get(c.created_by, "—"),
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in rows
    ]


async def add_care_plan(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    data: schemas.CarePlanIn,
    *,
    break_glass_reason: str | None = None,
) -> CarePlan:
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    dates.check_clinical(
        data.review_date, field="review_date", born=patient.date_of_birth, planned=True
    )
    await _check_staff(db, data.responsible_user_id)
    plan = CarePlan(
        patient_id=patient.id,
        title=data.title,
        goals=data.goals,
        activities=data.activities,
        responsible_user_id=data.responsible_user_id,
        status=data.status,
        review_date=data.review_date,
        created_by=actor.id,
    )
    db.add(plan)
    await db.flush()
    await audit.record(
        db,
        actor,
        "care_plan.create",
        object_type="care_plan",
        object_id=plan.id,
        patient_id=patient.id,
        reason=break_glass_reason,
    )
    return plan


async def update_care_plan(
    db: AsyncSession, actor: Actor, plan_id: int, data: schemas.CarePlanUpdate
) -> CarePlan:
    """Goals, activities, who is responsible, review date; status moves follow
    CARE_PLAN_TRANSITIONS (completed and cancelled plans are closed)."""
    plan = await db.get(CarePlan, plan_id)
    if plan is None:
        raise CarePlanNotFound()
    patient = await checked_patient(db, actor, plan.patient_id)
    changes = data.model_dump(exclude_unset=True)
    dates.check_clinical(
        changes.get("review_date"), field="review_date", born=patient.date_of_birth, planned=True
    )
    new_status = changes.pop("status", None)
    if plan.status in ("completed", "cancelled") and (changes or new_status):
        raise InvalidTransition(
            f"This care plan is {plan.status}; start a new one instead.",
            extra={"current_status": plan.status, "allowed": []},
        )
    if (
        new_status
        and new_status != plan.status
        and new_status not in CARE_PLAN_TRANSITIONS[plan.status]
    ):
        raise InvalidTransition(
            f"A {plan.status.replace('_', ' ')} care plan cannot become "
            f"{new_status.replace('_', ' ')}.",
            extra={
                "current_status": plan.status,
                "allowed": list(CARE_PLAN_TRANSITIONS[plan.status]),
            },
        )
    if "responsible_user_id" in changes:
        await _check_staff(db, changes["responsible_user_id"])
    for name, value in changes.items():
        if value is None and name in ("title", "goals"):
            continue
        setattr(plan, name, value)
    previous = plan.status
    if new_status:
        plan.status = new_status
    plan.updated_at = utcnow()
    await db.flush()
    await audit.record(
        db,
        actor,
        "care_plan.update",
        object_type="care_plan",
        object_id=plan.id,
        patient_id=plan.patient_id,
        detail={"fields": sorted(changes), "status": [previous, plan.status]},
    )
    return plan


async def list_care_plans(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    break_glass_reason: str | None = None,
) -> list[schemas.CarePlanOut]:
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    rows = await care_plans_of(db, patient.id)
    await audit.record(
        db,
        actor,
        "care_plan.list",
        object_type="care_plan",
        patient_id=patient.id,
        detail={"total": len(rows)},
    )
    return await present_care_plans(db, rows)


async def care_plans_of(db: AsyncSession, patient_id: int) -> list[CarePlan]:
    return list(
        await db.scalars(
            select(CarePlan)
            .where(CarePlan.patient_id == patient_id)
            .order_by(
                CarePlan.status.in_(("completed", "cancelled")),
                CarePlan.review_date,
                CarePlan.id.desc(),
            )
        )
    )
