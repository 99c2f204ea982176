"""The pharmacist's pages: the queue and dispensing one prescription."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import Offset, RowId, parse_id, parse_int
from openward.identity.access import DB, require
from openward.patients import service as patients_service
from openward.pharmacy import dispensing, reading, schemas, stock
from openward.pharmacy.pages._shared import PAGE, dispensed_history, hospital_today, hospital_zone
from openward.web.forms import flash, form_failure, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

Dispenser = Annotated[Actor, require("prescriptions:dispense")]


@router.get("/pharmacy")
async def queue_page(request: Request, actor: Dispenser, db: DB, offset: Offset = 0):
    queue = await dispensing.queue(
        db,
        actor,
        today=hospital_today(request),
        zone=hospital_zone(request),
        limit=PAGE,
        offset=offset,
    )
    return render(
        request,
        "pharmacy/queue.html",
        {"queue": queue, "total": queue.total, "limit": PAGE, "offset": offset},
    )


async def _dispense_page(
    request: Request,
    db: Any,
    actor: Actor,
    prescription_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    result: schemas.DispenseOut | None = None,
    status_code: int = 200,
):
    prescription = await reading.get_for(db, actor, prescription_id)
    shown = await reading.present_one(db, prescription, hospital_zone(request))
    today = hospital_today(request)
    on_hand = await stock.usable_on_hand(db, [i.medicine_id for i in shown.items], today)
    return render(
        request,
        "pharmacy/dispense.html",
        {
            "p": shown,
            "banner": await patients_service.banner(db, shown.patient_id, hospital_zone(request)),
            "plan": await dispensing.plan(db, shown.items, today=today),
            "on_hand": on_hand,
            "history": await dispensed_history(db, shown),
            "errors": errors or {},
            "values": values or {},
            "result": result,
        },
        status_code=status_code,
    )


@router.get("/pharmacy/prescriptions/{prescription_id}")
async def dispense_page(prescription_id: RowId, request: Request, actor: Dispenser, db: DB):
    return await _dispense_page(request, db, actor, prescription_id)


@router.post("/pharmacy/prescriptions/{prescription_id}/dispense")
async def dispense_submit(prescription_id: RowId, request: Request, actor: Dispenser, db: DB):
    form = await read_form(request)
    values = {k: str(v).strip() for k, v in form.items() if k.startswith("qty_")}
    errors: dict[str, str] = {}
    lines = []
    for key, raw in values.items():
        item_id = parse_id(key[4:])
        quantity = parse_int(raw, 0, schemas.MAX_QUANTITY)
        if not raw or quantity == 0:
            continue
        if item_id is None or quantity is None:
            errors[key] = f"Enter a whole number from 1 to {schemas.MAX_QUANTITY:,}."
            continue
        lines.append(schemas.DispenseItemIn(item_id=item_id, quantity=quantity))
    if not lines and not errors:
        errors["form"] = "Enter a quantity to dispense."
    if errors:
        return await _dispense_page(
            request, db, actor, prescription_id, errors=errors, values=values
        )
    try:
        result = await dispensing.dispense(
            db,
            actor,
            prescription_id,
            schemas.DispenseIn(items=lines),
            today=hospital_today(request),
        )
    except DomainError as exc:
        errors = await form_failure(db, exc)
        if exc.field and exc.field.startswith("items."):
            index = int(exc.field.split(".")[1])
            errors = {f"qty_{lines[index].item_id}": exc.detail}
        return await _dispense_page(
            request,
            db,
            actor,
            prescription_id,
            errors=errors,
            values=values,
        )
    flash(
        request,
        "Dispensed: "
        + "; ".join(
            f"{line.medicine} × {line.dispensed} ("
            + ", ".join(f"lot {lot.batch_number} × {lot.quantity}" for lot in line.lots)
            + ")"
            for line in result.lines
            if line.dispensed
        )
        + ("" if result.complete else " — the rest waits for stock."),
    )
    return redirect(request, f"/pharmacy/prescriptions/{prescription_id}")
