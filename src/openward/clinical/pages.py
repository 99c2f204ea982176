"""Clinical pages: the patient chart (allergy banner, problems, medications, vital signs with
their trend, encounters, care plans and one timeline), the patient's own read-only chart,
and the encounter form with a server-side ICD-10 search that works without JavaScript."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.clinical import (
    allergies,
    care_plans,
    encounters,
    icd10,
    problems,
    schemas,
    vital_signs,
)
from openward.clinical import chart as clinical_chart
from openward.clinical import service as clinical_service
from openward.clinical import vitals as vital_rules
from openward.clinical.trend import trend_panels
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import RowId, parse_id
from openward.identity.access import DB, require, settings_of
from openward.patients import service as patients_service
from openward.patients.errors import NotYourPatient
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

ChartReader = Annotated[Actor, require("chart:read")]
ChartWriter = Annotated[Actor, require("chart:write")]
VitalsWriter = Annotated[Actor, require("vitals:write")]
EncounterWriter = Annotated[Actor, require("encounters:write")]
Self = Annotated[Actor, require("clinical:self")]

ENCOUNTER_FIELDS = (
    "chief_complaint",
    "history",
    "examination",
    "assessment",
    "plan",
    "next_visit_date",
)
VITALS_FIELDS = vital_rules.FIELDS
SEVERITY_LABELS = {
    "mild": "Mild",
    "moderate": "Moderate",
    "severe": "Severe",
    "life_threatening": "Life-threatening",
}


def _age(born, today) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _first_error(errors: dict[str, str], prefix: str) -> dict[str, str]:
    """Service errors such as 'diagnoses.1.code' shown on the field the page has."""
    return {k: v for k, v in errors.items() if k.startswith(prefix)}


# ---------------------------------------------------------------- the chart


async def _staff_options(db) -> list[tuple[str, str]]:
    from openward.identity import service as identity_service

    options = []
    for role in ("doctor", "nurse"):
        users, _ = await identity_service.list_users(db, role=role, status="active", limit=200)
        options += [(str(u.id), f"{u.full_name} ({role})") for u in users]
    return options


async def _chart_page(
    request: Request,
    db,
    actor: Actor,
    patient_id: int,
    *,
    break_glass_reason: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    open_form: str | None = None,
    status_code: int = 200,
    own: bool = False,
):
    record = await clinical_chart.chart(
        db, actor, patient_id, break_glass_reason=break_glass_reason
    )
    zone = settings_of(request).zone
    today = datetime.now(zone).date()
    can_write = actor.can("chart:write") and not own
    return render(
        request,
        "clinical/chart.html",
        {
            "c": record,
            "p": record.patient,
            "age": _age(record.patient.date_of_birth, today),
            "today": today.isoformat(),
            "own": own,
            "break_glass_reason": break_glass_reason,
            "errors": errors or {},
            "values": values or {},
            "open_form": open_form,
            "can_write": can_write,
            "can_vitals": actor.can("vitals:write") and not own,
            "panels": trend_panels(list(reversed(record.vitals)), zone),
            "labels": vital_rules.LABELS,
            "units": vital_rules.UNITS,
            "normal": vital_rules.NORMAL,
            "severity_labels": SEVERITY_LABELS,
            "staff": await _staff_options(db) if can_write else [],
        },
        status_code=status_code,
    )


def _break_glass_page(request: Request, patient_id: int, errors: dict, values: dict, status: int):
    return render(
        request,
        "clinical/break_glass.html",
        {
            "patient_id": patient_id,
            "errors": errors,
            "values": values,
            "min": patients_service.BREAK_GLASS_MIN,
        },
        status_code=status,
    )


@router.get("/patients/{patient_id}/chart")
async def chart_page(request: Request, patient_id: RowId, actor: ChartReader, db: DB):
    if actor.role == "patient":
        return redirect(request, "/my/chart")
    try:
        return await _chart_page(request, db, actor, patient_id)
    except NotYourPatient:
        return _break_glass_page(request, patient_id, {}, {}, 403)


@router.post("/patients/{patient_id}/chart/break-glass")
async def chart_break_glass(request: Request, patient_id: RowId, actor: ChartReader, db: DB):
    """The reason travels in the form, never in a URL: the chart is this response."""
    form = await read_form(request)
    reason = " ".join(str(form.get("reason", "")).split())
    message = patients_service.break_glass_problem(reason)
    if message:
        await patients_service.get(db, patient_id)
        return _break_glass_page(request, patient_id, {"reason": message}, {"reason": reason}, 422)
    return await _chart_page(request, db, actor, patient_id, break_glass_reason=reason)


@router.get("/my/chart")
async def my_chart_page(request: Request, actor: Self, db: DB):
    patient = await patients_service.mine(db, actor)
    return await _chart_page(request, db, actor, patient.id, own=True)


async def _chart_form(
    request: Request,
    db,
    actor: Actor,
    patient_id: int,
    form_name: str,
    action,
    done: str,
    fields: tuple[str, ...],
    anchor: str,
):
    """A small form on the chart: do it and go back, or re-render the chart with messages."""
    form = await read_form(request)
    values = form_values(form, *fields)
    try:
        await action(values)
    except (ValidationError, DomainError) as exc:
        errors = _plain_limits(await form_failure(db, exc))
        if isinstance(exc, DomainError) and exc.status == 403:
            flash(request, exc.detail, "error")
            return redirect(request, f"/patients/{patient_id}/chart")
        return await _chart_page(
            request,
            db,
            actor,
            patient_id,
            errors={f"{form_name}.{k}": v for k, v in errors.items()},
            values={f"{form_name}.{k}": v for k, v in values.items()},
            open_form=form_name,
            status_code=422,
        )
    flash(request, done)
    return redirect(request, f"/patients/{patient_id}/chart#{anchor}")


async def _chart_status(
    request: Request,
    db,
    change: Callable[[str | None], Awaitable[tuple[int, str]]],
    failed: str,
    anchor: str,
    *,
    anchor_on_refusal: bool = False,
):
    """A status button on the chart: change it and go back to its section, or go back to the
    chart with the refusal flashed. `change` answers the patient's id and what to flash."""
    form = await read_form(request)
    values = form_values(form, "status", "patient_id")
    try:
        patient_id, done = await change(values["status"] or None)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        flash(request, next(iter(errors.values()), failed), "error")
        back = f"/patients/{parse_id(values['patient_id']) or 0}/chart"
        return redirect(request, f"{back}#{anchor}" if anchor_on_refusal else back)
    flash(request, done)
    return redirect(request, f"/patients/{patient_id}/chart#{anchor}")


