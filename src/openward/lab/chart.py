"""What the patient chart shows of the laboratory: orders and results on the timeline.

Unaudited reads for the chart, which audits the chart view as a whole."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core.timeline import TimelineItem
from openward.lab.models import LabOrder, LabOrderTest, LabResult, LabTest

_CRITICAL = ("critical_low", "critical_high")


async def timeline(db: AsyncSession, patient_id: int, *, limit: int = 50) -> list[TimelineItem]:
    orders = (
        await db.scalars(
            select(LabOrder)
            .where(LabOrder.patient_id == patient_id)
            .order_by(LabOrder.ordered_at.desc())
            .limit(limit)
        )
    ).all()
    if not orders:
        return []
    ids = [o.id for o in orders]
    names: dict[int, list[str]] = {}
    for order_id, name in await db.execute(
        select(LabOrderTest.order_id, LabTest.name)
        .join(LabTest, LabTest.id == LabOrderTest.test_id)
        .where(LabOrderTest.order_id.in_(ids))
        .order_by(LabOrderTest.id)
    ):
        names.setdefault(order_id, []).append(name)
    flags: dict[int, set[str]] = {}
    for order_id, flag in await db.execute(
        select(LabResult.order_id, LabResult.flag).where(
            LabResult.order_id.in_(ids), LabResult.flag != "normal"
        )
    ):
        flags.setdefault(order_id, set()).add(flag)
    items = []
    for order in orders:
        shown = flags.get(order.id, set()) if order.status == "verified" else set()
        flag = "critical" if shown & set(_CRITICAL) else ("abnormal" if shown else None)
        items.append(
            TimelineItem(
                at=order.verified_at or order.ordered_at,
                kind="lab",
                title=f"{', '.join(names.get(order.id, [])) or 'Lab order'} — "
                f"{order.status.replace('_', ' ')}",
                detail=f"{order.priority} order #{order.id}",
                link=f"/lab/orders/{order.id}",
                flag=flag,
            )
        )
    return items
