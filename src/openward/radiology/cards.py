"""Radiology's dashboard cards: the radiologist's worklist by step."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core.actors import Actor
from openward.core.domains import Card
from openward.radiology import service as radiology_service


async def cards(db: AsyncSession, settings: Settings, actor: Actor) -> Sequence[Card]:
    return await _radiologist(db, settings, actor) if actor.role == "radiologist" else []


async def _radiologist(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    f = await radiology_service.dashboard_figures(db, actor, zone=settings.zone)
    worklist = "/radiology/worklist"
    return [
        Card(
            "stat", "STAT exams pending", f["stat_pending"], f"{worklist}?priority=stat", "danger"
        ),
        Card("to_schedule", "To schedule", f["to_schedule"], f"{worklist}?status=ordered"),
        Card("today", "Exams scheduled today", f["scheduled_today"], f"{worklist}?day=today"),
        Card(
            "to_report",
            "Performed, to report",
            f["awaiting_report"],
            f"{worklist}?status=performed",
            "warning",
        ),
        Card(
            "to_verify",
            "Reports to verify",
            f["awaiting_verification"],
            f"{worklist}?status=reported",
            "warning",
        ),
    ]
