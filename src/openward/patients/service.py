"""Patient records: registration with a unique MRN, duplicate checks, search, changes, the
care team, and who may see whom. Every read and write of a patient is audited."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import PermissionDenied
from openward.core.schemas import search_text
from openward.db import utcnow
from openward.patients import schemas
from openward.patients.errors import (
    NationalIdTaken,
    NotOnCareTeam,
    NotYourPatient,
    NotYourRecord,
    PatientNotFound,
    PossibleDuplicate,
)
from openward.patients.models import CareTeamMember, Patient
from openward.patients.mrn import new_mrn

SEXES = ("female", "male", "other", "unknown")
# Roles that see every patient: the front desk, the wards and the administrator.
ALL_PATIENTS_ROLES = ("admin", "receptionist", "nurse")
# Departments that serve any patient sent to them (prescriptions, lab and imaging orders):
# their services reach a patient through an order, never through the patient list.
DEPARTMENT_ROLES = ("pharmacist", "lab_technician", "radiologist")
# A break-the-glass reason: long enough to say something, short enough for the audit trail.
BREAK_GLASS_MIN = 5
BREAK_GLASS_MAX = 500

__all__ = ["PatientNotFound", "create", "get_for", "register", "search"]


# ---------------------------------------------------------------- search keys


# Letters that are not "a letter plus an accent" to Unicode, so NFKD leaves them alone.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)


def fold(text: str) -> str:
    """Lower case without accents, spaces collapsed: 'Łukasz  WÓJCIK' -> 'lukasz wojcik'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.translate(_UNDECOMPOSED).split())


def search_name(given_name: str, family_name: str) -> str:
    return fold(f"{given_name} {family_name}")


def digits_of(text: str | None) -> str | None:
    # Decimal digits of any script count as the digit they are ("٣" is 3); "²" is none.
    digits = "".join(str(int(c)) for c in (text or "") if c.isdecimal())
    return digits or None


def _refresh_search_keys(patient: Patient) -> None:
    patient.name_search = search_name(patient.given_name, patient.family_name)
    patient.phone_digits = digits_of(patient.phone)


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
        patient = Patient(
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
        _refresh_search_keys(patient)
        try:
            async with db.begin_nested():
                db.add(patient)
                await db.flush()
        except IntegrityError:
            if national_id and await _national_id_owner(db, national_id) is not None:
                raise NationalIdTaken(field="national_id") from None
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


# ---------------------------------------------------------------- who may see whom


async def _doctor_relationship(db: AsyncSession, doctor_id: int, patient_id: int) -> bool:
    from openward.scheduling import service as scheduling_service

    on_team = await _membership(db, patient_id, doctor_id)
    return on_team is not None or await scheduling_service.has_seen(db, doctor_id, patient_id)


def break_glass_problem(reason: str) -> str | None:
    """What is wrong with a reason typed on a break-the-glass page, or None if it will do."""
    if len(reason) < BREAK_GLASS_MIN:
        return f"Say why you need this record (at least {BREAK_GLASS_MIN} characters)."
    if len(reason) > BREAK_GLASS_MAX:
        return f"Keep the reason under {BREAK_GLASS_MAX} characters."
    return None


async def check_access(
    db: AsyncSession,
    actor: Actor,
    patient: Patient,
    *,
    break_glass_reason: str | None = None,
) -> None:
    """The care relationship decides: front desk and wards see everyone, doctors their own
    patients (anyone else only by audited break-the-glass), patients only themselves."""
    if actor.role in ALL_PATIENTS_ROLES + DEPARTMENT_ROLES or actor.via in (
        "cli",
        "demo",
        "job",
        "system",
    ):
        return
    if actor.role == "patient":
        if patient.user_id is None or patient.user_id != actor.id:
            await _denied(db, actor, patient, "not_your_record")
            raise NotYourRecord()
        return
    if actor.role == "doctor":
        from openward.staff import service as staff_service

        doctor_id = await staff_service.doctor_id_of(db, actor)
        if doctor_id is not None and await _doctor_relationship(db, doctor_id, patient.id):
            return
        reason = (break_glass_reason or "").strip()
        if len(reason) >= BREAK_GLASS_MIN:
            await audit.record(
                db,
                actor,
                "patient.break_glass",
                object_type="patient",
                object_id=patient.id,
                patient_id=patient.id,
                reason=reason[:BREAK_GLASS_MAX],
            )
            return
        await _denied(db, actor, patient, "not_your_patient")
        raise NotYourPatient(
            "This patient is not under your care. In an emergency, give a reason to break the "
            "glass (X-Break-Glass-Reason); the access is audited."
        )
    await _denied(db, actor, patient, "role")
    raise PermissionDenied()


async def _denied(db: AsyncSession, actor: Actor, patient: Patient, why: str) -> None:
    await audit.record(
        db,
        actor,
        "patient.read",
        object_type="patient",
        object_id=patient.id,
        patient_id=patient.id,
        outcome="denied",
        detail={"why": why},
    )


async def get(db: AsyncSession, patient_id: int) -> Patient:
    """The row, unchecked and unaudited: for other services that check and audit themselves."""
    patient = await db.get(Patient, patient_id)
    if patient is None:
        raise PatientNotFound()
    return patient


async def get_for(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    break_glass_reason: str | None = None,
    action: str = "patient.read",
) -> Patient:
    """A patient read on the actor's behalf: access checked, the read audited."""
    patient = await get(db, patient_id)
    await check_access(db, actor, patient, break_glass_reason=break_glass_reason)
    await audit.record(
        db, actor, action, object_type="patient", object_id=patient.id, patient_id=patient.id
    )
    return patient


async def briefs(db: AsyncSession, patient_ids: list[int]) -> dict[int, Patient]:
    """Many patients at once for lists that name them (the caller audits the list)."""
    if not patient_ids:
        return {}
    rows = await db.scalars(select(Patient).where(Patient.id.in_(set(patient_ids))))
    return {p.id: p for p in rows}


# ---------------------------------------------------------------- search


async def _scope(db: AsyncSession, actor: Actor, query: Select[Any]) -> Select[Any]:
    """Lists show a doctor only their patients (care team or appointments)."""
    if actor.role != "doctor":
        return query
    from openward.scheduling import service as scheduling_service
    from openward.staff import service as staff_service

    doctor_id = await staff_service.doctor_id_of(db, actor)
    if doctor_id is None:
        return query.where(Patient.id.is_(None))
    on_team = select(CareTeamMember.patient_id).where(
        CareTeamMember.doctor_id == doctor_id, CareTeamMember.is_active
    )
    seen = scheduling_service.patient_ids_of_doctor(doctor_id)
    return query.where(or_(Patient.id.in_(on_team), Patient.id.in_(seen)))


def _matching(q: str) -> tuple[Any, Any]:
    """(where clause, rank) for a search box: name words in any order, MRN, phone, national
    id. Rank 0 is an exact identifier, 1 the exact name, 2 every word starting a name word."""
    words = fold(q).split()
    digits = digits_of(q) or ""
    name_match = and_(*[Patient.name_search.contains(w, autoescape=True) for w in words])
    word_starts = and_(
        *[
            or_(
                Patient.name_search.startswith(w, autoescape=True),
                Patient.name_search.contains(" " + w, autoescape=True),
            )
            for w in words
        ]
    )
    # Every branch is index-backed (trigram, unique or pattern indexes), so PostgreSQL can
    # combine them instead of reading the whole table.
    identifiers = [Patient.national_id == schemas.national_id_key(q)]
    found = [name_match, *identifiers] if words else list(identifiers)
    exact_id = or_(*identifiers)
    if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "").replace("-", "")) - 1:
        if len(digits) == 10:
            found.append(Patient.mrn == digits)
        else:
            found.append(Patient.mrn.startswith(digits))
        found.append(Patient.phone_digits.contains(digits))
        exact_id = or_(exact_id, Patient.mrn == digits)
    joined = " ".join(words)
    reversed_name = " ".join(reversed(words))
    rank = case(
        (exact_id, 0),
        (Patient.name_search.in_([joined, reversed_name]), 1),
        (word_starts, 2),
        else_=3,
    )
    return or_(*found), rank


