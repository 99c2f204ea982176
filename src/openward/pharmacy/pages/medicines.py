"""The medicine catalogue page: search, add a medicine, take one off or back on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import Offset, RowId
from openward.identity.access import DB, require
from openward.pharmacy import catalogue, schemas
from openward.pharmacy.pages._shared import PAGE
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

MedicineWriter = Annotated[Actor, require("medicines:write")]


async def _medicines_page(
    request: Request,
    db: Any,
    *,
    q: str = "",
    offset: int = 0,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
):
    rows, total = await catalogue.search(
        db, q or None, include_inactive=True, limit=PAGE, offset=offset
    )
    return render(
        request,
        "pharmacy/medicines.html",
        {
            "medicines": [catalogue.present(m) for m in rows],
            "total": total,
            "limit": PAGE,
            "offset": offset,
            "q": q,
            "base_query": f"q={q}" if q else "",
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/pharmacy/medicines")
async def medicines_page(
    request: Request,
    actor: MedicineWriter,
    db: DB,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Offset = 0,
):
    return await _medicines_page(request, db, q=q or "", offset=offset)


@router.post("/pharmacy/medicines")
async def add_medicine_submit(request: Request, actor: MedicineWriter, db: DB):
    form = await read_form(request)
    values = form_values(
        form,
        "name",
        "generic_name",
        "form",
        "strength",
        "unit",
        "unit_price",
        "reorder_level",
        "is_supply",
    )
    try:
        data = schemas.MedicineCreate(
            name=values["name"],
            generic_name=values["generic_name"],
            form=values["form"],
            strength=values["strength"],
            unit=values["unit"],
            unit_price=values["unit_price"] or "0",
            reorder_level=values["reorder_level"] or 0,
            is_supply=values["is_supply"] == "on",
        )
        medicine = await catalogue.create(db, actor, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        return await _medicines_page(request, db, errors=errors, values=values)
    flash(request, f"Added {catalogue.present(medicine).label} to the catalogue.")
    return redirect(request, "/pharmacy/medicines")


@router.post("/pharmacy/medicines/{medicine_id}/active")
async def toggle_medicine_submit(
    medicine_id: RowId, request: Request, actor: MedicineWriter, db: DB
):
    form = await read_form(request)
    active = str(form.get("active", "")) == "1"
    medicine = await catalogue.set_active(db, actor, medicine_id, active)
    label = catalogue.present(medicine).label
    flash(request, f"{label} {'is back in' if active else 'left'} the catalogue.")
    return redirect(request, "/pharmacy/medicines")
