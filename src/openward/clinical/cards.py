"""The clinical record's dashboard cards: the doctor's encounters to sign and patients
seen, the nurse's vital signs."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.config import Settings
from openward.core.actors import Actor
from openward.core.domains import Card


async def cards(db: AsyncSession, settings: Settings, actor: Actor) -> Sequence[Card]:
    if actor.role == "doctor":
        f = await clinical_service.dashboard_figures(db, actor, zone=settings.zone)
        return [
            Card(
                "drafts",
                "Encounters to sign",
                f["draft_encounters"],
                "/work/encounters?show=to_sign",
                "warning",
                rank=40,
            ),
            Card(
                "seen",
                "Patients seen, last 7 days",
                f["patients_seen_this_week"],
                "/work/encounters?show=recent",
                rank=60,
            ),
        ]
    if actor.role == "nurse":
        return await _nurse(db, settings, actor)
    return []


async def _nurse(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    clinical = await clinical_service.dashboard_figures(db, actor, zone=settings.zone)
    return [
        Card(
            "vitals_today",
            "Vital signs recorded today",
            clinical["vitals_recorded_today"],
            "/work/vital-signs?show=all",
        ),
        Card(
            "my_vitals",
            "Recorded by me today",
            clinical["my_vitals_today"],
            "/work/vital-signs?show=mine",
        ),
        Card(
            "flagged_vitals",
            "Out-of-range vital signs today",
            clinical["flagged_vitals_today"],
            "/work/vital-signs?show=flagged",
            "warning",
        ),
    ]
