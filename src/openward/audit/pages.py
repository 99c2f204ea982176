"""The audit trail page: filter, page through and verify the chain."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from openward.core import audit
from openward.core.actors import Actor
from openward.core.params import Offset, parse_id
from openward.identity.access import DB, require
from openward.web.forms import read_form
from openward.web.templating import render

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Actor, require("audit:read")]
_PAGE = 50


def _day_start(text: str | None, zone, *, next_day: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    start = datetime.combine(day, time.min, tzinfo=zone)
    if not next_day:
        return start
    try:
        return start + timedelta(days=1)
    except OverflowError:  # up to 9999-12-31 inclusive: no upper bound at all
        return None


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
            "events": events,
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
    check = await audit.verify_chain(db)
    await audit.record(
        db,
        actor,
        "audit.verify",
        outcome="success" if check.ok else "failure",
        detail={"checked": check.checked, "broken_id": check.broken_id},
    )
    events, total = await audit.search(db, limit=_PAGE)
    return render(
        request,
        "audit/audit.html",
        {
            "events": events,
            "total": total,
            "filters": {},
            "offset": 0,
            "limit": _PAGE,
            "base_query": "",
            "check": check,
        },
    )
