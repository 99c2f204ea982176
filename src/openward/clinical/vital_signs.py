"""Recording and listing a patient's vital signs, with the BMI and out-of-range flags
worked out by the rules in vitals.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import schemas
from openward.clinical import vitals as vital_rules
from openward.clinical.errors import NoVitals
from openward.clinical.models import VitalSigns
from openward.clinical.service import checked_patient, encounter_patient
from openward.core import audit, dates
from openward.core.actors import Actor
from openward.core.errors import ValidationFailed
from openward.db import utcnow
from openward.identity import service as identity_service

# ---------------------------------------------------------------- vital signs


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def present_vitals(rows: Sequence[VitalSigns], names: dict[int, str]) -> list[schemas.VitalsOut]:
    return [
        schemas.VitalsOut(
            id=v.id,
            patient_id=v.patient_id,
            encounter_id=v.encounter_id,
            systolic=v.systolic,
            diastolic=v.diastolic,
            pulse=v.pulse,
            respiratory_rate=v.respiratory_rate,
            temperature=_number(v.temperature),
            spo2=v.spo2,
            weight_kg=_number(v.weight_kg),
            height_cm=_number(v.height_cm),
            bmi=_number(v.bmi),
            flags=[f for f in (v.flags or "").split(",") if f],
            taken_at=v.taken_at,
            recorded_by=v.recorded_by,
            recorded_by_name=names.get(v.recorded_by, "—"),
            created_at=v.created_at,
        )
        for v in rows
    ]


async def _latest(db: AsyncSession, patient_id: int, column: Any) -> Decimal | None:
    return await db.scalar(
        select(column)
        .where(VitalSigns.patient_id == patient_id, column.is_not(None))
        .order_by(VitalSigns.taken_at.desc(), VitalSigns.id.desc())
        .limit(1)
    )


async def record_vitals(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    data: schemas.VitalsIn,
    *,
    break_glass_reason: str | None = None,
) -> VitalSigns:
    """A set of observations (any subset). BMI comes from this set's weight and height, or
    the latest ones recorded before; `flags` names every value outside the adult range."""
    values = data.model_dump(include=set(vital_rules.FIELDS))
    if all(values[name] is None for name in vital_rules.FIELDS):
        raise NoVitals(
            "Enter at least one measurement (blood pressure, pulse, temperature, ...).",
            field="systolic",
        )
    if (
        values["systolic"] is not None
        and values["diastolic"] is not None
        and values["diastolic"] >= values["systolic"]
    ):
        raise ValidationFailed(
            "The diastolic pressure must be lower than the systolic.", field="diastolic"
        )
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    taken_at = data.taken_at or utcnow()
    if taken_at.tzinfo is None:
        raise ValidationFailed("Give the time with its UTC offset.", field="taken_at")
    if taken_at > utcnow() + timedelta(minutes=5):
        raise ValidationFailed("Vital signs cannot be taken in the future.", field="taken_at")
    dates.check_clinical(taken_at, field="taken_at", born=patient.date_of_birth)
    if (
        data.encounter_id is not None
        and await encounter_patient(db, data.encounter_id) != patient.id
    ):
        raise ValidationFailed("That encounter is not this patient's.", field="encounter_id")
    weight = values["weight_kg"]
    height = values["height_cm"]
    if weight is not None or height is not None:
        weight = (
            weight if weight is not None else await _latest(db, patient.id, VitalSigns.weight_kg)
        )
        height = (
            height if height is not None else await _latest(db, patient.id, VitalSigns.height_cm)
        )
    bmi = vital_rules.bmi(weight, height) if (values["weight_kg"] or values["height_cm"]) else None
    flags = vital_rules.flags({**values, "bmi": bmi})
    row = VitalSigns(
        patient_id=patient.id,
        encounter_id=data.encounter_id,
        **values,
        bmi=bmi,
        flags=",".join(flags),
        taken_at=taken_at,
        recorded_by=actor.id,
    )
    db.add(row)
    await db.flush()
    await audit.record(
        db,
        actor,
        "vitals.record",
        object_type="vital_signs",
        object_id=row.id,
        patient_id=patient.id,
        reason=break_glass_reason,
        detail={"flags": flags},
    )
    return row


async def list_vitals(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    limit: int = 50,
    offset: int = 0,
    break_glass_reason: str | None = None,
) -> tuple[list[schemas.VitalsOut], int]:
    """Newest first, with the recorder's name."""
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    rows, total = await vitals_of(db, patient.id, limit=limit, offset=offset)
    await audit.record(
        db,
        actor,
        "vitals.list",
        object_type="vital_signs",
        patient_id=patient.id,
        detail={"total": total, "shown": [v.id for v in rows]},
    )
    return present_vitals(
        rows, await identity_service.full_names(db, [v.recorded_by for v in rows])
    ), total


async def vitals_of(
    db: AsyncSession, patient_id: int, *, limit: int, offset: int = 0
) -> tuple[list[VitalSigns], int]:
    query = select(VitalSigns).where(VitalSigns.patient_id == patient_id)
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(
        await db.scalars(
            query.order_by(VitalSigns.taken_at.desc(), VitalSigns.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return rows, total
