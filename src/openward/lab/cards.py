"""The laboratory's dashboard cards: the doctor's results and orders, the technician's
worklist by step."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core.actors import Actor
from openward.core.domains import Card
from openward.lab import service as lab_service


async def cards(db: AsyncSession, settings: Settings, actor: Actor) -> Sequence[Card]:
    if actor.role == "doctor":
        f = await lab_service.dashboard_figures(db, actor, zone=settings.zone)
        return [
            Card(
                "critical_results",
                "Critical results awaiting verification",
                f["critical_awaiting_verification"],
                "/results",
                "danger",
                rank=10,
            ),
            Card(
                "results",
                "Lab results, last 30 days",
                f["results_last_30_days"],
                "/results",
                rank=20,
            ),
            Card(
                "pending_lab",
                "Lab orders in progress",
                f["pending_orders"],
                "/lab/orders?status=open",
                rank=30,
            ),
        ]
    if actor.role == "lab_technician":
        return await _technician(db, settings, actor)
    return []


async def _technician(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    f = await lab_service.dashboard_figures(db, actor, zone=settings.zone)
    worklist = "/lab/worklist"
    return [
        Card(
            "stat", "STAT orders pending", f["stat_pending"], f"{worklist}?priority=stat", "danger"
        ),
        Card("to_collect", "Specimens to collect", f["ordered"], f"{worklist}?status=ordered"),
        Card("collected", "Collected, not started", f["collected"], f"{worklist}?status=collected"),
        Card("in_progress", "In progress", f["in_progress"], f"{worklist}?status=in_progress"),
        Card(
            "to_verify",
            "Results to verify",
            f["resulted"],
            f"{worklist}?status=resulted",
            "warning",
        ),
        Card(
            "critical_today",
            "Critical values today",
            f["critical_today"],
            "/lab/critical-values",
            "danger",
        ),
    ]
