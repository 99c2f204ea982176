"""A patient's allergies: recorded once per active substance, changed but never deleted,
listed active and most dangerous first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import schemas
from openward.clinical.errors import AllergyExists, AllergyNotFound
from openward.clinical.models import Allergy
from openward.clinical.service import checked_patient
from openward.core import audit
from openward.core.actors import Actor
from openward.db import utcnow
from openward.identity import service as identity_service

SEVERE = ("severe", "life_threatening")


# ---------------------------------------------------------------- allergies


def present_allergies(rows: Sequence[Allergy], names: dict[int, str]) -> list[schemas.AllergyOut]:
    return [
        schemas.AllergyOut(
            id=a.id,
            patient_id=a.patient_id,
            substance=a.substance,
            reaction=a.reaction,
            severity=a.severity,  # type: ignore[arg-type]
            status=a.status,  # type: ignore[arg-type]
            recorded_by=a.recorded_by,
            recorded_by_name=names.get(a.recorded_by, "—"),
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in rows
    ]


async def add_allergy(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    data: schemas.AllergyIn,
    *,
    break_glass_reason: str | None = None,
) -> Allergy:
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    existing = await db.scalar(
        select(Allergy.id).where(
            Allergy.patient_id == patient.id,
            Allergy.status == "active",
            func.lower(Allergy.substance) == data.substance.lower(),
        )
    )
    if existing is not None:
        raise AllergyExists(
            f"{data.substance} is already an active allergy; change that entry instead.",
            field="substance",
            extra={"allergy_id": existing},
        )
    allergy = Allergy(
        patient_id=patient.id,
        substance=data.substance,
        reaction=data.reaction,
        severity=data.severity,
        status="active",
        recorded_by=actor.id,
    )
    db.add(allergy)
    await db.flush()
    await audit.record(
        db,
        actor,
        "allergy.create",
        object_type="allergy",
        object_id=allergy.id,
        patient_id=patient.id,
        reason=break_glass_reason,
        detail={"substance": data.substance, "severity": data.severity},
    )
    return allergy


async def update_allergy(
    db: AsyncSession, actor: Actor, allergy_id: int, data: schemas.AllergyUpdate
) -> Allergy:
    """Severity, reaction or status (inactive, resolved, refuted): never deleted."""
    allergy = await db.get(Allergy, allergy_id)
    if allergy is None:
        raise AllergyNotFound()
    await checked_patient(db, actor, allergy.patient_id)
    changes = data.model_dump(exclude_unset=True)
    changed = {}
    for name in ("reaction", "severity", "status"):
        if name not in changes or (changes[name] is None and name != "reaction"):
            continue
        if getattr(allergy, name) != changes[name]:
            changed[name] = [getattr(allergy, name), changes[name]]
            setattr(allergy, name, changes[name])
    allergy.updated_at = utcnow()
    await db.flush()
    await audit.record(
        db,
        actor,
        "allergy.update",
        object_type="allergy",
        object_id=allergy.id,
        patient_id=allergy.patient_id,
        detail={"changes": changed},
    )
    return allergy


async def list_allergies(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    status: str | None = None,
    break_glass_reason: str | None = None,
) -> list[schemas.AllergyOut]:
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    rows = await allergies_of(db, patient.id, status)
    await audit.record(
        db,
        actor,
        "allergy.list",
        object_type="allergy",
        patient_id=patient.id,
        detail={"total": len(rows)},
    )
    return present_allergies(
        rows, await identity_service.full_names(db, [a.recorded_by for a in rows])
    )


async def allergies_of(db: AsyncSession, patient_id: int, status: str | None = None):
    query = select(Allergy).where(Allergy.patient_id == patient_id)
    if status:
        query = query.where(Allergy.status == status)
    # Active first, then the most dangerous.
    order = [
        (Allergy.status != "active"),
        Allergy.severity.in_(SEVERE).desc(),
        Allergy.substance,
    ]
    return list(await db.scalars(query.order_by(*order)))
