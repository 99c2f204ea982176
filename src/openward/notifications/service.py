"""In-app notifications: written by reactions to domain events, read by their one user."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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
    rows = await db.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


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
    return note


async def mark_all_read(db: AsyncSession, actor: Actor) -> int:
    result = await db.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
