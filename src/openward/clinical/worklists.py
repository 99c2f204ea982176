"""The lists behind the clinical dashboard cards: a doctor's encounters to sign and the
patients they saw in the last 7 days, and the vital signs recorded today (all, the nurse's
own, out of range). Each list counts exactly what its card counts, and is audited with the
patients it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical.models import Encounter, VitalSigns
from openward.core import audit
from openward.core.actors import Actor
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.patients import service as patients_service

ENCOUNTER_LISTS = {"to_sign": "Encounters to sign", "recent": "Encounters, last 7 days"}
VITALS_LISTS = {
    "flagged": "Out-of-range vital signs today",
    "mine": "Vital signs I recorded today",
    "all": "Vital signs recorded today",
}
RECENT_DAYS = 7
LIMIT = 200


@dataclass(frozen=True)
class EncounterRow:
    encounter_id: int
    patient_id: int
    patient_name: str
    mrn: str
    status: str
    chief_complaint: str
    created_at: datetime


@dataclass(frozen=True)
class VitalsRow:
    vitals_id: int
    patient_id: int
    patient_name: str
    mrn: str
    taken_at: datetime
    readings: str  # "BP 160/95 · pulse 110 · SpO2 91%"
    flags: list[str]
    recorded_by_name: str


async def my_encounters(
    db: AsyncSession, actor: Actor, show: str
) -> tuple[list[EncounterRow], int]:
    """The doctor's drafts awaiting their signature (oldest first: they wait longest), or
    every encounter they wrote in the last 7 days (newest first)."""
    query = select(Encounter).where(Encounter.author_id == actor.id)
    if show == "to_sign":
        query = query.where(Encounter.status == "draft")
        order = (Encounter.created_at, Encounter.id)
    else:
        since = utcnow() - timedelta(days=RECENT_DAYS)
        query = query.where(Encounter.created_at >= since)
        order = (Encounter.created_at.desc(), Encounter.id.desc())
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    encounters = list(await db.scalars(query.order_by(*order).limit(LIMIT)))
    patients = await patients_service.briefs(db, [e.patient_id for e in encounters])
    await audit.record(
        db,
        actor,
        "encounter.worklist",
        object_type="encounter",
        detail={
            "list": show,
            "total": total,
            "patients": sorted({e.patient_id for e in encounters}),
        },
    )
    return [
        EncounterRow(
            encounter_id=e.id,
            patient_id=e.patient_id,
            patient_name=patients[e.patient_id].full_name,
            mrn=patients[e.patient_id].mrn,
            status=e.status,
            chief_complaint=e.chief_complaint,
            created_at=e.created_at,
        )
        for e in encounters
    ], total


def _readings(v: VitalSigns) -> str:
    parts = []
    if v.systolic is not None and v.diastolic is not None:
        parts.append(f"BP {v.systolic}/{v.diastolic}")
    if v.pulse is not None:
        parts.append(f"pulse {v.pulse}")
    if v.respiratory_rate is not None:
        parts.append(f"resp. {v.respiratory_rate}")
    if v.temperature is not None:
        parts.append(f"{v.temperature} °C")
    if v.spo2 is not None:
        parts.append(f"SpO2 {v.spo2}%")
    if v.bmi is not None:
        parts.append(f"BMI {v.bmi}")
    return " · ".join(parts) or "—"


async def vitals_today(
    db: AsyncSession, actor: Actor, show: str, *, zone: tzinfo = UTC
) -> tuple[list[VitalsRow], int]:
    """Vital sign sets recorded since midnight in the hospital's time zone, newest first:
    every one, the reader's own, or those with a value out of range."""
    start = utcnow().astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    query = select(VitalSigns).where(VitalSigns.created_at >= start)
    if show == "mine":
        query = query.where(VitalSigns.recorded_by == actor.id)
    elif show == "flagged":
        query = query.where(VitalSigns.flags != "")
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(
        await db.scalars(
            query.order_by(VitalSigns.created_at.desc(), VitalSigns.id.desc()).limit(LIMIT)
        )
    )
    patients = await patients_service.briefs(db, [v.patient_id for v in rows])
    names = await identity_service.full_names(db, [v.recorded_by for v in rows])
    await audit.record(
        db,
        actor,
        "vitals.worklist",
        object_type="vital_signs",
        detail={"list": show, "total": total, "patients": sorted({v.patient_id for v in rows})},
    )
    return [
        VitalsRow(
            vitals_id=v.id,
            patient_id=v.patient_id,
            patient_name=patients[v.patient_id].full_name,
            mrn=patients[v.patient_id].mrn,
            taken_at=v.taken_at,
            readings=_readings(v),
            flags=[f for f in (v.flags or "").split(",") if f],
            recorded_by_name=names.get(v.recorded_by, "—"),
        )
        for v in rows
    ], total
