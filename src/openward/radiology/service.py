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
- The radiologist who wrote a report may verify it (sign it off); hospitals that want a
  second reader do so by practice, not by this rule. Re-reporting is allowed until then.
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
from openward.patients import service as patients_service
from openward.radiology.models import ImagingExam, ImagingOrder, Modality
from openward.radiology.workflow import TRANSITIONS
from openward.radiology.worklist import audit_list

INBOX_DAYS = 30


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
