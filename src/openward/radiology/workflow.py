"""An imaging order's steps: schedule, perform, report, verify and cancel, and the moves each
status allows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit, events
from openward.core.actors import Actor
from openward.core.clock import as_aware
from openward.core.errors import PermissionDenied
from openward.db import utcnow
from openward.radiology import schemas
from openward.radiology.errors import (
    InvalidTransition,
    NotInTheFuture,
    NotOrderingDoctor,
    NotYetFinal,
    SecondPersonRequired,
)
from openward.radiology.events import ReportAcknowledged, ReportReady
from openward.radiology.models import ImagingExam, ImagingOrder
from openward.radiology.orders import check_access, get, require_permission

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
MAX_SCHEDULE_AHEAD = timedelta(days=366)


def _allow(order: ImagingOrder, to: str, doing: str) -> None:
    if to not in TRANSITIONS[order.status]:
        raise InvalidTransition(
            f"A {order.status} imaging order cannot be {doing}.",
            extra={"current_status": order.status, "allowed": list(TRANSITIONS[order.status])},
        )


async def _step(
    db: AsyncSession, actor: Actor, order_id: int, permission: str, to: str, doing: str
) -> ImagingOrder:
    require_permission(actor, permission)
    order = await get(db, order_id, lock=True)
    await check_access(db, actor, order)
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
    db: AsyncSession,
    actor: Actor,
    order_id: int,
    *,
    release_hours: int,
    allow_self_verification: bool = False,
    now: datetime | None = None,
) -> ImagingOrder:
    """Sign the report off: the ordering doctor may read it now, the patient once the doctor
    acknowledged it or `release_hours` after verification. A second radiologist signs it off,
    unless the hospital allows self-verification (audited as such)."""
    order = await _step(db, actor, order_id, "radiology:process", "verified", "verified")
    self_verified = actor.id is not None and actor.id == order.reported_by
    if self_verified and not allow_self_verification:
        raise SecondPersonRequired(
            "You wrote this report: another radiologist verifies it.",
            extra={"reported_by": order.reported_by},
        )
    moment = now or utcnow()
    order.status = "verified"
    order.verified_at = moment
    order.verified_by = actor.id
    order.released_at = moment + timedelta(hours=release_hours)
    await _record(
        db,
        actor,
        order,
        "verify",
        reason="self-verified: the setting allows one-person departments"
        if self_verified
        else None,
        detail={
            "reported_by": order.reported_by,
            "self_verified": self_verified,
            "released_at": order.released_at,
        },
    )
    exam = await db.get(ImagingExam, order.exam_id)
    await events.publish(
        db,
        ReportReady(
            order_id=order.id,
            patient_id=order.patient_id,
            doctor_user_id=order.doctor_user_id,
            exam=exam.name if exam else "Imaging exam",
            released_at=order.released_at,
        ),
    )
    return order


def responsible_doctor(order: ImagingOrder) -> int | None:
    """The doctor who requested the exam: the one named on it, else the orderer."""
    return order.doctor_user_id or order.ordered_by


async def acknowledge(
    db: AsyncSession, actor: Actor, order_id: int, *, now: datetime | None = None
) -> ImagingOrder:
    """The requesting doctor has read the verified report: it reaches the patient now (if
    the release delay has not already passed). Acknowledging again changes nothing."""
    order = await get(db, order_id, lock=True)
    await check_access(db, actor, order)
    if actor.role != "doctor" or actor.id is None or actor.id != responsible_doctor(order):
        raise NotOrderingDoctor()
    if order.status != "verified":
        raise NotYetFinal(
            f"The report is not verified yet (the order is {order.status}).",
            extra={"current_status": order.status},
        )
    if order.acknowledged_at is not None:
        return order
    moment = now or utcnow()
    order.acknowledged_at, order.acknowledged_by = moment, actor.id
    released_now = order.released_at is None or order.released_at > moment
    if released_now:
        order.released_at = moment
    await _record(db, actor, order, "acknowledge", detail={"released_to_patient": released_now})
    if released_now:
        exam = await db.get(ImagingExam, order.exam_id)
        await events.publish(
            db,
            ReportAcknowledged(
                order_id=order.id,
                patient_id=order.patient_id,
                exam=exam.name if exam else "Imaging exam",
            ),
        )
    return order


async def cancel(db: AsyncSession, actor: Actor, order_id: int, reason: str) -> ImagingOrder:
    """Those who order or schedule may cancel, until the exam is performed."""
    if not (actor.can("radiology:order") or actor.can("radiology:schedule")):
        raise PermissionDenied("Only those who order or schedule exams may cancel them.")
    order = await get(db, order_id, lock=True)
    await check_access(db, actor, order)
    _allow(order, "cancelled", "cancelled")
    order.status = "cancelled"
    order.cancelled_at = utcnow()
    order.cancelled_by = actor.id
    order.cancel_reason = reason
    await _record(db, actor, order, "cancel", reason=reason)
    return order
