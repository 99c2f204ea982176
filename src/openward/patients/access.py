"""Who may see whom: the access check (the care relationship decides; doctors may break the
glass, audited), and reading a patient with it: one record, many at once, one's own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import PermissionDenied
from openward.patients import care
from openward.patients.errors import NotYourPatient, NotYourRecord, PatientNotFound
from openward.patients.models import Patient
from openward.staff import service as staff_service

# Roles that see every patient: the front desk, the wards and the administrator.
ALL_PATIENTS_ROLES = ("admin", "receptionist", "nurse")
# Departments that serve any patient sent to them (prescriptions, lab and imaging orders):
# their services reach a patient through an order, never through the patient list.
DEPARTMENT_ROLES = ("pharmacist", "lab_technician", "radiologist")
# A break-the-glass reason: long enough to say something, short enough for the audit trail.
BREAK_GLASS_MIN = 5
BREAK_GLASS_MAX = 500


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
        doctor_id = await staff_service.doctor_id_of(db, actor)
        if doctor_id is not None and await care.in_care(db, doctor_id, patient.id):
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


async def recipient(db: AsyncSession, patient_id: int) -> tuple[int | None, str]:
    """The patient's login (None without one) and name, for the domains that notify them."""
    patient = await get(db, patient_id)
    return patient.user_id, f"{patient.given_name} {patient.family_name}"


async def briefs(db: AsyncSession, patient_ids: list[int]) -> dict[int, Patient]:
    """Many patients at once for lists that name them (the caller audits the list)."""
    if not patient_ids:
        return {}
    rows = await db.scalars(select(Patient).where(Patient.id.in_(set(patient_ids))))
    return {p.id: p for p in rows}


def with_patient(query: Select[Any], patient_id: Any) -> Select[Any]:
    """Another domain's query that also reads a patient's row (`patient_id`: an id, or a
    column of the query's own table), in the same statement (an outer join, so the query's
    own rows stay as they are): the record is then in the session, and `get` finds it
    without asking the database again."""
    return query.add_columns(Patient).outerjoin(Patient, Patient.id == patient_id)


def brief_of(patient_id: Any) -> tuple[Any, Any]:
    """The patient's full name and MRN as SQL expressions, for another domain's list: its
    rows come back named in its own statement (no query per list, none after it)."""
    row = select(Patient.given_name + " " + Patient.family_name).where(Patient.id == patient_id)
    mrn = select(Patient.mrn).where(Patient.id == patient_id)
    return row.scalar_subquery(), mrn.scalar_subquery()


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


async def mine(db: AsyncSession, actor: Actor) -> Patient:
    """A signed-in patient's own record."""
    patient = await for_user(db, actor, actor.id or 0)
    if patient is None:
        raise PatientNotFound("No patient record is linked to this account; ask the front desk.")
    return patient


def id_of_login(user_id: int | None) -> Any:
    """The patient id of a login as an SQL expression (NULL when none), for another domain's
    WHERE clause: a patient's own list without a query to find their record first."""
    return select(Patient.id).where(Patient.user_id == user_id).scalar_subquery()


async def my_id(db: AsyncSession, actor: Actor) -> int | None:
    """The patient id of a signed-in patient (None for staff or an unlinked login)."""
    if actor.role != "patient" or actor.id is None:
        return None
    return await db.scalar(select(Patient.id).where(Patient.user_id == actor.id))
