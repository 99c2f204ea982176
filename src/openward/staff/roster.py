"""The roster: the active doctors who may be given a patient, by department or specialty
(scheduling picks the earliest free one among them)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.staff.models import Doctor


async def active_doctors(
    db: AsyncSession, *, department_id: int | None = None, specialization: str | None = None
) -> list[Doctor]:
    query = select(Doctor).where(Doctor.is_active).order_by(Doctor.id)
    if department_id is not None:
        query = query.where(Doctor.department_id == department_id)
    if specialization:
        query = query.where(func.lower(Doctor.specialization) == specialization.strip().lower())
    return list(await db.scalars(query))
