"""The care team: the doctors assigned to a patient by name (the relationships other domains
start and end, and the check that reads both, are in `care`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.db import utcnow
from openward.patients import schemas
from openward.patients.access import get_for
from openward.patients.errors import NotOnCareTeam
from openward.patients.models import CareTeamMember
from openward.staff import service as staff_service


async def _membership(db: AsyncSession, patient_id: int, doctor_id: int) -> CareTeamMember | None:
    """The doctor's current place on the patient's care team, if any."""
    return await db.scalar(
        select(CareTeamMember).where(
            CareTeamMember.patient_id == patient_id,
            CareTeamMember.doctor_id == doctor_id,
            CareTeamMember.is_active,
        )
    )


async def care_team(db: AsyncSession, patient_id: int) -> list[schemas.CareTeamMemberOut]:
    members = list(
        await db.scalars(
            select(CareTeamMember)
            .where(CareTeamMember.patient_id == patient_id, CareTeamMember.is_active)
            .order_by(CareTeamMember.assigned_at)
        )
    )
    views = await staff_service.doctor_views(db, [m.doctor_id for m in members])
    return [
        schemas.CareTeamMemberOut(
            doctor_id=m.doctor_id,
            doctor_name=views[m.doctor_id].name,
            department_name=views[m.doctor_id].department.name,
            specialization=views[m.doctor_id].doctor.specialization,
            assigned_at=m.assigned_at,
        )
        for m in members
    ]


async def assign_doctor(
    db: AsyncSession, actor: Actor, patient_id: int, doctor_id: int
) -> list[schemas.CareTeamMemberOut]:
    patient = await get_for(db, actor, patient_id)
    await staff_service.get_doctor(db, doctor_id)
    if await _membership(db, patient.id, doctor_id) is None:
        try:
            async with db.begin_nested():
                db.add(
                    CareTeamMember(patient_id=patient.id, doctor_id=doctor_id, assigned_by=actor.id)
                )
                await db.flush()
        except IntegrityError:
            pass  # assigned by someone else this instant: the outcome is the same
        await audit.record(
            db,
            actor,
            "care_team.assign",
            object_type="patient",
            object_id=patient.id,
            patient_id=patient.id,
            detail={"doctor_id": doctor_id},
        )
    return await care_team(db, patient.id)


async def remove_doctor(
    db: AsyncSession, actor: Actor, patient_id: int, doctor_id: int
) -> list[schemas.CareTeamMemberOut]:
    patient = await get_for(db, actor, patient_id)
    member = await _membership(db, patient.id, doctor_id)
    if member is None:
        raise NotOnCareTeam()
    member.is_active = False
    member.removed_at = utcnow()
    member.removed_by = actor.id
    await db.flush()
    await audit.record(
        db,
        actor,
        "care_team.remove",
        object_type="patient",
        object_id=patient.id,
        patient_id=patient.id,
        detail={"doctor_id": doctor_id},
    )
    return await care_team(db, patient.id)
