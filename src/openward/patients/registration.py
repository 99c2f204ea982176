"""Registration and changes: a new record under a unique MRN, the duplicate checks at the
front desk, changing and (de)activating a record, and linking an online login to it."""

from __future__ import annotations

from datetime import date
from typing import Any

from rapidfuzz.distance import OSA
from sqlalchemy import and_, or_, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit, events
from openward.core.actors import Actor
from openward.db import insert_unless_taken, utcnow
from openward.patients import schemas
from openward.patients.access import check_access, get
from openward.patients.errors import NationalIdTaken, PossibleDuplicate
from openward.patients.events import AllergiesReported, ReportedAllergy
from openward.patients.models import Patient
from openward.patients.mrn import new_mrn
from openward.patients.search_keys import (
    digits_of,
    phone_key,
    phone_region,
    refresh_search_keys,
    search_name,
)

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
        refresh_search_keys(draft, phone_region(db))
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


# Why a registered patient may be the person at the desk (the `match` of each look-alike).
SAME_NAME, SIMILAR_NAME, SWAPPED_NAMES, SAME_PHONE, SAME_NATIONAL_ID = (
    "same_name",
    "similar_name",
    "swapped_names",
    "same_phone",
    "same_national_id",
)
# Patients born on one day, read for the spelling comparison: about 27 a day at a million
# patients; a placeholder birth date (1900-01-01) shared by thousands is read this far.
_SAME_BIRTHDAY_READ = 2000


def _same_sex(sex: str | None, theirs: str) -> bool:
    """Unknown on either side cannot tell two people apart."""
    return sex in (None, "unknown") or theirs == "unknown" or sex == theirs


def _name_match(name: str, swapped: str, sex: str | None, theirs: str, their_name: str) -> str:
    """How a name born the same day resembles the new one: the same, given and family names
    swapped, or one letter away (a letter added, dropped, changed or two letters swapped)
    with the same sex; '' when it does not."""
    if their_name == name:
        return SAME_NAME
    if their_name == swapped:
        return SWAPPED_NAMES
    if not _same_sex(sex, theirs):
        return ""
    if OSA.distance(their_name, name, score_cutoff=1) <= 1:
        return SIMILAR_NAME
    if OSA.distance(their_name, swapped, score_cutoff=1) <= 1:
        return SWAPPED_NAMES
    return ""


async def look_alikes(
    db: AsyncSession,
    *,
    given_name: str | None,
    family_name: str | None,
    date_of_birth: date | None,
    sex: str | None = None,
    phone: str | None = None,
    national_id: str | None = None,
    skip_id: int = 0,
) -> list[tuple[Patient, str]]:
    """Active patients who may be the same person, each with why: born the same day with the
    same name, the names swapped, or a name one letter away (and the same sex); the same
    phone number however it is written; or the same national id. At most ten, read in one
    statement: those matched by an index, and those born the same day for the spelling."""
    name = swapped = ""
    exact: list[Any] = []  # matches an index finds by equality
    if given_name and family_name and date_of_birth:
        name = search_name(given_name, family_name)
        swapped = search_name(family_name, given_name)
        # Equal names by their index, however many others share the birthday.
        exact.append(
            and_(
                Patient.name_search.in_([name, swapped]),
                Patient.date_of_birth == date_of_birth,
            )
        )
    key = phone_key(phone, phone_region(db))
    phone_digits = digits_of(phone) or ""
    if key:
        exact.append(Patient.phone_e164 == key)
    if len(phone_digits) >= 6:
        exact.append(Patient.phone_digits == phone_digits)
    national_id_key = schemas.national_id_key(national_id) if national_id else ""
    if national_id_key:
        exact.append(Patient.national_id == national_id_key)
    if not exact:
        return []

    def ids_where(*where: Any, limit: int) -> Any:
        limited = (
            select(Patient.id)
            .where(*where, Patient.is_active, Patient.id != skip_id)
            .limit(limit)
            .subquery()
        )
        return select(limited.c.id)

    candidates = [ids_where(or_(*exact), limit=10)]
    if name:  # near names among those born that day (ix_patients_dob_family)
        same_day = ids_where(Patient.date_of_birth == date_of_birth, limit=_SAME_BIRTHDAY_READ)
        candidates.append(same_day)
    rows = await db.scalars(select(Patient).where(Patient.id.in_(union(*candidates))))
    found = []
    for patient in rows:
        why = ""
        if name and patient.date_of_birth == date_of_birth:
            why = _name_match(name, swapped, sex, patient.sex, patient.name_search)
        if not why and national_id_key and patient.national_id == national_id_key:
            why = SAME_NATIONAL_ID
        if not why and (
            (key and patient.phone_e164 == key)
            or (len(phone_digits) >= 6 and patient.phone_digits == phone_digits)
        ):
            why = SAME_PHONE
        if why:
            found.append((patient, why))
    found.sort(key=lambda match: (match[0].family_name, match[0].given_name, match[0].id))
    return found[:10]


async def find_duplicates(db: AsyncSession, **criteria: Any) -> list[Patient]:
    """The patients of look_alikes, without the why."""
    return [patient for patient, _ in await look_alikes(db, **criteria)]


async def register(db: AsyncSession, actor: Actor, data: schemas.PatientCreate) -> Patient:
    """The front desk registers a patient; possible duplicates are shown first, and saved
    over only when the receptionist says so."""
    fields = data.model_dump(exclude={"allow_duplicate", "allergies", "no_known_allergies"})
    if not data.allow_duplicate:
        found = await look_alikes(
            db,
            given_name=data.given_name,
            family_name=data.family_name,
            date_of_birth=data.date_of_birth,
            sex=data.sex,
            phone=data.phone,
        )
        if found:
            # The answer names the look-alikes: the disclosure is audited and kept.
            await audit_disclosure(db, actor, "patient.duplicates", [p for p, _ in found])
            raise PossibleDuplicate(
                f"{len(found)} registered patient(s) look like the same person; check them, "
                "then save again with allow_duplicate if this is someone else.",
                extra={
                    "duplicates": [
                        {
                            **schemas.PatientBrief.model_validate(p).model_dump(mode="json"),
                            "match": why,
                        }
                        for p, why in found
                    ]
                },
            )
    patient = await create(db, actor, **fields)
    await report_allergies(db, actor, patient.id, data)
    return patient


async def report_allergies(
    db: AsyncSession, actor: Actor, patient_id: int, data: schemas.AllergiesTold
) -> None:
    """Allergies told at registration join the chart's one allergy list (the clinical domain
    reacts); nothing is published when the patient was not asked."""
    if not data.allergies and not data.no_known_allergies:
        return
    await events.publish(
        db,
        AllergiesReported(
            patient_id=patient_id,
            actor=actor,
            allergies=tuple(
                ReportedAllergy(a.substance, a.reaction, a.severity) for a in data.allergies
            ),
            no_known_allergies=data.no_known_allergies,
        ),
    )


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
    refresh_search_keys(patient, phone_region(db))
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
