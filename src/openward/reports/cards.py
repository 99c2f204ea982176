"""The reports domain's dashboard card: the doctor's results to acknowledge (lab results and
imaging reports together), linking to the results inbox filtered to them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core.actors import Actor
from openward.core.domains import Card
from openward.reports import results


async def cards(db: AsyncSession, settings: Settings, actor: Actor) -> Sequence[Card]:
    if actor.role != "doctor":
        return []
    return [
        Card(
            "to_acknowledge",
            "Results to acknowledge",
            await results.to_acknowledge_count(db, actor),
            "/results?show=to_acknowledge",
            "warning",
            rank=5,
        )
    ]
