"""Encounter notes: the new-encounter form with its server-side ICD-10 search (works without
JavaScript), and one encounter: editing a draft, signing it, amending a signed one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.clinical import chart as clinical_chart
from openward.clinical import encounters, icd10, schemas
from openward.clinical import service as clinical_service
from openward.clinical.pages._shared import (
    ChartReader,
    EncounterWriter,
    blank_to_none,
    render_break_glass,
)
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import RowId, parse_id
from openward.identity.access import DB, settings_of
from openward.patients import service as patients_service
from openward.patients.errors import NotYourPatient
from openward.scheduling import service as scheduling_service
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

ENCOUNTER_FIELDS = (
    "chief_complaint",
    "history",
    "examination",
    "assessment",
    "plan",
    "next_visit_date",
)


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
    zone = settings_of(request).zone
    context = await clinical_chart.encounter_context(db, patient.id)
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
            "banner": await patients_service.banner(db, patient.id, zone),
            "medications": context.medications,
            "problems": context.problems,
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
        return render_break_glass(request, int(patient_id or 0), {}, {}, 403)
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
        )
    try:
        data = schemas.EncounterCreate(
            patient_id=patient.id,
            appointment_id=appointment_id,
            **blank_to_none({k: values[k] for k in ENCOUNTER_FIELDS}),
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
            "banner": await patients_service.banner(db, shown.patient_id, settings_of(request).zone)
            if actor.role != "patient"
            else None,
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
        )
    try:
        fields = blank_to_none({k: values[k] for k in ENCOUNTER_FIELDS})
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
        return await _encounter_page(request, db, actor, encounter_id, errors=errors, values=values)
    flash(request, "Amendment added; the signed text is unchanged.")
    return redirect(request, f"/encounters/{encounter_id}#amendments")


@router.get("/appointments/{appointment_id}/record")
async def appointment_record(request: Request, appointment_id: RowId, actor: ChartReader, db: DB):
    """The visit's record: its encounter (the appointment page links here)."""
    appointment = await scheduling_service.get_for(db, actor, appointment_id)
    encounter_id = await clinical_service.encounter_for_appointment(db, appointment.id)
    if encounter_id is None:
        flash(request, "No encounter has been written for this visit yet.", "error")
        return redirect(request, f"/appointments/{appointment.id}")
    return redirect(request, f"/encounters/{encounter_id}")
