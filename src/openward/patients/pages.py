"""The patients' pages: search, registration with the duplicate check, the patient's page
(demographics, care team, visit history, break-the-glass), edits, and the patient's own
record. Every page calls the same patients service as the JSON API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.core import domains
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import Offset, RowId
from openward.identity.access import DB, require, settings_of
from openward.patients import activation, schemas
from openward.patients import service as patients_service
from openward.patients.errors import NotYourPatient
from openward.patients.mrn import format_mrn
from openward.staff import service as staff_service
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("patients:read")]
Writer = Annotated[Actor, require("patients:write")]
CareTeamWriter = Annotated[Actor, require("care_team:write")]
Self = Annotated[Actor, require("patients:self")]

_PAGE = 25
# The registration and edit form, in the order a receptionist fills it in.
FORM_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "blood_group",
    "national_id",
    "emergency_contact_name",
    "emergency_contact_phone",
    "notes",
)
ALLERGY_ROWS = 3  # allergy lines on the registration form
ALLERGY_FIELDS = tuple(
    f"allergy_{part}_{i}"
    for i in range(ALLERGY_ROWS)
    for part in ("substance", "reaction", "severity")
)
ALLERGY_SEVERITIES = (
    ("unknown", "Not known"),
    ("mild", "Mild"),
    ("moderate", "Moderate"),
    ("severe", "Severe"),
    ("life_threatening", "Life-threatening"),
)


def allergies_from_form(values: dict[str, str]) -> dict[str, Any]:
    """The registration form's allergy lines (those with a substance) and the "none known"
    box, as PatientCreate takes them."""
    told = [
        {
            "substance": values[f"allergy_substance_{i}"],
            "reaction": values[f"allergy_reaction_{i}"] or None,
            "severity": values[f"allergy_severity_{i}"] or "unknown",
        }
        for i in range(ALLERGY_ROWS)
        if values.get(f"allergy_substance_{i}", "").strip()
    ]
    return {"allergies": told, "no_known_allergies": values.get("no_known_allergies") == "1"}


def _allergy_errors(errors: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """'allergies.N.substance' counts only filled lines: point it at the form's line."""
    filled = [i for i in range(ALLERGY_ROWS) if values.get(f"allergy_substance_{i}", "").strip()]
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "allergies" and len(parts) >= 2 and parts[1].isdigit():
            line = filled[int(parts[1])] if int(parts[1]) < len(filled) else 0
            out[f"allergies.{line}.substance"] = message
        else:
            out[key] = message
    return out


# What patients may change on their own record.
CONTACT_FIELDS = tuple(schemas.MyContactUpdate.model_fields)


def age_on(born: date, today: date) -> int:
    """Whole years between a birth date and a day."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _common(request: Request) -> dict[str, Any]:
    """What every patient template uses: option lists, labels and today's age helper."""
    today = datetime.now(settings_of(request).zone).date()
    return {
        "sex_labels": schemas.SEX_LABELS,
        "sex_options": list(schemas.SEX_LABELS.items()),
        "blood_options": [(group, group) for group in schemas.BLOOD_GROUPS],
        "age": lambda born: age_on(born, today) if born else None,
        "today": today,
    }


