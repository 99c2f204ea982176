"""The starter catalogues a new hospital begins with (and the demo loads): medicines and
supplies, lab tests with their reference ranges, imaging modalities and exams."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def seed_catalogues(db: AsyncSession) -> dict[str, int]:
    """Add what is missing (idempotent); returns how many rows each catalogue gained."""
    from openward.lab import demo as lab_demo
    from openward.pharmacy import demo as pharmacy_demo
    from openward.radiology import demo as radiology_demo

    return {
        "medicines and supplies": await pharmacy_demo.seed_catalogue(db),
        "lab tests": await lab_demo.seed_catalogue(db),
        "imaging exams": await radiology_demo.seed_catalogue(db),
    }
