"""Patient records: creation with a unique MRN, lookup, and each access audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import NotFound
from openward.patients.models import Patient
from openward.patients.mrn import new_mrn

SEXES = ("female", "male", "other", "unknown")


class PatientNotFound(NotFound):
    code = "patient_not_found"
    title = "No such patient"


async def create(
    db: AsyncSession,
    actor: Actor,
    *,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    sex: str,
    phone: str | None = None,
    email: str | None = None,
    user_id: int | None = None,
) -> Patient:
    """Register a patient under a fresh MRN (retried on the rare random collision)."""
    for _attempt in range(5):
        patient = Patient(
            mrn=new_mrn(),
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            sex=sex,
            phone=phone,
            email=email,
            user_id=user_id,
        )
        try:
            async with db.begin_nested():
                db.add(patient)
                await db.flush()
        except IntegrityError:
            if await db.scalar(select(Patient.id).where(Patient.mrn == patient.mrn)) is None:
                raise
            continue
        await audit.record(
            db,
            actor,
            "patient.create",
            object_type="patient",
            object_id=patient.id,
            patient_id=patient.id,
        )
        return patient
    raise RuntimeError("could not allocate a unique MRN after 5 attempts")


async def for_user(db: AsyncSession, actor: Actor, user_id: int) -> Patient | None:
    """The patient record linked to a login, read on that person's behalf (audited)."""
    patient = await db.scalar(select(Patient).where(Patient.user_id == user_id))
    if patient is not None:
        await audit.record(
            db,
            actor,
            "patient.read",
            object_type="patient",
            object_id=patient.id,
            patient_id=patient.id,
        )
    return patient


async def count_active(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count(Patient.id)).where(Patient.is_active)) or 0)


async def count_registered_since(db: AsyncSession, since: object) -> int:
    query = select(func.count(Patient.id)).where(Patient.created_at >= since)
    return int(await db.scalar(query) or 0)
