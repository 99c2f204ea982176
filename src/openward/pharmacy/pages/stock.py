"""Stock pages: the shelves (receiving and adjusting lots), expiry and reorder alerts, and
the inventory value report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import Offset
from openward.identity.access import DB, require, settings_of
from openward.pharmacy import schemas, stock
from openward.pharmacy.pages._shared import PAGE, hospital_today, medicine_options
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

StockReader = Annotated[Actor, require("stock:read")]
StockWriter = Annotated[Actor, require("stock:write")]


async def _stock_page(
    request: Request,
    db: Any,
    *,
    q: str = "",
    offset: int = 0,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
):
    found = await stock.stock(
        db,
        q=q or None,
        today=hospital_today(request),
        alert_days=settings_of(request).expiry_alert_days,
        limit=PAGE,
        offset=offset,
    )
    return render(
        request,
        "pharmacy/stock.html",
        {
            "stock": found,
            "total": found.total,
            "limit": PAGE,
            "offset": offset,
            "q": q,
            "base_query": f"q={q}" if q else "",
            "medicines": await medicine_options(db),
            "errors": errors or {},
            "values": values or {},
            "today": hospital_today(request).isoformat(),
        },
        status_code=status_code,
    )


@router.get("/pharmacy/stock")
async def stock_page(
    request: Request,
    actor: StockReader,
    db: DB,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Offset = 0,
):
    return await _stock_page(request, db, q=q or "", offset=offset)


@router.post("/pharmacy/stock/receive")
async def receive_submit(request: Request, actor: StockWriter, db: DB):
    form = await read_form(request)
    values = form_values(
        form, "medicine_id", "batch_number", "expiry_date", "quantity", "unit_cost", "supplier"
    )
    try:
        data = schemas.ReceiptIn(
            medicine_id=values["medicine_id"],
            batch_number=values["batch_number"],
            expiry_date=values["expiry_date"],
            quantity=values["quantity"],
            unit_cost=values["unit_cost"],
            supplier=values["supplier"] or None,
        )
        lot = await stock.receive(db, actor, data, today=hospital_today(request))
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        if "medicine_id" in errors:
            errors["medicine_id"] = "Choose a medicine."
        return await _stock_page(request, db, errors=errors, values=values)
    flash(request, f"Received batch {lot.batch_number}: {lot.quantity} units.")
    return redirect(request, "/pharmacy/stock")


@router.post("/pharmacy/stock/adjust")
async def adjust_submit(request: Request, actor: StockWriter, db: DB):
    form = await read_form(request)
    values = form_values(form, "adj_lot_id", "adj_quantity", "adj_reason")
    try:
        data = schemas.AdjustmentIn(
            lot_id=values["adj_lot_id"],
            quantity=values["adj_quantity"],
            reason=values["adj_reason"],
        )
        lot = await stock.adjust(db, actor, data)
    except (ValidationError, DomainError) as exc:
        errors = {f"adj_{k}": v for k, v in (await form_failure(db, exc)).items()}
        return await _stock_page(request, db, errors=errors, values=values)
    flash(request, f"Lot {lot.batch_number} now holds {lot.quantity}.")
    return redirect(request, "/pharmacy/stock")


@router.get("/pharmacy/alerts")
async def alerts_page(
    request: Request,
    actor: StockReader,
    db: DB,
    days: Annotated[int | None, Query(ge=1, le=730)] = None,
):
    days = days or settings_of(request).expiry_alert_days
    return render(
        request,
        "pharmacy/alerts.html",
        {"alerts": await stock.alerts(db, today=hospital_today(request), days=days)},
    )


@router.get("/pharmacy/reports/inventory-value")
async def inventory_value_page(request: Request, actor: StockReader, db: DB):
    return render(
        request,
        "pharmacy/inventory_value.html",
        {"report": await stock.inventory_value(db, today=hospital_today(request))},
    )
