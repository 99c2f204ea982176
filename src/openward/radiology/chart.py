"""What the patient chart shows of radiology: imaging orders and reports on the timeline.

Unaudited reads for the chart, which audits the chart view as a whole."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core.timeline import TimelineItem
from openward.radiology.models import ImagingExam, ImagingOrder


async def timeline(db: AsyncSession, patient_id: int, *, limit: int = 50) -> list[TimelineItem]:
    rows = await db.execute(
        select(ImagingOrder, ImagingExam.name)
        .join(ImagingExam, ImagingExam.id == ImagingOrder.exam_id)
        .where(ImagingOrder.patient_id == patient_id)
        .order_by(ImagingOrder.ordered_at.desc())
        .limit(limit)
    )
    return [
        TimelineItem(
            at=order.verified_at or order.ordered_at,
            kind="imaging",
            title=f"{exam} — {order.status}",
            detail=(order.impression or "") if order.status == "verified" else "",
            link=f"/radiology/orders/{order.id}",
        )
        for order, exam in rows
    ]
