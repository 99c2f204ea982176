"""The signed-in role's dashboard figures as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from openward.core.actors import Actor
from openward.identity.access import DB, require
from openward.reports import results as results_inbox
from openward.reports import service as reports_service

router = APIRouter(prefix="/api/v1", tags=["reports"])


class DashboardOut(BaseModel):
    role: str
    figures: dict[str, Any]
    lists: dict[str, list[dict[str, Any]]]


@router.get("/dashboard", response_model=DashboardOut, summary="Your role's dashboard figures")
async def get_dashboard(
    actor: Annotated[Actor, require("dashboard:view")], request: Request, db: DB
):
    return await reports_service.dashboard(db, request.app.state.settings, actor)


class InboxRowOut(BaseModel):
    at: datetime
    kind: Literal["lab", "imaging"]
    order_id: int
    patient_id: int
    patient_name: str
    mrn: str
    title: str
    status: str
    flag: Literal["critical", "abnormal"] | None
    link: str
    acknowledged_at: datetime | None = None
    acknowledged_by_name: str | None = None


class InboxOut(BaseModel):
    items: list[InboxRowOut]
    total: int


@router.get(
    "/results/inbox",
    response_model=InboxOut,
    summary="The doctor's lab results and imaging reports, unacknowledged critical first",
)
async def results_inbox_api(
    actor: Annotated[Actor, require("results:inbox")],
    db: DB,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    to_acknowledge: Annotated[
        bool, Query(description="Only verified results not yet acknowledged")
    ] = False,
):
    rows = await results_inbox.inbox(db, actor, limit=limit, to_acknowledge=to_acknowledge)
    fields = InboxRowOut.model_fields
    return {
        "items": [InboxRowOut(**{k: v for k, v in vars(r).items() if k in fields}) for r in rows],
        "total": len(rows),
    }
