"""Registration and changes: a new record under a unique MRN, the duplicate checks at the
front desk, changing and (de)activating a record, and linking an online login to it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.db import insert_unless_taken, utcnow
from openward.patients import schemas
from openward.patients.access import check_access, get
from openward.patients.errors import NationalIdTaken, PossibleDuplicate
from openward.patients.models import Patient
from openward.patients.mrn import new_mrn
from openward.patients.search_keys import digits_of, refresh_search_keys, search_name

SEXES = ("female", "male", "other", "unknown")


# ---------------------------------------------------------------- registration


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
    **details: Any,
) -> Patient:
    """Register a patient under a fresh MRN (retried on the rare random collision)."""
    national_id = details.get("national_id")
    if national_id and await _national_id_owner(db, national_id) is not None:
        raise NationalIdTaken(field="national_id")
    for _attempt in range(5):
        draft = Patient(
            mrn=new_mrn(),
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            sex=sex,
            phone=phone,
            email=email,
            user_id=user_id,
            **details,
        )
        refresh_search_keys(draft)
        # A taken MRN (or national id) inserts nothing instead of failing: try again.
        patient = await insert_unless_taken(db, draft)
        if patient is None:
            if national_id and await _national_id_owner(db, national_id) is not None:
                raise NationalIdTaken(field="national_id")
            if await db.scalar(select(Patient.id).where(Patient.mrn == draft.mrn)) is None:
                raise RuntimeError("the patient row was refused by a unique constraint")
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


async def _national_id_owner(db: AsyncSession, national_id: str, skip_id: int = 0) -> int | None:
    return await db.scalar(
        select(Patient.id).where(Patient.national_id == national_id, Patient.id != skip_id)
    )


async def find_duplicates(
    db: AsyncSession,
    *,
    given_name: str | None,
    family_name: str | None,
    date_of_birth: date | None,
    phone: str | None = None,
    national_id: str | None = None,
    skip_id: int = 0,
) -> list[Patient]:
    """Active patients who may be the same person: same name and birth date, same phone, or
    same national id."""
    conditions = []
    if given_name and family_name and date_of_birth:
        conditions.append(
            and_(
                Patient.name_search == search_name(given_name, family_name),
                Patient.date_of_birth == date_of_birth,
            )
        )
    phone_digits = digits_of(phone)
    if phone_digits and len(phone_digits) >= 6:
        conditions.append(Patient.phone_digits == phone_digits)
    if national_id:
        conditions.append(Patient.national_id == schemas.national_id_key(national_id))
    if not conditions:
        return []
    rows = await db.scalars(
        select(Patient)
        .where(or_(*conditions), Patient.is_active, Patient.id != skip_id)
        .order_by(Patient.family_name, Patient.given_name)
        .limit(10)
    )
    return list(rows)


async def register(db: AsyncSession, actor: Actor, data: schemas.PatientCreate) -> Patient:
    """The front desk registers a patient; possible duplicates are shown first, and saved
    over only when the receptionist says so."""
    fields = data.model_dump(exclude={"allow_duplicate"})
    if not data.allow_duplicate:
        duplicates = await find_duplicates(
            db,
            given_name=data.given_name,
            family_name=data.family_name,
            date_of_birth=data.date_of_birth,
            phone=data.phone,
        )
        if duplicates:
            # The answer names the look-alikes: the disclosure is audited and kept.
            await audit_disclosure(db, actor, "patient.duplicates", duplicates)
            raise PossibleDuplicate(
                f"{len(duplicates)} registered patient(s) look like the same person; check them, "
                "then save again with allow_duplicate if this is someone else.",
                extra={
                    "duplicates": [
                        schemas.PatientBrief.model_validate(p).model_dump(mode="json")
                        for p in duplicates
                    ]
                },
            )
    return await create(db, actor, **fields)


async def possible_duplicates(db: AsyncSession, actor: Actor, **criteria: Any) -> list[Patient]:
    """The look-alikes of someone about to be registered, read on the actor's behalf (the
    patients shown are audited)."""
    found = await find_duplicates(db, **criteria)
    await audit_disclosure(db, actor, "patient.duplicates", found)
    return found


async def audit_disclosure(
    db: AsyncSession, actor: Actor, action: str, patients: list[Patient], **detail: Any
) -> None:
    """One audit row naming every patient an answer disclosed (patient_id when just one)."""
    ids = sorted({p.id for p in patients})
    await audit.record(
        db,
        actor,
        action,
        object_type="patient",
        object_id=ids[0] if len(ids) == 1 else None,
        patient_id=ids[0] if len(ids) == 1 else None,
        detail={**detail, "patients": ids},
    )


# ---------------------------------------------------------------- changes


_AUDITED_FIELDS = tuple(schemas.PatientUpdate.model_fields)


async def update(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    data: schemas.PatientUpdate | schemas.MyContactUpdate,
    *,
    break_glass_reason: str | None = None,
) -> Patient:
    patient = await get(db, patient_id)
    await check_access(db, actor, patient, break_glass_reason=break_glass_reason)
    changes = data.model_dump(exclude_unset=True)
    required = ("given_name", "family_name", "date_of_birth", "sex")
    if changes.get("national_id") and await _national_id_owner(
        db, changes["national_id"], skip_id=patient.id
    ):
        raise NationalIdTaken(field="national_id")
    changed = []
    for field, value in changes.items():
        if value is None and field in required:
            continue
        if getattr(patient, field) != value:
            setattr(patient, field, value)
            changed.append(field)
    refresh_search_keys(patient)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        raise NationalIdTaken(field="national_id") from None
    await audit.record(
        db,
        actor,
        "patient.update",
        object_type="patient",
        object_id=patient.id,
        patient_id=patient.id,
        detail={"fields": changed},
    )
    return patient


async def set_active(
    db: AsyncSession, actor: Actor, patient_id: int, active: bool, reason: str | None = None
) -> Patient:
    patient = await get(db, patient_id)
    await check_access(db, actor, patient)
    patient.is_active = active
    patient.deactivated_at = None if active else utcnow()
    patient.deactivated_reason = None if active else reason
    await db.flush()
    await audit.record(
        db,
        actor,
        "patient.activate" if active else "patient.deactivate",
        object_type="patient",
        object_id=patient.id,
        patient_id=patient.id,
        reason=reason,
    )
    return patient


async def link_login(db: AsyncSession, actor: Actor, patient: Patient, user_id: int) -> Patient:
    """Link a new online account to a record the activation code unlocked."""
    patient.user_id = user_id
    await db.flush()
    await audit.record(
        db,
        actor,
        "patient.link_login",
        object_type="patient",
        object_id=patient.id,
        patient_id=patient.id,
        detail={"user_id": user_id},
    )
    return patient
