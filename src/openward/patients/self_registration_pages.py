"""The patient's own registration page: the form, and the account and record it opens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from openward.core.errors import DomainError
from openward.core.origin import origin_of
from openward.identity.access import DB, public, settings_of
from openward.identity.passwords import also_password
from openward.patients import schemas, self_registration
from openward.web.forms import form_failure, form_values, read_form
from openward.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/register", dependencies=[public])
async def register_page(request: Request):
    return render(request, "patients/register.html", {"values": {}, "errors": {}})


@router.post("/register", dependencies=[public])
async def register_submit(request: Request, db: DB):
    form = await read_form(request)
    values = form_values(
        form,
        "username",
        "full_name",
        "email",
        "phone",
        "date_of_birth",
        "sex",
        "mrn",
        "activation_code",
    )
    try:
        data = schemas.RegisterPatientIn(**values, password=str(form.get("password", "")))
        user, _patient_id, mrn = await self_registration.register_patient(
            db, settings_of(request), origin_of(request), data
        )
    except (ValidationError, DomainError) as exc:
        errors = also_password(await form_failure(db, exc), values, form)
        return render(request, "patients/register.html", {"values": values, "errors": errors})
    return render(
        request,
        "identity/registered.html",
        {"kind": "patient", "username": user.username, "mrn": mrn},
        status_code=201,
    )
