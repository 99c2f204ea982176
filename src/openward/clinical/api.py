"""The clinical record as JSON: ICD-10 search, encounters, vital signs, allergies, problems
and care plans. Thin: every rule and every audit event lives in the clinical services
(encounters, vital_signs, allergies, problems, care_plans)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response

from openward.clinical import (
    allergies,
    care_plans,
    encounters,
    icd10,
    problems,
    schemas,
    visit_history,
    vital_signs,
)
from openward.core.actors import Actor
from openward.core.params import BreakGlassReason, Offset, RowId
from openward.identity import service as identity_service
from openward.identity.access import DB, require, settings_of

router = APIRouter(prefix="/api/v1", tags=["clinical"])

Icd10Reader = Annotated[Actor, require("icd10:read")]
ChartReader = Annotated[Actor, require("chart:read")]
EncounterWriter = Annotated[Actor, require("encounters:write")]
VitalsWriter = Annotated[Actor, require("vitals:write")]
ChartWriter = Annotated[Actor, require("chart:write")]
HistoryReader = Annotated[Actor, require("history:read")]
Limit = Annotated[int, Query(ge=1, le=200)]


# ---------------------------------------------------------------- ICD-10


@router.get(
    "/icd10",
    response_model=schemas.Icd10List,
    summary="Search ICD-10 by code or words (best matches first)",
)
async def search_icd10(
    actor: Icd10Reader,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    found = icd10.search(q, limit)
    items = [
        schemas.Icd10Out(code=c.code, description=c.description, billable=c.billable) for c in found
    ]
    return {"items": items, "total": len(items)}


# ---------------------------------------------------------------- encounters


async def _encounter_out(db, encounter) -> schemas.EncounterOut:
    return await encounters.present_encounter(db, encounter)


@router.post(
    "/encounters",
    response_model=schemas.EncounterOut,
    status_code=status.HTTP_201_CREATED,
    summary="Open a draft encounter (doctor; from their own appointment or for their patient)",
)
async def create_encounter(
    data: schemas.EncounterCreate,
    actor: EncounterWriter,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    encounter = await encounters.create_encounter(
        db, actor, data, break_glass_reason=x_break_glass_reason
    )
    return await _encounter_out(db, encounter)


@router.get("/encounters/{encounter_id}", response_model=schemas.EncounterOut)
async def get_encounter(
    encounter_id: RowId, actor: ChartReader, db: DB, x_break_glass_reason: BreakGlassReason = None
):
    encounter = await encounters.get_encounter(
        db, actor, encounter_id, break_glass_reason=x_break_glass_reason
    )
    return await _encounter_out(db, encounter)


@router.patch(
    "/encounters/{encounter_id}",
    response_model=schemas.EncounterOut,
    summary="Change a draft (its author); a signed one answers 409 encounter_signed",
)
async def update_encounter(
    encounter_id: RowId, data: schemas.EncounterUpdate, actor: EncounterWriter, db: DB
):
    encounter = await encounters.update_encounter(db, actor, encounter_id, data)
    return await _encounter_out(db, encounter)


@router.post("/encounters/{encounter_id}/sign", response_model=schemas.EncounterOut)
async def sign_encounter(encounter_id: RowId, actor: EncounterWriter, db: DB):
    encounter = await encounters.sign_encounter(db, actor, encounter_id)
    return await _encounter_out(db, encounter)


@router.post(
    "/encounters/{encounter_id}/amendments",
    response_model=schemas.AmendmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add an amendment to a signed encounter (the original stays as signed)",
)
async def amend_encounter(
    encounter_id: RowId,
    data: schemas.AmendmentIn,
    actor: EncounterWriter,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    amendment = await encounters.amend_encounter(
        db, actor, encounter_id, data, break_glass_reason=x_break_glass_reason
    )
    names = await identity_service.full_names(db, [amendment.author_id])
    return schemas.AmendmentOut(
        id=amendment.id,
        text=amendment.text,
        author_id=amendment.author_id,
        author_name=names.get(amendment.author_id, "—"),
        created_at=amendment.created_at,
    )


@router.get(
    "/patients/{patient_id}/encounters",
    response_model=schemas.EncounterList,
    summary="A patient's encounters, newest first (patients: their signed ones)",
)
async def list_encounters(
    patient_id: RowId,
    actor: ChartReader,
    db: DB,
    limit: Limit = 50,
    offset: Offset = 0,
    x_break_glass_reason: BreakGlassReason = None,
):
    rows, total = await encounters.list_encounters(
        db, actor, patient_id, limit=limit, offset=offset, break_glass_reason=x_break_glass_reason
    )
    return {"items": await encounters.present_encounters(db, rows), "total": total}


# ---------------------------------------------------------------- vital signs


@router.post(
    "/patients/{patient_id}/vitals",
    response_model=schemas.VitalsOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record vital signs (any subset); answers with the BMI and out-of-range flags",
)
async def record_vitals(
    patient_id: RowId,
    data: schemas.VitalsIn,
    actor: VitalsWriter,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    row = await vital_signs.record_vitals(
        db, actor, patient_id, data, break_glass_reason=x_break_glass_reason
    )
    names = await identity_service.full_names(db, [row.recorded_by])
    return vital_signs.present_vitals([row], names)[0]


@router.get(
    "/patients/{patient_id}/vitals",
    response_model=schemas.VitalsList,
    summary="Vital signs, newest first, with who recorded them",
)
async def list_vitals(
    patient_id: RowId,
    actor: ChartReader,
    db: DB,
    limit: Limit = 50,
    offset: Offset = 0,
    x_break_glass_reason: BreakGlassReason = None,
):
    items, total = await vital_signs.list_vitals(
        db, actor, patient_id, limit=limit, offset=offset, break_glass_reason=x_break_glass_reason
    )
    return {"items": items, "total": total}


# ---------------------------------------------------------------- allergies


@router.post(
    "/patients/{patient_id}/allergies",
    response_model=schemas.AllergyOut,
    status_code=status.HTTP_201_CREATED,
)
async def add_allergy(
    patient_id: RowId,
    data: schemas.AllergyIn,
    actor: ChartWriter,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    allergy = await allergies.add_allergy(
        db, actor, patient_id, data, break_glass_reason=x_break_glass_reason
    )
    return await _allergy_out(db, allergy)


async def _allergy_out(db, allergy) -> schemas.AllergyOut:
    names = await identity_service.full_names(db, allergies.people_of([allergy], None))
    return allergies.present_allergies([allergy], names)[0]


@router.get("/patients/{patient_id}/allergies", response_model=schemas.AllergyList)
async def list_allergies(
    patient_id: RowId,
    actor: ChartReader,
    db: DB,
    status: schemas.AllergyStatus | None = None,
    x_break_glass_reason: BreakGlassReason = None,
):
    return await allergies.list_allergies(
        db, actor, patient_id, status=status, break_glass_reason=x_break_glass_reason
    )


@router.post(
    "/patients/{patient_id}/allergies/none-known",
    response_model=schemas.AllergyList,
    summary="Record that the patient was asked and knows of no allergies (who and when)",
    responses={409: {"description": "`allergies_recorded`: an allergy is active"}},
)
async def record_no_known_allergies(patient_id: RowId, actor: ChartWriter, db: DB):
    await allergies.record_no_known_allergies(db, actor, patient_id)
    return await allergies.list_allergies(db, actor, patient_id)


@router.patch(
    "/allergies/{allergy_id}",
    response_model=schemas.AllergyOut,
    summary="Change severity, reaction or status, or confirm an entry told at registration "
    "(allergies are never deleted)",
)
async def update_allergy(
    allergy_id: RowId, data: schemas.AllergyUpdate, actor: ChartWriter, db: DB
):
    allergy = await allergies.update_allergy(db, actor, allergy_id, data)
    return await _allergy_out(db, allergy)


# ---------------------------------------------------------------- problems and history


@router.post(
    "/patients/{patient_id}/problems",
    response_model=schemas.ProblemOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a current problem or a past history entry (ICD-10 code optional)",
)
async def add_problem(
    patient_id: RowId,
    data: schemas.ProblemIn,
    actor: ChartWriter,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    problem = await problems.add_problem(
        db, actor, patient_id, data, break_glass_reason=x_break_glass_reason
    )
    names = await identity_service.full_names(db, [problem.recorded_by])
    return problems.present_problems([problem], names)[0]


@router.get("/patients/{patient_id}/problems", response_model=schemas.ProblemList)
async def list_problems(
    patient_id: RowId,
    actor: ChartReader,
    db: DB,
    kind: Literal["problem", "history"] | None = None,
    x_break_glass_reason: BreakGlassReason = None,
):
    items = await problems.list_problems(
        db, actor, patient_id, kind=kind, break_glass_reason=x_break_glass_reason
    )
    return {"items": items, "total": len(items)}


@router.patch(
    "/problems/{problem_id}",
    response_model=schemas.ProblemOut,
    summary="Resolve or reactivate a problem; correct its description or notes",
)
async def update_problem(
    problem_id: RowId, data: schemas.ProblemUpdate, actor: ChartWriter, db: DB
):
    problem = await problems.update_problem(db, actor, problem_id, data)
    names = await identity_service.full_names(db, [problem.recorded_by])
    return problems.present_problems([problem], names)[0]


# ---------------------------------------------------------------- care plans


@router.post(
    "/patients/{patient_id}/care-plans",
    response_model=schemas.CarePlanOut,
    status_code=status.HTTP_201_CREATED,
)
async def add_care_plan(
    patient_id: RowId,
    data: schemas.CarePlanIn,
    actor: ChartWriter,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    plan = await care_plans.add_care_plan(
        db, actor, patient_id, data, break_glass_reason=x_break_glass_reason
    )
    return (await care_plans.present_care_plans(db, [plan]))[0]


@router.get("/patients/{patient_id}/care-plans", response_model=schemas.CarePlanList)
async def list_care_plans(
    patient_id: RowId, actor: ChartReader, db: DB, x_break_glass_reason: BreakGlassReason = None
):
    items = await care_plans.list_care_plans(
        db, actor, patient_id, break_glass_reason=x_break_glass_reason
    )
    return {"items": items, "total": len(items)}


@router.patch(
    "/care-plans/{plan_id}",
    response_model=schemas.CarePlanOut,
    summary="Goals, activities, responsible staff, review date or status",
)
async def update_care_plan(
    plan_id: RowId, data: schemas.CarePlanUpdate, actor: ChartWriter, db: DB
):
    plan = await care_plans.update_care_plan(db, actor, plan_id, data)
    return (await care_plans.present_care_plans(db, [plan]))[0]


# ---------------------------------------------------------------- visit history


@router.get(
    "/patients/{patient_id}/history",
    response_model=schemas.PatientHistory,
    summary="Appointments with their encounters (the visit's record), newest first",
)
async def history(
    patient_id: RowId,
    request: Request,
    actor: HistoryReader,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    return await visit_history.history(
        db,
        actor,
        patient_id,
        zone=settings_of(request).zone,
        break_glass_reason=x_break_glass_reason,
    )


@router.get(
    "/patients/{patient_id}/treatments.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The history as CSV"}},
    summary="Download the visit history (with each visit's encounter) as CSV",
)
async def history_csv(
    patient_id: RowId,
    request: Request,
    actor: HistoryReader,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    record = await visit_history.history(
        db,
        actor,
        patient_id,
        zone=settings_of(request).zone,
        break_glass_reason=x_break_glass_reason,
    )
    filename = f"treatments-{record.patient['mrn']}.csv"
    return Response(
        visit_history.history_csv(record),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
