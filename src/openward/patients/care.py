"""The care relationship: which doctors are in a patient's care. The access check reads it,
and only it: the care team (assigned here) and the relationships other domains start and
end through `begin` and `end` (an appointment booked or cancelled, later an admission)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from openward.db import insert_on_conflict, utcnow
from openward.patients.models import CareRelationship, CareTeamMember


async def begin(
    db: AsyncSession, *, patient_id: int, doctor_id: int, source: str, source_id: int
) -> None:
    """The doctor is in the patient's care because of this appointment (admission, ...).
    One statement: the same event again, or the source moved to another doctor, updates the
    row its source already has."""
    values = {
        "patient_id": patient_id,
        "doctor_id": doctor_id,
        "source": source,
        "source_id": source_id,
        "is_active": True,
        "started_at": utcnow(),
        "ended_at": None,
    }
    insert = insert_on_conflict(db)
    statement = insert(CareRelationship).values(**values)
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=["source", "source_id"],
            set_={
                "patient_id": patient_id,
                "doctor_id": doctor_id,
                "is_active": True,
                "ended_at": None,
            },
        )
    )


async def end(db: AsyncSession, *, source: str, source_id: int) -> None:
    """That appointment (admission, ...) no longer puts the doctor in the patient's care."""
    found = await db.scalar(
        select(CareRelationship).where(
            CareRelationship.source == source,
            CareRelationship.source_id == source_id,
            CareRelationship.is_active,
        )
    )
    if found is not None:
        found.is_active, found.ended_at = False, utcnow()
        await db.flush()


async def in_care(db: AsyncSession, doctor_id: int, patient_id: int) -> bool:
    """On the patient's care team, or in a relationship that has not ended."""
    on_team = exists().where(
        CareTeamMember.patient_id == patient_id,
        CareTeamMember.doctor_id == doctor_id,
        CareTeamMember.is_active,
    )
    related = exists().where(
        CareRelationship.patient_id == patient_id,
        CareRelationship.doctor_id == doctor_id,
        CareRelationship.is_active,
    )
    return bool(await db.scalar(select(on_team | related)))


def patient_ids_in_care(doctor_id: int) -> Select[Any]:
    """The patients a doctor may see without breaking the glass, as a subquery for lists."""
    return select(
        union(
            select(CareTeamMember.patient_id).where(
                CareTeamMember.doctor_id == doctor_id, CareTeamMember.is_active
            ),
            select(CareRelationship.patient_id).where(
                CareRelationship.doctor_id == doctor_id, CareRelationship.is_active
            ),
        ).subquery()
    )
