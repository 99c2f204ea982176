"""The treatment record a doctor writes when completing a visit (diagnosis, notes, a
free-text prescription, the next visit), and reading them back for the visit history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.scheduling.models import Treatment


async def record_treatment(
    db: AsyncSession,
    actor: Actor,
    *,
    appointment_id: int,
    patient_id: int,
    doctor_id: int,
    diagnosis: str,
    treatment_notes: str | None,
    prescription: str | None,
    next_visit_date: date | None,
) -> Treatment:
    treatment = Treatment(
        appointment_id=appointment_id,
        patient_id=patient_id,
        doctor_id=doctor_id,
        diagnosis=diagnosis,
        treatment_notes=treatment_notes,
        prescription=prescription,
        next_visit_date=next_visit_date,
        recorded_by=actor.id,
    )
    db.add(treatment)
    await db.flush()
    await audit.record(
        db,
        actor,
        "treatment.record",
        object_type="treatment",
        object_id=treatment.id,
        patient_id=patient_id,
        detail={"appointment_id": appointment_id},
    )
    return treatment


async def for_appointments(
    db: AsyncSession, appointment_ids: Sequence[int]
) -> dict[int, Treatment]:
    if not appointment_ids:
        return {}
    rows = await db.scalars(
        select(Treatment).where(Treatment.appointment_id.in_(set(appointment_ids)))
    )
    return {t.appointment_id: t for t in rows}
