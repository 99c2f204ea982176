"""The radiology domain as other domains read it: a doctor's inbox of verified reports, the
patient's own reports and the radiologist's dashboard figures.

The rest of radiology lives beside it: `catalogue` (modalities, exams), `orders` (who may see
an order, placing one, presenting it), `workflow` (the steps from ordered to verified),
`worklist` (lists scoped by who is asking, each day's bookings) and `attachments` (images and
documents of an order).

Choices worth knowing:
- Scheduling does not refuse two exams overlapping on one modality: the catalogue has no
  rooms or machines, and most departments run several X-ray rooms and ultrasound couches.
  The worklist shows each day's bookings per modality so the desk can spread them.
- A second radiologist verifies (signs off) a report: its author is refused with 409
  `second_person_required`, unless settings.allow_self_verification (one-person
  departments), when the verification is audited as self-verified. Re-reporting is allowed
  until then.
- The requesting doctor acknowledges a verified report; the patient reads it from then, or
  settings.result_release_hours after verification, whichever comes first.
- An exam is performed only once it is scheduled (a walk-in is scheduled for now + a few
  minutes first), so the steps are exactly ordered -> scheduled -> performed -> reported
  -> verified; cancelling is possible before the exam is performed. Who may read a report:
  doctors, nurses and patients only once it is verified; radiologists from the first draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.timeline import InboxRow
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.patients import service as patients_service
from openward.radiology.models import ImagingExam, ImagingOrder, Modality
from openward.radiology.orders import released_to_patients
from openward.radiology.workflow import TRANSITIONS
from openward.radiology.worklist import audit_list

INBOX_DAYS = 30
# What the radiologist's cards count (and the worklist filters behind them show).
BOOKED_TODAY = ("scheduled", "performed", "reported", "verified")
STAT_PENDING = ("ordered", "scheduled", "performed")


async def inbox(
    db: AsyncSession, actor: Actor, *, limit: int = 100, to_acknowledge: bool = False
) -> list[InboxRow]:
    """Verified reports of exams this doctor requested, from the last 30 days, newest first.
    `to_acknowledge`: every one not yet acknowledged, however old."""
    since = utcnow() - timedelta(days=INBOX_DAYS)
    if to_acknowledge:
        recent = ImagingOrder.acknowledged_at.is_(None)
    else:
        recent = ImagingOrder.verified_at >= since
    rows = list(
        (
            await db.execute(
                select(ImagingOrder, ImagingExam.name)
                .join(ImagingExam, ImagingExam.id == ImagingOrder.exam_id)
                .where(
                    ImagingOrder.doctor_user_id == actor.id,
                    ImagingOrder.status == "verified",
                    recent,
                )
                .order_by(ImagingOrder.verified_at.desc(), ImagingOrder.id.desc())
                .limit(limit)
            )
        ).all()
    )
    patients = await patients_service.briefs(db, [order.patient_id for order, _name in rows])
    acknowledgers = await identity_service.full_names(
        db, [order.acknowledged_by for order, _name in rows]
    )
    await audit_list(db, actor, [order for order, _name in rows], action="radiology.inbox")
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
            acknowledged_at=order.acknowledged_at,
            acknowledged_by_name=acknowledgers.get(order.acknowledged_by)
            if order.acknowledged_by
            else None,
            acknowledge_url=None
            if order.acknowledged_at
            else f"/radiology/orders/{order.id}/acknowledge",
        )
        for order, name in rows
    ]


async def to_acknowledge_count(db: AsyncSession, actor: Actor) -> int:
    """The doctor's verified reports not yet acknowledged."""
    return int(
        await db.scalar(
            select(func.count(ImagingOrder.id)).where(
                ImagingOrder.doctor_user_id == actor.id,
                ImagingOrder.status == "verified",
                ImagingOrder.acknowledged_at.is_(None),
            )
        )
        or 0
    )


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
    """The signed-in patient's imaging reports released to them, newest first (audited)."""
    patient_id = await patients_service.my_id(db, actor)
    if patient_id is None:
        return []
    rows = list(
        (
            await db.execute(
                select(ImagingOrder, ImagingExam.name, Modality.name)
                .join(ImagingExam, ImagingExam.id == ImagingOrder.exam_id)
                .join(Modality, Modality.id == ImagingExam.modality_id)
                .where(ImagingOrder.patient_id == patient_id, released_to_patients())
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
            ImagingOrder.status.in_(BOOKED_TODAY),
            ImagingOrder.scheduled_at >= start,
            ImagingOrder.scheduled_at < end,
        )
    )
    stat_pending = await db.scalar(
        select(func.count(ImagingOrder.id)).where(
            ImagingOrder.priority == "stat",
            ImagingOrder.status.in_(STAT_PENDING),
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
