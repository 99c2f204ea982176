"""Encounters: a doctor's draft with ICD-10 diagnoses, signed by its author and from then on
only amended; reading, listing and presenting them with names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import icd10, schemas
from openward.clinical.errors import (
    AppointmentMismatch,
    DiagnosisRequired,
    DuplicateDiagnosis,
    EncounterExists,
    EncounterNotFound,
    EncounterNotSigned,
    EncounterSigned,
    InvalidTransition,
    NotADoctor,
    NotEncounterAuthor,
    PrimaryDiagnosis,
    UnknownDiagnosisCode,
)
from openward.clinical.models import Encounter, EncounterAmendment, EncounterDiagnosis
from openward.clinical.service import checked_patient, encounter_for_appointment
from openward.core import audit, dates
from openward.core.actors import Actor
from openward.core.errors import ValidationFailed
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.patients import service as patients_service
from openward.scheduling import service as scheduling_service
from openward.scheduling.errors import NotYourAppointment
from openward.staff import service as staff_service

# ---------------------------------------------------------------- diagnoses


@dataclass(frozen=True)
class _Diagnosis:
    code: str
    description: str
    primary: bool
    position: int


def checked_diagnoses(items: Sequence[schemas.DiagnosisIn]) -> list[_Diagnosis]:
    """ICD-10 codes made canonical with their descriptions; exactly one primary (the first
    when none is marked). Unknown or repeated codes are named by their position."""
    found: list[_Diagnosis] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        code = icd10.lookup(item.code)
        if code is None:
            raise UnknownDiagnosisCode(
                f"'{item.code}' is not an ICD-10 diagnosis code; search by code or words.",
                field=f"diagnoses.{index}.code",
                extra={"unknown_code": item.code},
            )
        if code.code in seen:
            raise DuplicateDiagnosis(
                f"{code.code} is listed twice (as diagnosis {seen[code.code] + 1} and "
                f"{index + 1}).",
                field=f"diagnoses.{index}.code",
            )
        seen[code.code] = index
        found.append(_Diagnosis(code.code, code.description, item.primary, index))
    primaries = [d for d in found if d.primary]
    if len(primaries) > 1:
        raise PrimaryDiagnosis(
            "Mark only one diagnosis as primary "
            f"({', '.join(d.code for d in primaries)} are all marked).",
            field="diagnoses",
        )
    if found and not primaries:
        first = found[0]
        found[0] = _Diagnosis(first.code, first.description, True, first.position)
    return found


def _diagnosis_rows(encounter_id: int, items: list[_Diagnosis]) -> list[EncounterDiagnosis]:
    return [
        EncounterDiagnosis(
            encounter_id=encounter_id,
            code=d.code,
            description=d.description[:300],
            is_primary=d.primary,
            position=d.position,
        )
        for d in items
    ]


# ---------------------------------------------------------------- encounters: presenting


async def present_encounters(
    db: AsyncSession, encounters: Sequence[Encounter]
) -> list[schemas.EncounterOut]:
    """Encounters with names, diagnoses and amendments: a fixed number of queries."""
    if not encounters:
        return []
    ids = [e.id for e in encounters]
    diagnoses: dict[int, list[EncounterDiagnosis]] = {}
    for row in await db.scalars(
        select(EncounterDiagnosis)
        .where(EncounterDiagnosis.encounter_id.in_(ids))
        .order_by(EncounterDiagnosis.is_primary.desc(), EncounterDiagnosis.position)
    ):
        diagnoses.setdefault(row.encounter_id, []).append(row)
    amendments: dict[int, list[EncounterAmendment]] = {}
    for row in await db.scalars(
        select(EncounterAmendment)
        .where(EncounterAmendment.encounter_id.in_(ids))
        .order_by(EncounterAmendment.created_at, EncounterAmendment.id)
    ):
        amendments.setdefault(row.encounter_id, []).append(row)
    patients = await patients_service.briefs(db, [e.patient_id for e in encounters])
    doctors = await staff_service.doctor_views(db, [e.doctor_id for e in encounters if e.doctor_id])
    people = await identity_service.full_names(
        db,
        [e.author_id for e in encounters]
        + [e.signed_by for e in encounters]
        + [a.author_id for rows in amendments.values() for a in rows],
    )
    out = []
    for e in encounters:
        doctor = doctors.get(e.doctor_id) if e.doctor_id else None
        out.append(
            schemas.EncounterOut(
                id=e.id,
                status=e.status,  # type: ignore[arg-type]
                patient_id=e.patient_id,
                patient_name=patients[e.patient_id].full_name,
                appointment_id=e.appointment_id,
                doctor_id=e.doctor_id,
                doctor_name=doctor.name if doctor else None,
                author_id=e.author_id,
                author_name=people.get(e.author_id, "—"),
                chief_complaint=e.chief_complaint,
                history=e.history,
                examination=e.examination,
                assessment=e.assessment,
                plan=e.plan,
                next_visit_date=e.next_visit_date,
                origin=e.origin,  # type: ignore[arg-type]
                prescription_note=e.prescription_note,
                diagnoses=[
                    schemas.DiagnosisOut(
                        code=d.code, description=d.description, primary=d.is_primary
                    )
                    for d in diagnoses.get(e.id, [])
                ],
                amendments=[
                    schemas.AmendmentOut(
                        id=a.id,
                        text=a.text,
                        author_id=a.author_id,
                        author_name=people.get(a.author_id, "—"),
                        created_at=a.created_at,
                    )
                    for a in amendments.get(e.id, [])
                ],
                signed_at=e.signed_at,
                signed_by_name=people.get(e.signed_by) if e.signed_by else None,
                created_at=e.created_at,
                updated_at=e.updated_at,
            )
        )
    return out


async def present_encounter(db: AsyncSession, encounter: Encounter) -> schemas.EncounterOut:
    return (await present_encounters(db, [encounter]))[0]


# ---------------------------------------------------------------- encounters: reading


async def _get_encounter(db: AsyncSession, encounter_id: int) -> Encounter:
    encounter = await db.get(Encounter, encounter_id)
    if encounter is None:
        raise EncounterNotFound()
    return encounter


async def get_encounter(
    db: AsyncSession, actor: Actor, encounter_id: int, *, break_glass_reason: str | None = None
) -> Encounter:
    """One encounter on the actor's behalf: access checked, the read audited. Patients see
    their own signed encounters only (a draft is the doctor's work in progress)."""
    encounter = await _get_encounter(db, encounter_id)
    await checked_patient(db, actor, encounter.patient_id, break_glass_reason)
    if actor.role == "patient" and encounter.status != "signed":
        raise EncounterNotFound()
    await audit.record(
        db,
        actor,
        "encounter.read",
        object_type="encounter",
        object_id=encounter.id,
        patient_id=encounter.patient_id,
    )
    return encounter


def encounter_scope(actor: Actor, query: Any) -> Any:
    if actor.role == "patient":
        return query.where(Encounter.status == "signed")
    return query


async def list_encounters(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    limit: int = 50,
    offset: int = 0,
    break_glass_reason: str | None = None,
) -> tuple[list[Encounter], int]:
    """A patient's encounters, newest first."""
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    query = encounter_scope(actor, select(Encounter).where(Encounter.patient_id == patient.id))
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(
        await db.scalars(
            query.order_by(Encounter.created_at.desc(), Encounter.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    await audit.record(
        db,
        actor,
        "encounter.list",
        object_type="encounter",
        patient_id=patient.id,
        detail={"total": total, "shown": [e.id for e in rows]},
    )
    return rows, total


# ---------------------------------------------------------------- encounters: writing


async def _acting_doctor(db: AsyncSession, actor: Actor) -> int:
    doctor_id = await staff_service.doctor_id_of(db, actor)
    if doctor_id is None:
        raise NotADoctor()
    return doctor_id


async def _check_appointment(
    db: AsyncSession, appointment_id: int, patient_id: int, doctor_id: int
) -> None:
    appointment = await scheduling_service.get(db, appointment_id)
    if appointment.patient_id != patient_id:
        raise AppointmentMismatch("This appointment is another patient's.", field="appointment_id")
    if appointment.doctor_id != doctor_id:
        raise NotYourAppointment(
            "This appointment is with another doctor; open the encounter without it or ask "
            "that doctor.",
            field="appointment_id",
        )
    if appointment.status in ("cancelled", "no_show"):
        raise InvalidTransition(
            f"The appointment was {appointment.status.replace('_', ' ')}: no consultation "
            "took place to record.",
            field="appointment_id",
        )
    if await encounter_for_appointment(db, appointment_id) is not None:
        raise EncounterExists(field="appointment_id")


async def create_encounter(
    db: AsyncSession,
    actor: Actor,
    data: schemas.EncounterCreate,
    *,
    break_glass_reason: str | None = None,
) -> Encounter:
    """A doctor opens a draft encounter for a patient in their care (or from their own
    appointment with that patient; one encounter per appointment)."""
    doctor_id = await _acting_doctor(db, actor)
    patient = await checked_patient(db, actor, data.patient_id, break_glass_reason)
    dates.check_clinical(
        data.next_visit_date, field="next_visit_date", born=patient.date_of_birth, planned=True
    )
    if data.appointment_id is not None:
        await _check_appointment(db, data.appointment_id, patient.id, doctor_id)
    diagnoses = checked_diagnoses(data.diagnoses)
    encounter = Encounter(
        patient_id=patient.id,
        appointment_id=data.appointment_id,
        doctor_id=doctor_id,
        author_id=actor.id,
        status="draft",
        chief_complaint=data.chief_complaint,
        history=data.history,
        examination=data.examination,
        assessment=data.assessment,
        plan=data.plan,
        next_visit_date=data.next_visit_date,
    )
    try:
        async with db.begin_nested():
            db.add(encounter)
            await db.flush()
    except IntegrityError:
        # Another request opened the same appointment's encounter this instant.
        raise EncounterExists(field="appointment_id") from None
    db.add_all(_diagnosis_rows(encounter.id, diagnoses))
    await db.flush()
    await audit.record(
        db,
        actor,
        "encounter.create",
        object_type="encounter",
        object_id=encounter.id,
        patient_id=patient.id,
        reason=break_glass_reason,
        detail={
            "appointment_id": data.appointment_id,
            "diagnoses": [d.code for d in diagnoses],
        },
    )
    return encounter


async def _draft_of_author(db: AsyncSession, actor: Actor, encounter_id: int) -> Encounter:
    encounter = await _get_encounter(db, encounter_id)
    await checked_patient(db, actor, encounter.patient_id)
    if encounter.status == "signed":
        raise EncounterSigned()
    if encounter.author_id != actor.id:
        raise NotEncounterAuthor()
    return encounter


_TEXT_FIELDS = ("chief_complaint", "history", "examination", "assessment", "plan")


async def update_encounter(
    db: AsyncSession, actor: Actor, encounter_id: int, data: schemas.EncounterUpdate
) -> Encounter:
    """Change a draft (its author only); a signed encounter answers 409 encounter_signed."""
    encounter = await _draft_of_author(db, actor, encounter_id)
    changes = data.model_dump(exclude_unset=True)
    if "chief_complaint" in changes and not changes["chief_complaint"]:
        raise ValidationFailed("The chief complaint is required.", field="chief_complaint")
    dates.check_clinical(
        changes.get("next_visit_date"), field="next_visit_date", born=None, planned=True
    )
    changed = []
    for name in (*_TEXT_FIELDS, "next_visit_date"):
        if name in changes and getattr(encounter, name) != changes[name]:
            setattr(encounter, name, changes[name])
            changed.append(name)
    if data.diagnoses is not None and "diagnoses" in changes:
        diagnoses = checked_diagnoses(data.diagnoses)
        old = list(
            await db.scalars(
                select(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id == encounter.id)
            )
        )
        for row in old:
            await db.delete(row)
        await db.flush()
        db.add_all(_diagnosis_rows(encounter.id, diagnoses))
        changed.append("diagnoses")
    encounter.updated_at = utcnow()
    await db.flush()
    await audit.record(
        db,
        actor,
        "encounter.update",
        object_type="encounter",
        object_id=encounter.id,
        patient_id=encounter.patient_id,
        detail={"fields": changed},
    )
    return encounter


async def sign_encounter(db: AsyncSession, actor: Actor, encounter_id: int) -> Encounter:
    """The author signs the draft: from now on it is only amended. The encounter of an
    appointment is the visit's record: it needs a coded diagnosis, and signing it completes
    the (checked-in) visit in the same transaction."""
    encounter = await _get_encounter(db, encounter_id)
    await checked_patient(db, actor, encounter.patient_id)
    if encounter.status != "draft":
        raise InvalidTransition(
            "This encounter is already signed.",
            extra={"current_status": encounter.status, "allowed": []},
        )
    if encounter.author_id != actor.id:
        raise NotEncounterAuthor()
    if encounter.appointment_id is not None:
        coded = await db.scalar(
            select(func.count(EncounterDiagnosis.id)).where(
                EncounterDiagnosis.encounter_id == encounter.id
            )
        )
        if not coded:
            raise DiagnosisRequired(field="diagnoses")
        await scheduling_service.complete_signed_visit(db, actor, encounter.appointment_id)
    encounter.status = "signed"
    encounter.signed_at = utcnow()
    encounter.signed_by = actor.id
    await db.flush()
    await audit.record(
        db,
        actor,
        "encounter.sign",
        object_type="encounter",
        object_id=encounter.id,
        patient_id=encounter.patient_id,
    )
    return encounter


async def amend_encounter(
    db: AsyncSession,
    actor: Actor,
    encounter_id: int,
    data: schemas.AmendmentIn,
    *,
    break_glass_reason: str | None = None,
) -> EncounterAmendment:
    """An addendum to a signed encounter, by a doctor with access to the patient; the signed
    text stays as it was."""
    await _acting_doctor(db, actor)
    encounter = await _get_encounter(db, encounter_id)
    await checked_patient(db, actor, encounter.patient_id, break_glass_reason)
    if encounter.status != "signed":
        raise EncounterNotSigned()
    amendment = EncounterAmendment(encounter_id=encounter.id, text=data.text, author_id=actor.id)
    db.add(amendment)
    await db.flush()
    await audit.record(
        db,
        actor,
        "encounter.amend",
        object_type="encounter",
        object_id=encounter.id,
        patient_id=encounter.patient_id,
        detail={"amendment_id": amendment.id},
    )
    return amendment
