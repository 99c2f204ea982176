"""How the audit trail names a doctor and a department (audit's NAMES extension point):
one query per kind for a whole page of the trail."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.identity import service as identity_service
from openward.staff.models import Department, Doctor


async def doctor_and_department_names(
    db: AsyncSession, wanted: Mapping[str, set[int]]
) -> dict[tuple[str, int], str]:
    names: dict[tuple[str, int], str] = {}
    if doctor_ids := wanted.get("doctor"):
        rows = await db.execute(
            select(Doctor.id, identity_service.name_of(Doctor.user_id)).where(
                Doctor.id.in_(doctor_ids)
            )
        )
        names.update({("doctor", doctor_id): name for doctor_id, name in rows if name})
    if department_ids := wanted.get("department"):
        rows = await db.execute(
            select(Department.id, Department.name).where(Department.id.in_(department_ids))
        )
        names.update({("department", department_id): name for department_id, name in rows})
    return names
