"""The doctor's results inbox: lab results and imaging reports of the orders they are
responsible for, critical first, in one list."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core.actors import Actor
from openward.core.timeline import InboxRow, inbox_order
from openward.lab import service as lab_service
from openward.radiology import service as radiology_service


async def inbox(
    db: AsyncSession, actor: Actor, *, limit: int = 100, to_acknowledge: bool = False
) -> list[InboxRow]:
    """Both departments' rows (each audits what it shows): critical results not yet
    acknowledged first, then critical, then newest. `to_acknowledge`: only verified results
    the doctor has not acknowledged yet."""
    rows = await lab_service.inbox(db, actor, limit=limit, to_acknowledge=to_acknowledge)
    rows += await radiology_service.inbox(db, actor, limit=limit, to_acknowledge=to_acknowledge)
    rows.sort(key=inbox_order)
    return rows[:limit]


async def to_acknowledge_count(db: AsyncSession, actor: Actor) -> int:
    """Verified lab results and imaging reports the doctor has not acknowledged yet."""
    return await lab_service.to_acknowledge_count(
        db, actor
    ) + await radiology_service.to_acknowledge_count(db, actor)
