"""The starter catalogues a new hospital begins with (and the demo loads): whatever the
installed domains seed (medicines and supplies, lab tests, imaging exams, ...)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.app import DOMAINS


async def seed_catalogues(db: AsyncSession) -> dict[str, int]:
    """Add what is missing (idempotent); returns how many rows each catalogue gained."""
    added: dict[str, int] = {}
    for domain in DOMAINS:
        for name, seed in domain.catalogues.items():
            added[name] = await seed(db)
    return added
