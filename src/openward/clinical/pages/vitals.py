"""Recording a set of vital signs from the chart."""

from __future__ import annotations

from fastapi import APIRouter, Request

from openward.clinical import schemas, vital_signs
from openward.clinical import vitals as vital_rules
from openward.clinical.pages._shared import VitalsWriter, blank_to_none, chart_form
from openward.core.params import RowId
from openward.identity.access import DB

router = APIRouter(include_in_schema=False)

VITALS_FIELDS = vital_rules.FIELDS


@router.post("/patients/{patient_id}/chart/vitals")
async def record_vitals_submit(request: Request, patient_id: RowId, actor: VitalsWriter, db: DB):
    async def act(values):
        data = schemas.VitalsIn(**blank_to_none(values))
        await vital_signs.record_vitals(db, actor, patient_id, data)

    return await chart_form(
        request,
        db,
        actor,
        patient_id,
        "vitals",
        act,
        "Vital signs recorded.",
        VITALS_FIELDS,
        "vitals",
    )
