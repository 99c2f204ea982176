"""The clinical domain's face to the rest of OpenWard: the look-ups other domains make
(allergies, encounters), the dashboard figures, and the access check and name look-up every clinical module shares.

The clinical record itself lives beside it, one subject a module: encounters, vital_signs,
allergies, problems, care_plans and chart. Every read and write is audited; access follows
patients_service.check_access (doctors their own patients or by break-the-glass, patients
only themselves)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import visit_history
from openward.clinical.models import Allergy, Encounter, EncounterDiagnosis, VitalSigns
from openward.core.actors import Actor
from openward.db import utcnow
from openward.patients import service as patients_service

if TYPE_CHECKING:
    from openward.patients.models import Patient

# ---------------------------------------------------------------- for other domains


async def active_allergies(db: AsyncSession, patient_id: int) -> list[tuple[str, str]]:
    """(substance, severity) of the patient's active allergies, for prescribing checks."""
    rows = await db.execute(
        select(Allergy.substance, Allergy.severity).where(
            Allergy.patient_id == patient_id, Allergy.status == "active"
        )
    )
    return [(substance, severity) for substance, severity in rows]


async def encounter_patient(db: AsyncSession, encounter_id: int) -> int | None:
    """The patient an encounter belongs to (None when there is no such encounter)."""
    return await db.scalar(select(Encounter.patient_id).where(Encounter.id == encounter_id))


async def signed_visits(db: AsyncSession) -> list[tuple[int, int, int, str, datetime]]:
    """(encounter, patient, author, primary ICD-10 code, signed at) of every signed visit
    encounter written here (not migrated): the pharmacy's demo prescribes from them."""
    rows = await db.execute(
        select(
            Encounter.id,
            Encounter.patient_id,
            Encounter.author_id,
            EncounterDiagnosis.code,
            Encounter.signed_at,
        )
        .join(EncounterDiagnosis, EncounterDiagnosis.encounter_id == Encounter.id)
        .where(
            Encounter.status == "signed",
            Encounter.origin == "recorded",
            Encounter.appointment_id.is_not(None),
            EncounterDiagnosis.is_primary,
        )
        .order_by(Encounter.signed_at, Encounter.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def encounter_for_appointment(db: AsyncSession, appointment_id: int) -> int | None:
    """The id of the encounter opened from an appointment, if any (appointment pages)."""
    return await db.scalar(select(Encounter.id).where(Encounter.appointment_id == appointment_id))


# ---------------------------------------------------------------- shared helpers


async def checked_patient(
    db: AsyncSession, actor: Actor, patient_id: int, break_glass_reason: str | None = None
) -> Patient:
    """The patient, after the care-relationship check (the caller audits what it does)."""
    patient = await patients_service.get(db, patient_id)
    await patients_service.check_access(db, actor, patient, break_glass_reason=break_glass_reason)
    return patient


# ---------------------------------------------------------------- dashboards


async def dashboard_figures(
    db: AsyncSession, actor: Actor, *, zone: tzinfo = UTC
) -> dict[str, int]:
    """Figures for the signed-in clinician's dashboard. Doctors: drafts awaiting their
    signature, encounters and distinct patients in the last 7 days. Nurses: vital sign sets
    recorded today (from midnight in the hospital's time zone) by anyone and by themselves.
    Others: nothing."""
    now = utcnow()
    if actor.role == "doctor":
        week_ago = now - timedelta(days=7)
        drafts = await db.scalar(
            select(func.count(Encounter.id)).where(
                Encounter.author_id == actor.id, Encounter.status == "draft"
            )
        )
        this_week = select(Encounter).where(
            Encounter.author_id == actor.id, Encounter.created_at >= week_ago
        )
        encounters = await db.scalar(select(func.count()).select_from(this_week.subquery()))
        patients = await db.scalar(
            select(func.count(func.distinct(Encounter.patient_id))).where(
                Encounter.author_id == actor.id, Encounter.created_at >= week_ago
            )
        )
        return {
            "draft_encounters": int(drafts or 0),
            "encounters_this_week": int(encounters or 0),
            "patients_seen_this_week": int(patients or 0),
        }
    if actor.role == "nurse":
        start = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        today = select(func.count(VitalSigns.id)).where(VitalSigns.created_at >= start)
        mine = today.where(VitalSigns.recorded_by == actor.id)
        flagged = today.where(VitalSigns.flags != "")
        return {
            "vitals_recorded_today": int(await db.scalar(today) or 0),
            "my_vitals_today": int(await db.scalar(mine) or 0),
            "flagged_vitals_today": int(await db.scalar(flagged) or 0),
        }
    return {}


async def history(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    zone: tzinfo,
    break_glass_reason: str | None = None,
):
    """A patient's visits with their encounters (`visit_history`), for the dashboards."""
    return await visit_history.history(
        db,
        actor,
        patient_id,
        zone=zone,
        break_glass_reason=break_glass_reason,  # type: ignore[arg-type]
    )
