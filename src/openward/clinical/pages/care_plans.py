"""The chart's care-plan form: adding a plan and changing its status."""

from __future__ import annotations

from fastapi import APIRouter, Request

from openward.clinical import care_plans, schemas
from openward.clinical.pages._shared import ChartWriter, blank_to_none, chart_form, chart_status
from openward.core.params import RowId
from openward.identity.access import DB

router = APIRouter(include_in_schema=False)


@router.post("/patients/{patient_id}/chart/care-plans")
async def add_care_plan_submit(request: Request, patient_id: RowId, actor: ChartWriter, db: DB):
    async def act(values):
        data = schemas.CarePlanIn(**blank_to_none(values))
        await care_plans.add_care_plan(db, actor, patient_id, data)

    fields = ("title", "goals", "activities", "responsible_user_id", "review_date")
    return await chart_form(
        request, db, actor, patient_id, "plan", act, "Care plan added.", fields, "care-plans"
    )


@router.post("/care-plans/{plan_id}/status")
async def care_plan_status_submit(request: Request, plan_id: RowId, actor: ChartWriter, db: DB):
    async def change(status):
        data = schemas.CarePlanUpdate(status=status)
        plan = await care_plans.update_care_plan(db, actor, plan_id, data)
        return plan.patient_id, f"Care plan “{plan.title}”: now {plan.status.replace('_', ' ')}."

    return await chart_status(request, db, change, "Could not change the care plan.", "care-plans")
