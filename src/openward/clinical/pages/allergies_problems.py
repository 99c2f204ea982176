"""The chart's allergy and problem-list forms: adding an entry and changing its status."""

from __future__ import annotations

from fastapi import APIRouter, Request

from openward.clinical import allergies, problems, schemas
from openward.clinical.pages._shared import ChartWriter, blank_to_none, chart_form, chart_status
from openward.core.params import RowId
from openward.identity.access import DB

router = APIRouter(include_in_schema=False)


@router.post("/patients/{patient_id}/chart/allergies")
async def add_allergy_submit(request: Request, patient_id: RowId, actor: ChartWriter, db: DB):
    async def act(values):
        data = schemas.AllergyIn(**blank_to_none(values))
        await allergies.add_allergy(db, actor, patient_id, data)

    fields = ("substance", "reaction", "severity")
    return await chart_form(
        request, db, actor, patient_id, "allergy", act, "Allergy added.", fields, "allergies"
    )


@router.post("/allergies/{allergy_id}/status")
async def allergy_status_submit(request: Request, allergy_id: RowId, actor: ChartWriter, db: DB):
    async def change(status):
        data = schemas.AllergyUpdate(status=status)
        allergy = await allergies.update_allergy(db, actor, allergy_id, data)
        return allergy.patient_id, f"{allergy.substance}: now {allergy.status}."

    return await chart_status(
        request, db, change, "Could not change the allergy.", "allergies", anchor_on_refusal=True
    )


@router.post("/allergies/{allergy_id}/confirm")
async def allergy_confirm_submit(request: Request, allergy_id: RowId, actor: ChartWriter, db: DB):
    """A clinician confirms an allergy told at registration."""

    async def change(_status):
        data = schemas.AllergyUpdate(verification="confirmed")
        allergy = await allergies.update_allergy(db, actor, allergy_id, data)
        return allergy.patient_id, f"{allergy.substance}: confirmed."

    return await chart_status(
        request, db, change, "Could not confirm the allergy.", "allergies", anchor_on_refusal=True
    )


@router.post("/patients/{patient_id}/chart/allergies/none-known")
async def no_known_allergies_submit(
    request: Request, patient_id: RowId, actor: ChartWriter, db: DB
):
    """Asked, and the patient knows of no allergy: recorded with who and when."""

    async def change(_status):
        await allergies.record_no_known_allergies(db, actor, patient_id)
        return patient_id, "Recorded: no known allergies."

    return await chart_status(
        request, db, change, "Could not record that.", "allergies", anchor_on_refusal=True
    )


@router.post("/patients/{patient_id}/chart/problems")
async def add_problem_submit(request: Request, patient_id: RowId, actor: ChartWriter, db: DB):
    async def act(values):
        data = schemas.ProblemIn(**blank_to_none(values))
        await problems.add_problem(db, actor, patient_id, data)

    fields = ("kind", "code", "description", "onset_date", "notes")
    return await chart_form(
        request, db, actor, patient_id, "problem", act, "Added to the chart.", fields, "problems"
    )


@router.post("/problems/{problem_id}/status")
async def problem_status_submit(request: Request, problem_id: RowId, actor: ChartWriter, db: DB):
    async def change(status):
        data = schemas.ProblemUpdate(status=status)
        problem = await problems.update_problem(db, actor, problem_id, data)
        return problem.patient_id, f"{problem.description}: now {problem.status}."

    return await chart_status(request, db, change, "Could not change the problem.", "problems")
