"""The departments page (list and create) and a department's edit form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import ValidationError

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import RowId
from openward.identity.access import DB, require
from openward.staff import schemas
from openward.staff import service as staff_service
from openward.staff.presenting import page
from openward.web.forms import flash, form_failure, form_values, read_form, redirect

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("directory:read")]
Admin = Annotated[Actor, require("staff:manage")]

_DEPARTMENT_FIELDS = ("name", "description", "location", "phone")


async def _departments_page(
    request: Request, actor: Actor, db, values: dict, errors: dict, status_code: int = 200
):
    departments = await staff_service.list_departments(
        db, include_inactive=actor.can("staff:manage")
    )
    return page(
        request,
        "staff/departments.html",
        {"departments": departments, "values": values, "errors": errors},
        status_code=status_code,
    )


@router.get("/departments")
async def departments_page(request: Request, actor: Reader, db: DB):
    return await _departments_page(request, actor, db, {}, {})


@router.post("/departments")
async def department_create_submit(request: Request, actor: Admin, db: DB):
    form = await read_form(request)
    values = form_values(form, *_DEPARTMENT_FIELDS)
    try:
        data = schemas.DepartmentCreate(**values)
        department = await staff_service.create_department(db, actor, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        return await _departments_page(request, actor, db, values, errors)
    flash(request, f"Department '{department.name}' created.")
    return redirect(request, "/departments")


@router.get("/departments/{department_id}/edit")
async def department_edit_page(request: Request, department_id: RowId, actor: Admin, db: DB):
    department = await staff_service.department_detail(db, department_id)
    values: dict[str, Any] = {k: getattr(department, k) or "" for k in _DEPARTMENT_FIELDS}
    values["is_active"] = department.is_active
    return page(
        request,
        "staff/department_form.html",
        {"department": department, "values": values, "errors": {}},
    )


@router.post("/departments/{department_id}/edit")
async def department_edit_submit(request: Request, department_id: RowId, actor: Admin, db: DB):
    form = await read_form(request)
    values: dict[str, Any] = form_values(form, *_DEPARTMENT_FIELDS)
    values["is_active"] = form.get("is_active") == "on"
    try:
        data = schemas.DepartmentUpdate(
            name=values["name"],
            description=values["description"] or None,
            location=values["location"] or None,
            phone=values["phone"] or None,
            is_active=values["is_active"],
        )
        department = await staff_service.update_department(db, actor, department_id, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        department = await staff_service.department_detail(db, department_id)
        return page(
            request,
            "staff/department_form.html",
            {"department": department, "values": values, "errors": errors},
        )
    flash(request, f"Department '{department.name}' saved.")
    return redirect(request, "/departments")