def _plain_limits(errors: dict[str, str]) -> dict[str, str]:
    """ "Input should be less than or equal to 300" said the way a nurse reads it."""
    out = {}
    for name, message in errors.items():
        if name in vital_rules.PLAUSIBLE and message.startswith("Input should be"):
            low, high = vital_rules.PLAUSIBLE[name]
            unit = vital_rules.UNITS.get(name, "")
            message = f"Not a possible reading: enter {low:g}–{high:g} {unit}."
        out[name] = message
    return out


def _blank_to_none(values: dict[str, str]) -> dict[str, Any]:
    return {k: (v if v != "" else None) for k, v in values.items()}


@router.post("/patients/{patient_id}/chart/vitals")
async def record_vitals_submit(request: Request, patient_id: RowId, actor: VitalsWriter, db: DB):
    async def act(values):
        data = schemas.VitalsIn(**_blank_to_none(values))
        await vital_signs.record_vitals(db, actor, patient_id, data)

    return await _chart_form(
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


@router.post("/patients/{patient_id}/chart/allergies")
async def add_allergy_submit(request: Request, patient_id: RowId, actor: ChartWriter, db: DB):
    async def act(values):
        data = schemas.AllergyIn(**_blank_to_none(values))
        await allergies.add_allergy(db, actor, patient_id, data)

    fields = ("substance", "reaction", "severity")
    return await _chart_form(
        request, db, actor, patient_id, "allergy", act, "Allergy added.", fields, "allergies"
    )


@router.post("/allergies/{allergy_id}/status")
async def allergy_status_submit(request: Request, allergy_id: RowId, actor: ChartWriter, db: DB):
    async def change(status):
        data = schemas.AllergyUpdate(status=status)
        allergy = await allergies.update_allergy(db, actor, allergy_id, data)
        return allergy.patient_id, f"{allergy.substance}: now {allergy.status}."

    return await _chart_status(
        request, db, change, "Could not change the allergy.", "allergies", anchor_on_refusal=True
    )


@router.post("/patients/{patient_id}/chart/problems")
async def add_problem_submit(request: Request, patient_id: RowId, actor: ChartWriter, db: DB):
    async def act(values):
        data = schemas.ProblemIn(**_blank_to_none(values))
        await problems.add_problem(db, actor, patient_id, data)

    fields = ("kind", "code", "description", "onset_date", "notes")
    return await _chart_form(
        request, db, actor, patient_id, "problem", act, "Added to the chart.", fields, "problems"
    )


@router.post("/problems/{problem_id}/status")
async def problem_status_submit(request: Request, problem_id: RowId, actor: ChartWriter, db: DB):
    async def change(status):
        data = schemas.ProblemUpdate(status=status)
        problem = await problems.update_problem(db, actor, problem_id, data)
        return problem.patient_id, f"{problem.description}: now {problem.status}."

    return await _chart_status(request, db, change, "Could not change the problem.", "problems")


@router.post("/patients/{patient_id}/chart/care-plans")
async def add_care_plan_submit(request: Request, patient_id: RowId, actor: ChartWriter, db: DB):
    async def act(values):
        data = schemas.CarePlanIn(**_blank_to_none(values))
        await care_plans.add_care_plan(db, actor, patient_id, data)

    fields = ("title", "goals", "activities", "responsible_user_id", "review_date")
    return await _chart_form(
        request, db, actor, patient_id, "plan", act, "Care plan added.", fields, "care-plans"
    )


@router.post("/care-plans/{plan_id}/status")
async def care_plan_status_submit(request: Request, plan_id: RowId, actor: ChartWriter, db: DB):
    async def change(status):
        data = schemas.CarePlanUpdate(status=status)
        plan = await care_plans.update_care_plan(db, actor, plan_id, data)
        return plan.patient_id, f"Care plan “{plan.title}”: now {plan.status.replace('_', ' ')}."

    return await _chart_status(request, db, change, "Could not change the care plan.", "care-plans")


# ---------------------------------------------------------------- the encounter form


def _diagnosis_inputs(form) -> tuple[list[str], str, str, bool]:
    """(codes already on the form, the primary one, the code being typed, typed is primary)."""
    codes = [str(v).strip() for v in form.getlist("dx") if str(v).strip()]
    return (
        codes,
        str(form.get("primary", "")).strip(),
        str(form.get("new_code", "")).strip(),
        form.get("new_primary") == "1",
    )


def _diagnoses_in(codes: list[str], primary: str, new_code: str, new_primary: bool):
    items = [schemas.DiagnosisIn(code=c, primary=(c == primary and not new_primary)) for c in codes]
    if new_code:
        items.append(schemas.DiagnosisIn(code=new_code, primary=new_primary))
    return items


def _shown_diagnoses(codes: list[str], primary: str) -> list[dict[str, Any]]:
    """The diagnoses listed on the form, with their descriptions (unknown ones as typed)."""
    shown = []
    for c in codes:
        found = icd10.lookup(c)
        shown.append(
            {
                "code": found.code if found else c,
                "description": found.description if found else "Unknown code",
                "primary": c == primary,
            }
        )
    if shown and not any(d["primary"] for d in shown):
        shown[0]["primary"] = True
    return shown


def _dx_errors(errors: dict[str, str], listed: int) -> dict[str, str]:
    """'diagnoses.N.code' from the service becomes the row's or the new code's message."""
    out = dict(errors)
    for key in list(out):
        if not key.startswith("diagnoses"):
            continue
        message = out.pop(key)
        parts = key.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= listed:
            out["new_code"] = message
        else:
            out["diagnoses"] = message
    return out


async def _encounter_form_page(
    request: Request,
    db,
    actor: Actor,
    *,
    values: dict[str, str],
    diagnoses: list[dict[str, Any]],
    errors: dict[str, str],
    encounter: schemas.EncounterOut | None = None,
    patient=None,
    appointment_id: int | None = None,
    icd_q: str = "",
    status_code: int = 200,
):
    results = icd10.search(icd_q, 15) if icd_q else []
    return render(
        request,
        "clinical/encounter_form.html",
        {
            "values": values,
            "diagnoses": diagnoses,
            "errors": errors,
            "encounter": encounter,
            "patient": patient,
            "appointment_id": appointment_id,
            "icd_q": icd_q,
            "results": results,
        },
        status_code=status_code,
    )


@router.get("/encounters/new")
async def new_encounter_page(
    request: Request,
    actor: EncounterWriter,
    db: DB,
    patient_id: Annotated[str | None, Query(max_length=12)] = None,
    appointment_id: Annotated[str | None, Query(max_length=12)] = None,
):
    from openward.scheduling import service as scheduling_service

    appointment = None
    if parse_id(appointment_id):
        appointment = await scheduling_service.get_for(db, actor, int(appointment_id or 0))
        existing = await clinical_service.encounter_for_appointment(db, appointment.id)
        if existing is not None:
            return redirect(request, f"/encounters/{existing}")
        patient_id = str(appointment.patient_id)
    if not parse_id(patient_id):
        flash(request, "Open an encounter from a patient's chart or an appointment.", "error")
        return redirect(request, "/patients")
    try:
        patient = await patients_service.get_for(db, actor, int(patient_id or 0))
    except NotYourPatient:
        return _break_glass_page(request, int(patient_id or 0), {}, {}, 403)
    values = {
        "chief_complaint": (appointment.reason or "") if appointment else "",
        "patient_id": str(patient.id),
    }
    return await _encounter_form_page(
        request,
        db,
        actor,
        values=values,
        diagnoses=[],
        errors={},
        patient=patient,
        appointment_id=appointment.id if appointment else None,
    )


async def _form_step(request: Request, db, actor: Actor, form, encounter_id: int | None):
    """The search and add/remove buttons re-render the form; only "save" writes."""
    values = form_values(form, *ENCOUNTER_FIELDS, "patient_id", "appointment_id", "icd_q")
    codes, primary, new_code, new_primary = _diagnosis_inputs(form)
    step = str(form.get("action", "save"))
    icd_q = values.pop("icd_q")
    errors: dict[str, str] = {}
    if step.startswith("pick:"):
        new_code, step = step[5:], "add"
    if step.startswith("remove:"):
        gone = step[7:]
        codes = [c for c in codes if c != gone]
        primary = "" if primary == gone else primary
    elif step == "add":
        if not new_code:
            errors["new_code"] = "Type a code, or search and pick one."
        elif icd10.lookup(new_code) is None:
            errors["new_code"] = f"'{new_code}' is not an ICD-10 diagnosis code."
        else:
            code = icd10.lookup(new_code).code  # type: ignore[union-attr]
            if code not in codes:
                codes.append(code)
            if new_primary or not codes[:-1]:
                primary = code
            new_code = ""
    if not errors and step not in ("search", "add") and not step.startswith("remove:"):
        return values, codes, primary, new_code, new_primary, icd_q, None
    values["new_code"] = new_code
    shown = _shown_diagnoses(codes, primary)
    return values, codes, primary, new_code, new_primary, icd_q, (shown, errors)


@router.post("/encounters/new")
async def new_encounter_submit(request: Request, actor: EncounterWriter, db: DB):
    form = await read_form(request)
    values, codes, primary, new_code, new_primary, icd_q, again = await _form_step(
        request, db, actor, form, None
    )
    patient_id = parse_id(values["patient_id"])
    appointment_id = parse_id(values["appointment_id"])
    patient = await patients_service.get_for(db, actor, patient_id or 0)
    if again is not None:
        shown, errors = again
        return await _encounter_form_page(
            request,
            db,
            actor,
            values=values,
            diagnoses=shown,
            errors=errors,
            patient=patient,
            appointment_id=appointment_id,
            icd_q=icd_q,
            status_code=422 if errors else 200,
        )
    try:
        data = schemas.EncounterCreate(
            patient_id=patient.id,
            appointment_id=appointment_id,
            **_blank_to_none({k: values[k] for k in ENCOUNTER_FIELDS}),
            diagnoses=_diagnoses_in(codes, primary, new_code, new_primary),
        )
        encounter = await encounters.create_encounter(db, actor, data)
    except (ValidationError, DomainError) as exc:
        errors = _dx_errors(await form_failure(db, exc), len(codes))
        values["new_code"] = new_code
        return await _encounter_form_page(
            request,
            db,
            actor,
            values=values,
            diagnoses=_shown_diagnoses(codes, primary),
            errors=errors,
            patient=await patients_service.get(db, patient_id or 0),
            appointment_id=appointment_id,
            icd_q=icd_q,
            status_code=422,
        )
    flash(request, "Encounter saved as a draft. Sign it when it is complete.")
    return redirect(request, f"/encounters/{encounter.id}")


# ---------------------------------------------------------------- one encounter


def _encounter_values(e: schemas.EncounterOut) -> dict[str, str]:
    values = {name: getattr(e, name) or "" for name in ENCOUNTER_FIELDS}
    values["next_visit_date"] = e.next_visit_date.isoformat() if e.next_visit_date else ""
    values["patient_id"] = str(e.patient_id)
    return values


async def _encounter_page(
    request: Request,
    db,
    actor: Actor,
    encounter_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    diagnoses: list[dict[str, Any]] | None = None,
    icd_q: str = "",
    status_code: int = 200,
):
    encounter = await encounters.get_encounter(db, actor, encounter_id)
    shown = await encounters.present_encounter(db, encounter)
    editable = shown.status == "draft" and shown.author_id == actor.id
    if editable:
        return await _encounter_form_page(
            request,
            db,
            actor,
            values=values or _encounter_values(shown),
            diagnoses=diagnoses
            if diagnoses is not None
            else [d.model_dump() for d in shown.diagnoses],
            errors=errors or {},
            encounter=shown,
            patient=await patients_service.get(db, shown.patient_id),
            appointment_id=shown.appointment_id,
            icd_q=icd_q,
            status_code=status_code,
        )
    return render(
        request,
        "clinical/encounter.html",
        {
            "e": shown,
            "errors": errors or {},
            "values": values or {},
            "can_amend": actor.can("encounters:write") and shown.status == "signed",
        },
        status_code=status_code,
    )


@router.get("/encounters/{encounter_id}")
async def encounter_page(request: Request, encounter_id: RowId, actor: ChartReader, db: DB):
    return await _encounter_page(request, db, actor, encounter_id)


@router.post("/encounters/{encounter_id}")
async def encounter_submit(request: Request, encounter_id: RowId, actor: EncounterWriter, db: DB):
    form = await read_form(request)
    values, codes, primary, new_code, new_primary, icd_q, again = await _form_step(
        request, db, actor, form, encounter_id
    )
    if again is not None:
        shown, errors = again
        return await _encounter_page(
            request,
            db,
            actor,
            encounter_id,
            errors=errors,
            values=values,
            diagnoses=shown,
            icd_q=icd_q,
            status_code=422 if errors else 200,
        )
    try:
        fields = _blank_to_none({k: values[k] for k in ENCOUNTER_FIELDS})
        data = schemas.EncounterUpdate(
            **fields, diagnoses=_diagnoses_in(codes, primary, new_code, new_primary)
        )
        await encounters.update_encounter(db, actor, encounter_id, data)
    except (ValidationError, DomainError) as exc:
        errors = _dx_errors(await form_failure(db, exc), len(codes))
        if isinstance(exc, DomainError) and exc.status in (403, 409):
            flash(request, exc.detail, "error")
            return redirect(request, f"/encounters/{encounter_id}")
        values["new_code"] = new_code
        return await _encounter_page(
            request,
            db,
            actor,
            encounter_id,
            errors=errors,
            values=values,
            diagnoses=_shown_diagnoses(codes, primary),
            icd_q=icd_q,
            status_code=422,
        )
    flash(request, "Encounter saved.")
    return redirect(request, f"/encounters/{encounter_id}")


@router.post("/encounters/{encounter_id}/sign")
async def sign_submit(request: Request, encounter_id: RowId, actor: EncounterWriter, db: DB):
    await read_form(request)
    try:
        await encounters.sign_encounter(db, actor, encounter_id)
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, f"/encounters/{encounter_id}")
    flash(request, "Encounter signed. It can now only be amended.")
    return redirect(request, f"/encounters/{encounter_id}")


@router.post("/encounters/{encounter_id}/amendments")
async def amend_submit(request: Request, encounter_id: RowId, actor: EncounterWriter, db: DB):
    form = await read_form(request)
    values = form_values(form, "text")
    try:
        data = schemas.AmendmentIn(**values)
        await encounters.amend_encounter(db, actor, encounter_id, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        if "text" not in errors:
            flash(request, next(iter(errors.values())), "error")
            return redirect(request, f"/encounters/{encounter_id}")
        return await _encounter_page(
            request, db, actor, encounter_id, errors=errors, values=values, status_code=422
        )
    flash(request, "Amendment added; the signed text is unchanged.")
    return redirect(request, f"/encounters/{encounter_id}#amendments")
