"""The notifications page: the bell's full list, opening one marks it read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from openward.core.actors import Actor
from openward.core.params import Offset, RowId
from openward.identity.access import DB, require
from openward.notifications import service as notifications_service
from openward.web.forms import flash, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("notifications:read")]
PAGE = 50


@router.get("/notifications")
async def notifications_page(
    request: Request,
    actor: Reader,
    db: DB,
    unread: bool = False,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE,
):
    rows, total = await notifications_service.list_for(
        db, actor, unread_only=unread, limit=limit, offset=offset
    )
    return render(
        request,
        "notifications/list.html",
        {
            "rows": rows,
            "total": total,
            "limit": limit,
            "offset": offset,
            "unread_only": unread,
            "base_query": "unread=true" if unread else "",
        },
    )


@router.post("/notifications/{notification_id}/open")
async def open_notification(notification_id: RowId, request: Request, actor: Reader, db: DB):
    await read_form(request)
    note = await notifications_service.mark_read(db, actor, notification_id)
    link = note.link if note.link and note.link.startswith("/") else "/notifications"
    return redirect(request, link)


@router.post("/notifications/read-all")
async def read_all(request: Request, actor: Reader, db: DB):
    await read_form(request)
    marked = await notifications_service.mark_all_read(db, actor)
    flash(request, f"{marked} notification{'s' if marked != 1 else ''} marked as read.")
    return redirect(request, "/notifications")
