"""Creating a doctor (login and profile), editing the profile, and taking them back onto the
booking lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import ValidationError

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import RowId
from openward.identity.access import DB, require
from openward.identity.passwords import policy_problem
from openward.staff import schemas
from openward.staff import service as staff_service
from openward.staff.presenting import department_options, page
from openward.web.forms import flash, form_failure, form_values, read_form, redirect

router = APIRouter(include_in_schema=False)

Admin = Annotated[Actor, require("staff:manage")]

_DOCTOR_FIELDS = (
    "full_name",
    "email",
    "phone",
    "department_id",
    "specialization",
    "qualification",
    "experience_years",
    "consultation_fee",
    "license_number",
)


def _doctor_data(values: dict[str, str]) -> dict[str, Any]:
    """Form text as the schema wants it: empty optional numbers take their defaults."""
    data: dict[str, Any] = dict(values)
    for name in ("experience_years", "consultation_fee"):
        if data.get(name) == "":
            data.pop(name)
    if data.get("consultation_fee"):
        data["consultation_fee"] = data["consultation_fee"].replace(",", "")
    return data


async def _doctor_form(
    request: Request,
    db,
    view: staff_service.DoctorView | None,
    values: dict,
    errors: dict,
    status_code: int = 200,
):
    return page(
        request,
        "staff/doctor_form.html",
        {
            "view": view,
            "values": values,
            "errors": errors,
            "departments": await department_options(
                db, view.doctor.department_id if view else None
            ),
            "specializations": await staff_service.specializations(db),
        },
        status_code=status_code,
    )


@router.get("/doctors/new")
async def doctor_new_page(request: Request, actor: Admin, db: DB):
    values = {"department_id": request.query_params.get("department_id", "")}
    return await _doctor_form(request, db, None, values, {})


@router.post("/doctors/new")
async def doctor_new_submit(request: Request, actor: Admin, db: DB):
    form = await read_form(request)
    values = form_values(form, "username", *_DOCTOR_FIELDS)
    password = str(form.get("password", ""))
    try:
        data = schemas.DoctorCreate(**_doctor_data(values), password=password)
        view = await staff_service.create_doctor(db, actor, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        if "password" not in errors and (problem := policy_problem(password, values["username"])):
            errors["password"] = problem  # so every mistake can be fixed in one go
        return await _doctor_form(request, db, None, values, errors)
    flash(request, f"Created {view.name}'s profile. Now set their weekly hours.")
    return redirect(request, f"/doctors/{view.doctor.id}/availability")


@router.get("/doctors/{doctor_id}/edit")
async def doctor_edit_page(request: Request, doctor_id: RowId, actor: Admin, db: DB):
    view = await staff_service.doctor_view(db, doctor_id)
    private = view.private()
    values = {
        name: "" if getattr(private, name) is None else str(getattr(private, name))
        for name in _DOCTOR_FIELDS
    }
    return await _doctor_form(request, db, view, values, {})


@router.post("/doctors/{doctor_id}/edit")
async def doctor_edit_submit(request: Request, doctor_id: RowId, actor: Admin, db: DB):
    form = await read_form(request)
    values = form_values(form, *_DOCTOR_FIELDS)
    data = _doctor_data(values)
    for name in ("phone", "qualification"):  # emptied on purpose: clear them
        data[name] = data[name] or None
    try:
        update = schemas.DoctorUpdate(**data)
        view = await staff_service.update_doctor(db, actor, doctor_id, update)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        view = await staff_service.doctor_view(db, doctor_id)
        return await _doctor_form(request, db, view, values, errors)
    flash(request, f"Saved {view.name}'s profile.")
    return redirect(request, f"/doctors/{doctor_id}")


@router.post("/doctors/{doctor_id}/activate")
async def doctor_activate_submit(request: Request, doctor_id: RowId, actor: Admin, db: DB):
    await read_form(request)
    view = await staff_service.set_doctor_active(db, actor, doctor_id, True)
    flash(request, f"{view.name} is taking bookings again.")
    return redirect(request, f"/doctors/{doctor_id}")
