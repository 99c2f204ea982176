"""The problem list and past history: current problems and past entries, optionally coded
in ICD-10, resolved or reactivated as the patient changes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import icd10, schemas
from openward.clinical.errors import ProblemNotFound, UnknownDiagnosisCode
from openward.clinical.models import Problem
from openward.clinical.service import checked_patient
from openward.core import audit, dates
from openward.core.actors import Actor
from openward.core.errors import ValidationFailed
from openward.db import utcnow
from openward.identity import service as identity_service

# ---------------------------------------------------------------- problems and history


def present_problems(rows: Sequence[Problem], names: dict[int, str]) -> list[schemas.ProblemOut]:
    return [
        schemas.ProblemOut(
            id=p.id,
            patient_id=p.patient_id,
            kind=p.kind,  # type: ignore[arg-type]
            code=p.code,
            description=p.description,
            onset_date=p.onset_date,
            resolved_date=p.resolved_date,
            status=p.status,  # type: ignore[arg-type]
            notes=p.notes,
            recorded_by=p.recorded_by,
            recorded_by_name=names.get(p.recorded_by, "—"),
            created_at=p.created_at,
            updated_at=p.updated_at,
        )
        for p in rows
    ]


async def add_problem(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    data: schemas.ProblemIn,
    *,
    break_glass_reason: str | None = None,
) -> Problem:
    """A current problem or a past history entry, optionally coded in ICD-10."""
    code = None
    description = data.description
    if data.code:
        found = icd10.lookup(data.code)
        if found is None:
            raise UnknownDiagnosisCode(
                f"'{data.code}' is not an ICD-10 diagnosis code.", field="code"
            )
        code = found.code
        description = description or found.description
    if not description:
        raise ValidationFailed(
            "Describe the problem, or give its ICD-10 code.", field="description"
        )
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    dates.check_clinical(data.onset_date, field="onset_date", born=patient.date_of_birth)
    problem = Problem(
        patient_id=patient.id,
        kind=data.kind,
        code=code,
        description=description[:300],
        onset_date=data.onset_date,
        status="active" if data.kind == "problem" else "resolved",
        notes=data.notes,
        recorded_by=actor.id,
    )
    db.add(problem)
    await db.flush()
    await audit.record(
        db,
        actor,
        "problem.create",
        object_type="problem",
        object_id=problem.id,
        patient_id=patient.id,
        reason=break_glass_reason,
        detail={"kind": data.kind, "code": code},
    )
    return problem


async def update_problem(
    db: AsyncSession, actor: Actor, problem_id: int, data: schemas.ProblemUpdate
) -> Problem:
    """Resolve (or reactivate) a problem, correct its wording or notes."""
    problem = await db.get(Problem, problem_id)
    if problem is None:
        raise ProblemNotFound()
    patient = await checked_patient(db, actor, problem.patient_id)
    changes = data.model_dump(exclude_unset=True)
    dates.check_clinical(
        changes.get("resolved_date"), field="resolved_date", born=patient.date_of_birth
    )
    for name in ("description", "notes", "resolved_date"):
        if name in changes and (changes[name] is not None or name != "description"):
            setattr(problem, name, changes[name])
    if changes.get("status"):
        problem.status = changes["status"]
        if problem.status == "resolved" and problem.resolved_date is None:
            problem.resolved_date = utcnow().date()
        if problem.status == "active":
            problem.resolved_date = None
    if problem.resolved_date and problem.onset_date and problem.resolved_date < problem.onset_date:
        raise ValidationFailed("A problem cannot resolve before its onset.", field="resolved_date")
    problem.updated_at = utcnow()
    await db.flush()
    await audit.record(
        db,
        actor,
        "problem.update",
        object_type="problem",
        object_id=problem.id,
        patient_id=problem.patient_id,
        detail={"fields": sorted(changes)},
    )
    return problem


async def list_problems(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    kind: str | None = None,
    break_glass_reason: str | None = None,
) -> list[schemas.ProblemOut]:
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    rows = await problems_of(db, patient.id, kind)
    await audit.record(
        db,
        actor,
        "problem.list",
        object_type="problem",
        patient_id=patient.id,
        detail={"total": len(rows)},
    )
    return present_problems(
        rows, await identity_service.full_names(db, [p.recorded_by for p in rows])
    )


async def problems_of(db: AsyncSession, patient_id: int, kind: str | None = None):
    query = select(Problem).where(Problem.patient_id == patient_id)
    if kind:
        query = query.where(Problem.kind == kind)
    return list(
        await db.scalars(
            query.order_by(
                Problem.kind, Problem.status != "active", Problem.onset_date.desc(), Problem.id
            )
        )
    )
