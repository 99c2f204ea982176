"""In-app notifications: written by reactions to domain events, read by their one user."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import NotFound
from openward.db import utcnow
from openward.notifications.models import Notification


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    title = "No such notification"


async def notify(
    db: AsyncSession,
    user_id: int | None,
    *,
    kind: str,
    title: str,
    body: str | None = None,
    link: str | None = None,
    patient_id: int | None = None,
    severity: str = "info",
) -> Notification | None:
    """One notification for one user; nobody to tell (no user) is not an error."""
    if user_id is None:
        return None
    note = Notification(
        user_id=user_id,
        kind=kind,
        title=title[:200],
        body=body,
        link=link,
        patient_id=patient_id,
        severity=severity,
    )
    db.add(note)
    await db.flush()
    return note


async def list_for(
    db: AsyncSession, actor: Actor, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> tuple[list[Notification], int]:
    query = select(Notification).where(Notification.user_id == actor.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = await db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        await db.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    named = sorted({n.patient_id for n in rows if n.patient_id is not None})
    if named:  # titles name the patients ("Critical lab result: Ana Pérez"): audit whose
        await audit.record(
            db,
            actor,
            "notification.list",
            object_type="notification",
            patient_id=named[0] if len(named) == 1 else None,
            detail={"total": total, "patients": named},
        )
    return rows, total


async def unread_count(db: AsyncSession, user_id: int | None) -> int:
    if user_id is None:
        return 0
    return (
        await db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


async def mark_read(db: AsyncSession, actor: Actor, notification_id: int) -> Notification:
    note = await db.get(Notification, notification_id)
    if note is None or note.user_id != actor.id:  # someone else's is as good as missing
        raise NotificationNotFound()
    if note.read_at is None:
        note.read_at = utcnow()
        await db.flush()
    if note.patient_id is not None:
        await audit.record(
            db,
            actor,
            "notification.read",
            object_type="notification",
            object_id=note.id,
            patient_id=note.patient_id,
        )
    return note


async def mark_all_read(db: AsyncSession, actor: Actor) -> int:
    result = await db.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
