"""The signed-in user's notifications as JSON: the bell's list, count and read marks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from openward.core.actors import Actor
from openward.core.params import Offset, RowId
from openward.identity.access import DB, require
from openward.notifications import schemas
from openward.notifications import service as notifications_service

router = APIRouter(prefix="/api/v1", tags=["notifications"])

Reader = Annotated[Actor, require("notifications:read")]


@router.get("/notifications", response_model=schemas.NotificationList, summary="Mine, newest first")
async def list_notifications(
    actor: Reader,
    db: DB,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
):
    rows, total = await notifications_service.list_for(
        db, actor, unread_only=unread, limit=limit, offset=offset
    )
    return {
        "items": [schemas.NotificationOut.of(n) for n in rows],
        "total": total,
        "unread": await notifications_service.unread_count(db, actor.id),
    }


@router.get("/notifications/unread-count", response_model=schemas.UnreadCount)
async def unread_count(actor: Reader, db: DB):
    return {"unread": await notifications_service.unread_count(db, actor.id)}


@router.post("/notifications/read-all", response_model=schemas.MarkedRead)
async def read_all(actor: Reader, db: DB):
    return {"marked": await notifications_service.mark_all_read(db, actor)}


@router.post("/notifications/{notification_id}/read", response_model=schemas.NotificationOut)
async def read_one(notification_id: RowId, actor: Reader, db: DB):
    return schemas.NotificationOut.of(
        await notifications_service.mark_read(db, actor, notification_id)
    )
