"""The audit trail page: filter, page through and verify the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from openward.audit.readable import readable
from openward.core import audit, audit_checkpoints, dates
from openward.core.actors import Actor
from openward.core.params import Offset, parse_id
from openward.identity.access import DB, require
from openward.web.forms import read_form
from openward.web.templating import render

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Actor, require("audit:read")]
_PAGE = 50


def _day_start(text: str | None, zone, *, next_day: bool = False) -> datetime | None:
    day = dates.parse_day(text)  # a date outside the calendar is no bound at all
    if day is None:
        return None
    start, end = dates.day_bounds(day, day, zone)
    return end if next_day else start


@router.get("/admin/audit")
async def audit_page(
    request: Request,
    actor: Auditor,
    db: DB,
    actor_name: Annotated[str | None, Query(alias="actor", max_length=150)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[str | None, Query(max_length=16)] = None,
    patient_id: Annotated[str | None, Query(max_length=12)] = None,
    since: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    offset: Offset = 0,
):
    zone = request.app.state.settings.zone
    filters = {
        "actor": actor_name or "",
        "action": action or "",
        "outcome": outcome or "",
        "patient_id": patient_id or "",
        "from": since or "",
        "to": until or "",
    }
    events, total = await audit.search(
        db,
        actor=actor_name or None,
        action=action or None,
        outcome=outcome if outcome in ("success", "failure", "denied") else None,
        patient_id=parse_id(patient_id),
        since=_day_start(since, zone),
        until=_day_start(until, zone, next_day=True),
        limit=_PAGE,
        offset=offset,
    )
    base_query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "audit/audit.html",
        {
            "events": await readable(db, events),
            "total": total,
            "filters": filters,
            "offset": offset,
            "limit": _PAGE,
            "base_query": base_query,
            "check": None,
        },
    )


@router.post("/admin/audit/verify")
async def audit_verify(request: Request, actor: Auditor, db: DB):
    await read_form(request)
    path = request.app.state.settings.audit_checkpoint_file
    check = await audit_checkpoints.verify_trail(db, path)
    await audit.record(
        db,
        actor,
        "audit.verify",
        outcome="success" if check.ok else "failure",
        detail={"checked": check.checked, "broken_id": check.broken_id, "finding": check.finding},
    )
    events, total = await audit.search(db, limit=_PAGE)
    return render(
        request,
        "audit/audit.html",
        {
            "events": await readable(db, events),
            "total": total,
            "filters": {},
            "offset": 0,
            "limit": _PAGE,
            "base_query": "",
            "check": check,
        },
    )
