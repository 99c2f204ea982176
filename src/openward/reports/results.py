"""The doctor's results inbox: lab results and imaging reports of the orders they are
responsible for, critical first, in one list."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core.actors import Actor
from openward.core.timeline import InboxRow
from openward.lab import service as lab_service
from openward.radiology import service as radiology_service


async def inbox(db: AsyncSession, actor: Actor, *, limit: int = 100) -> list[InboxRow]:
    """Both departments' rows (each audits what it shows), critical first, then newest."""
    rows = await lab_service.inbox(db, actor, limit=limit)
    rows += await radiology_service.inbox(db, actor, limit=limit)
    rows.sort(key=lambda r: (r.flag != "critical", -r.at.timestamp()))
    return rows[:limit]
