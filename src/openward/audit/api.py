"""Browsing the audit trail (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from openward.audit.schemas import AuditEventOut, AuditList, ChainOut
from openward.core import audit, audit_checkpoints
from openward.core.actors import Actor
from openward.core.clock import as_aware
from openward.core.dates import Moment
from openward.core.params import Offset, QueryId
from openward.identity.access import DB, require

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[Actor, require("audit:read")]


@router.get("", response_model=AuditList, summary="Search the audit trail, newest first")
async def search_audit(
    actor: Auditor,
    db: DB,
    request: Request,
    actor_name: Annotated[
        str | None, Query(alias="actor", max_length=150, description="Username or user id")
    ] = None,
    patient_id: QueryId = None,
    action: Annotated[str | None, Query(max_length=64, description="Exact, or prefix*")] = None,
    outcome: Annotated[str | None, Query(pattern="^(success|failure|denied)$")] = None,
    since: Annotated[Moment | None, Query(alias="from")] = None,
    until: Annotated[Moment | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
):
    zone = request.app.state.settings.zone
    events, total = await audit.search(
        db,
        actor=actor_name,
        patient_id=patient_id,
        action=action,
        outcome=outcome,
        since=as_aware(since, zone),
        until=as_aware(until, zone),
        limit=limit,
        offset=offset,
    )
    return AuditList(items=[AuditEventOut.model_validate(e) for e in events], total=total)


@router.get(
    "/verify",
    response_model=ChainOut,
    summary="Check the keyed chain end to end and against its signed checkpoints",
)
async def verify_audit(actor: Auditor, db: DB, request: Request):
    path = request.app.state.settings.audit_checkpoint_file
    check = await audit_checkpoints.verify_trail(db, path)
    return ChainOut(
        ok=check.ok,
        checked=check.checked,
        broken_id=check.broken_id,
        problem=check.problem,
        finding=check.finding,
        legacy=check.legacy,
        checkpoints=check.checkpoints,
    )