# Counting every "García" among a million patients costs more than the page itself: the
# count stops here and the list says "1,000 or more".
COUNT_CAP = 1000


async def search(
    db: AsyncSession,
    actor: Actor,
    q: str | None,
    *,
    limit: int = 20,
    offset: int = 0,
    include_inactive: bool = False,
) -> tuple[list[Patient], int]:
    """Best matches first; without a query, the newest registrations first. The total is
    exact up to COUNT_CAP and capped there (see total_is_capped)."""
    query = select(Patient)
    if not include_inactive:
        query = query.where(Patient.is_active)
    query = await _scope(db, actor, query)
    q = search_text(q or "")  # a pasted name finds the record: NFC, no invisible characters
    if q:
        where, rank = _matching(q)
        query = query.where(where)
        ordered = query.order_by(rank, Patient.family_name, Patient.given_name, Patient.id)
    else:
        ordered = query.order_by(Patient.created_at.desc(), Patient.id.desc())
    capped = query.with_only_columns(Patient.id).limit(COUNT_CAP).subquery()
    total = int(await db.scalar(select(func.count()).select_from(capped)) or 0)
    rows = list(await db.scalars(ordered.limit(limit).offset(offset)))
    await audit.record(
        db,
        actor,
        "patient.search",
        object_type="patient",
        detail={"q": q[:100], "total": total, "shown": [p.id for p in rows]},
    )
    return rows, total


async def chosen_or_matches(
    db: AsyncSession, actor: Actor, patient_id: int | None, q: str | None
) -> tuple[Patient | None, list[Patient]]:
    """A form's patient step: the chosen patient (read as get_for does),
    or else the first ten matching what was typed."""
    if patient_id:
        return await get_for(db, actor, patient_id), []
    if q:
        matches, _ = await search(db, actor, q, limit=10)
        return None, matches
    return None, []


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
    _refresh_search_keys(patient)
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


async def mine(db: AsyncSession, actor: Actor) -> Patient:
    """A signed-in patient's own record."""
    patient = await for_user(db, actor, actor.id or 0)
    if patient is None:
        raise PatientNotFound("No patient record is linked to this account; ask the front desk.")
    return patient


async def my_id(db: AsyncSession, actor: Actor) -> int | None:
    """The patient id of a signed-in patient (None for staff or an unlinked login)."""
    if actor.role != "patient" or actor.id is None:
        return None
    return await db.scalar(select(Patient.id).where(Patient.user_id == actor.id))


# ---------------------------------------------------------------- care team


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
    from openward.staff import service as staff_service

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
    from openward.staff import service as staff_service

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


# ---------------------------------------------------------------- figures


async def count_active(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count(Patient.id)).where(Patient.is_active)) or 0)


async def count_registered_since(db: AsyncSession, since: object) -> int:
    query = select(func.count(Patient.id)).where(Patient.created_at >= since)
    return int(await db.scalar(query) or 0)
