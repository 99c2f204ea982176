"""The patient chart: a clinician's view of it (with break-glass when the patient is not
theirs) and the patient's own read-only chart."""

from __future__ import annotations

from fastapi import APIRouter, Request

from openward.clinical.pages._shared import ChartReader, Self, render_break_glass, render_chart
from openward.core.params import RowId
from openward.identity.access import DB
from openward.patients import service as patients_service
from openward.patients.errors import NotYourPatient
from openward.web.forms import read_form, redirect

router = APIRouter(include_in_schema=False)


@router.get("/patients/{patient_id}/chart")
async def chart_page(request: Request, patient_id: RowId, actor: ChartReader, db: DB):
    if actor.role == "patient":
        return redirect(request, "/my/chart")
    try:
        return await render_chart(request, db, actor, patient_id)
    except NotYourPatient:
        return render_break_glass(request, patient_id, {}, {}, 403)


@router.post("/patients/{patient_id}/chart/break-glass")
async def chart_break_glass(request: Request, patient_id: RowId, actor: ChartReader, db: DB):
    """The reason travels in the form, never in a URL: the chart is this response."""
    form = await read_form(request)
    reason = " ".join(str(form.get("reason", "")).split())
    message = patients_service.break_glass_problem(reason)
    if message:
        await patients_service.get(db, patient_id)
        return render_break_glass(request, patient_id, {"reason": message}, {"reason": reason}, 200)
    return await render_chart(request, db, actor, patient_id, break_glass_reason=reason)


@router.get("/my/chart")
async def my_chart_page(request: Request, actor: Self, db: DB):
    patient = await patients_service.mine(db, actor)
    return await render_chart(request, db, actor, patient.id, own=True)