def _values_of(patient: Any, names: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for name in names:
        value = getattr(patient, name)
        values[name] = value.isoformat() if isinstance(value, date) else (value or "")
    return values


# ---------------------------------------------------------------- search


@router.get("/patients")
async def patients_page(
    request: Request,
    actor: Reader,
    db: DB,
    q: Annotated[str | None, Query(max_length=100)] = None,
    include_inactive: bool = False,
    offset: Offset = 0,
):
    rows, total = await patients_service.search(
        db, actor, q, limit=_PAGE, offset=offset, include_inactive=include_inactive
    )
    params = {"q": (q or "").strip(), "include_inactive": "1" if include_inactive else ""}
    return render(
        request,
        "patients/list.html",
        {
            **_common(request),
            "patients": rows,
            "total": total,
            "total_is_capped": total >= patients_service.COUNT_CAP,
            "q": (q or "").strip(),
            "include_inactive": include_inactive,
            "offset": offset,
            "limit": _PAGE,
            "base_query": urlencode({k: v for k, v in params.items() if v}),
        },
    )


# ---------------------------------------------------------------- registration


def _form_page(
    request: Request,
    values: dict,
    errors: dict,
    *,
    patient: Any = None,
    duplicates: list | None = None,
    status_code: int = 200,
):
    return render(
        request,
        "patients/form.html",
        {
            **_common(request),
            "values": values,
            "errors": errors,
            "patient": patient,
            "duplicates": duplicates or [],
            "allergy_rows": ALLERGY_ROWS,
            "allergy_severities": ALLERGY_SEVERITIES,
        },
        status_code=status_code,
    )


@router.get("/patients/new")
async def new_patient_page(request: Request, actor: Writer):
    return _form_page(request, {}, {})


@router.post("/patients/new")
async def new_patient_submit(request: Request, actor: Writer, db: DB):
    form = await read_form(request)
    values = form_values(form, *FORM_FIELDS, *ALLERGY_FIELDS, "no_known_allergies")
    allow_duplicate = form.get("allow_duplicate") == "1"
    try:
        data = schemas.PatientCreate(
            **{k: values[k] for k in FORM_FIELDS},
            **allergies_from_form(values),
            allow_duplicate=allow_duplicate,
        )
        patient = await patients_service.register(db, actor, data)
    except (ValidationError, DomainError) as exc:
        errors = _allergy_errors(await form_failure(db, exc), values)
        duplicates = []
        if isinstance(exc, DomainError) and exc.code == "possible_duplicate":
            duplicates = [schemas.PatientBrief(**d) for d in exc.extra.get("duplicates", [])]
            errors.pop("form", None)  # the warning box says it, with the look-alikes
        return _form_page(
            request,
            values,
            errors,
            duplicates=duplicates,
        )
    flash(request, f"Registered {patient.full_name}, MRN {format_mrn(patient.mrn)}")
    return redirect(request, f"/patients/{patient.id}")


# ---------------------------------------------------------------- the patient's page


async def _visit_history(
    db, actor: Actor, patient_id: int, zone, break_glass_reason: str | None = None
):
    """The visits and what was done at each, from the domain that books them (an extension:
    patients does not import scheduling); None when the actor may not read it."""
    if not actor.can("history:read"):
        return None
    for history_of in domains.extensions(patients_service.VISIT_HISTORY):
        return await history_of(
            db, actor, patient_id, zone=zone, break_glass_reason=break_glass_reason
        )
    return None


async def _patient_page(
    request: Request,
    db,
    actor: Actor,
    patient_id: int,
    *,
    break_glass_reason: str | None = None,
    errors: dict | None = None,
    values: dict | None = None,
    status_code: int = 200,
):
    zone = settings_of(request).zone
    patient = await patients_service.get_for(
        db, actor, patient_id, break_glass_reason=break_glass_reason
    )
    team = await patients_service.care_team(db, patient.id)
    history = await _visit_history(db, actor, patient.id, zone, break_glass_reason)
    # A doctor in on an emergency reads the record; changing the team needs a relationship.
    manage_team = actor.can("care_team:write") and not break_glass_reason
    doctors = []
    if manage_team:
        on_team = {m.doctor_id for m in team}
        views, _ = await staff_service.list_doctors(db, zone=zone, limit=200)
        doctors = [v for v in views if v.doctor.id not in on_team]
    return render(
        request,
        "patients/patient.html",
        {
            **_common(request),
            "patient": patient,
            "banner": await patients_service.banner(db, patient.id, zone),
            "team": team,
            "history": history.items if history is not None else None,
            "treatments_withheld": history is not None and history.treatments_withheld,
            "manage_team": manage_team,
            "doctors": doctors,
            "break_glass_reason": break_glass_reason,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


def _break_glass_page(
    request: Request, patient_id: int, errors: dict, values: dict, status_code: int
):
    return render(
        request,
        "patients/break_glass.html",
        {
            "patient_id": patient_id,
            "errors": errors,
            "values": values,
            "min": patients_service.BREAK_GLASS_MIN,
        },
        status_code=status_code,
    )


@router.get("/patients/{patient_id}")
async def patient_page(request: Request, patient_id: RowId, actor: Reader, db: DB):
    try:
        return await _patient_page(request, db, actor, patient_id)
    except NotYourPatient:
        # The service has written the denied read to the audit trail; it is kept.
        return _break_glass_page(request, patient_id, {}, {}, 403)


@router.post("/patients/{patient_id}/break-glass")
async def break_glass_submit(request: Request, patient_id: RowId, actor: Reader, db: DB):
    """A doctor opens a patient outside their care for an emergency: the reason is audited
    and never travels in a URL, so the record is shown in this response, not a redirect."""
    form = await read_form(request)
    reason = " ".join(str(form.get("reason", "")).split())
    message = patients_service.break_glass_problem(reason)
    if message:
        await patients_service.get(db, patient_id)  # an unknown patient is a 404, as on GET
        return _break_glass_page(request, patient_id, {"reason": message}, {"reason": reason}, 200)
    return await _patient_page(request, db, actor, patient_id, break_glass_reason=reason)


# ---------------------------------------------------------------- edit


@router.get("/patients/{patient_id}/edit")
async def edit_patient_page(request: Request, patient_id: RowId, actor: Writer, db: DB):
    patient = await patients_service.get_for(db, actor, patient_id)
    return _form_page(request, _values_of(patient, FORM_FIELDS), {}, patient=patient)


@router.post("/patients/{patient_id}/edit")
async def edit_patient_submit(request: Request, patient_id: RowId, actor: Writer, db: DB):
    form = await read_form(request)
    values = form_values(form, *FORM_FIELDS)
    try:
        data = schemas.PatientUpdate(**values)
        await patients_service.update(db, actor, patient_id, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        patient = await patients_service.get(db, patient_id)
        return _form_page(request, values, errors, patient=patient)
    flash(request, "Saved")
    return redirect(request, f"/patients/{patient_id}")


# ---------------------------------------------------------------- deactivate, reactivate


@router.post("/patients/{patient_id}/deactivate")
async def deactivate_submit(request: Request, patient_id: RowId, actor: Writer, db: DB):
    form = await read_form(request)
    values = form_values(form, "reason")
    disable_login = form.get("disable_login") == "1"
    try:
        data = schemas.DeactivateIn(**values, disable_login=disable_login)
    except ValidationError:
        errors = {"reason": "Give the reason for deactivating this record (at least 3 characters)."}
        values["disable_login"] = "1" if disable_login else ""
        return await _patient_page(request, db, actor, patient_id, errors=errors, values=values)
    patient = await patients_service.deactivate(
        db, actor, patient_id, data.reason, disable_login=data.disable_login
    )
    also = " and disabled their online login" if data.disable_login and patient.user_id else ""
    flash(request, f"Deactivated the record of {patient.full_name}{also}.")
    return redirect(request, f"/patients/{patient_id}")


@router.post("/patients/{patient_id}/activate")
async def activate_submit(request: Request, patient_id: RowId, actor: Writer, db: DB):
    await read_form(request)
    patient = await patients_service.set_active(db, actor, patient_id, True)
    flash(request, f"Reactivated the record of {patient.full_name}.")
    return redirect(request, f"/patients/{patient_id}")


# ---------------------------------------------------------------- online access


@router.post("/patients/{patient_id}/activation-code")
async def activation_code_submit(request: Request, patient_id: RowId, actor: Writer, db: DB):
    """Issue a one-time code and show it once, as a slip to print for the patient."""
    await read_form(request)
    patient = await patients_service.get_for(db, actor, patient_id)
    try:
        issued = await activation.issue(db, settings_of(request), actor, patient)
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, f"/patients/{patient_id}")
    return render(
        request,
        "patients/activation_code.html",
        {
            "patient": patient,
            "code": issued.code,
            "expires_at": issued.expires_at,
            "register_url": str(request.base_url).rstrip("/") + "/register",
        },
    )


# ---------------------------------------------------------------- care team


@router.post("/patients/{patient_id}/care-team")
async def care_team_add(request: Request, patient_id: RowId, actor: CareTeamWriter, db: DB):
    form = await read_form(request)
    try:
        data = schemas.CareTeamIn(doctor_id=str(form.get("doctor_id", "")).strip())
        team = await patients_service.assign_doctor(db, actor, patient_id, data.doctor_id)
    except ValidationError:
        flash(request, "Choose a doctor to add to the care team.", "error")
        return redirect(request, f"/patients/{patient_id}")
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, f"/patients/{patient_id}")
    name = next((m.doctor_name for m in team if m.doctor_id == data.doctor_id), "The doctor")
    flash(request, f"{name} is now on the care team.")
    return redirect(request, f"/patients/{patient_id}")


@router.post("/patients/{patient_id}/care-team/{doctor_id}/remove")
async def care_team_remove(
    request: Request, patient_id: RowId, doctor_id: RowId, actor: CareTeamWriter, db: DB
):
    await read_form(request)
    try:
        view = await staff_service.doctor_view(db, doctor_id)
        await patients_service.remove_doctor(db, actor, patient_id, doctor_id)
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, f"/patients/{patient_id}")
    flash(request, f"{view.name} was removed from the care team.")
    return redirect(request, f"/patients/{patient_id}")


# ---------------------------------------------------------------- the patient's own record


async def _my_record_page(
    request: Request, db, actor: Actor, values: dict | None, errors: dict, status_code: int = 200
):
    patient = await patients_service.mine(db, actor)
    history = await _visit_history(db, actor, patient.id, settings_of(request).zone)
    return render(
        request,
        "patients/my_record.html",
        {
            **_common(request),
            "patient": patient,
            "banner": await patients_service.banner(db, patient.id, settings_of(request).zone),
            "history": history.items if history is not None else [],
            "values": values if values is not None else _values_of(patient, CONTACT_FIELDS),
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/my/record")
async def my_record_page(request: Request, actor: Self, db: DB):
    return await _my_record_page(request, db, actor, None, {})


@router.post("/my/record")
async def my_record_submit(request: Request, actor: Self, db: DB):
    form = await read_form(request)
    values = form_values(form, *CONTACT_FIELDS)
    try:
        data = schemas.MyContactUpdate(**values)
        patient = await patients_service.mine(db, actor)
        await patients_service.update(db, actor, patient.id, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        return await _my_record_page(request, db, actor, values, errors)
    flash(request, "Your contact details have been saved.")
    return redirect(request, "/my/record")
