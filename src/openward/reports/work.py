"""The "work waiting" cards at the top of each dashboard: whatever the installed domains
count for the actor's role (each domain declares its card sources), each linking to its list."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core import domains
from openward.core.actors import Actor


async def cards_for(db: AsyncSession, settings: Settings, actor: Actor) -> list[dict[str, Any]]:
    cards = [
        card for source in domains.card_sources() for card in await source(db, settings, actor)
    ]
    cards.sort(key=lambda card: card.rank)
    return [{k: v for k, v in asdict(card).items() if k != "rank"} for card in cards]
