"""The signed-in role's dashboard figures as JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from openward.core.actors import Actor
from openward.identity.access import DB, require
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
