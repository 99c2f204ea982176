"""Staff asking for an account from the sign-in screen; an admin approves it later."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from openward.config import SELF_SERVICE_STAFF_ROLES
from openward.core.errors import DomainError
from openward.core.origin import origin_of
from openward.identity import schemas
from openward.identity import service as identity_service
from openward.identity.access import DB, public, settings_of
from openward.identity.passwords import also_password
from openward.web.forms import form_failure, form_values, read_form
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

STAFF_ROLES = list(SELF_SERVICE_STAFF_ROLES)


@router.get("/register/staff", dependencies=[public])
async def register_staff_page(request: Request):
    return render(
        request, "identity/register_staff.html", {"values": {}, "errors": {}, "roles": STAFF_ROLES}
    )


@router.post("/register/staff", dependencies=[public])
async def register_staff_submit(request: Request, db: DB):
    form = await read_form(request)
    values = form_values(form, "username", "full_name", "email", "phone", "role")
    try:
        data = schemas.RegisterStaffIn(**values, password=str(form.get("password", "")))
        user = await identity_service.register_staff(
            db, settings_of(request), origin_of(request), data
        )
    except (ValidationError, DomainError) as exc:
        errors = also_password(await form_failure(db, exc), values, form)
        return render(
            request,
            "identity/register_staff.html",
            {"values": values, "errors": errors, "roles": STAFF_ROLES},
        )
    return render(
        request,
        "identity/registered.html",
        {"kind": "staff", "username": user.username},
        status_code=202,
    )
