"""Prescriptions, renewals and the pharmacy as JSON: catalogue, stock, the queue,
dispensing, alerts and the inventory value report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request, status
from fastapi.responses import Response

from openward.core.actors import Actor
from openward.core.params import BreakGlassReason, Offset, QueryId, RowId
from openward.core.pdf import pdf_filename, pdf_response
from openward.identity.access import DB, require, settings_of
from openward.pharmacy import (
    catalogue,
    dispensing,
    prescribing,
    printing,
    reading,
    renewals,
    schemas,
    stock,
)

router = APIRouter(prefix="/api/v1", tags=["pharmacy"])

MedicineReader = Annotated[Actor, require("medicines:read")]
MedicineWriter = Annotated[Actor, require("medicines:write")]
StockReader = Annotated[Actor, require("stock:read")]
StockWriter = Annotated[Actor, require("stock:write")]
Reader = Annotated[Actor, require("prescriptions:read")]
Prescriber = Annotated[Actor, require("prescriptions:write")]
Dispenser = Annotated[Actor, require("prescriptions:dispense")]
Requester = Annotated[Actor, require("renewals:request")]
Decider = Annotated[Actor, require("renewals:decide")]
Limit = Annotated[int, Query(ge=1, le=200)]
Search = Annotated[str | None, Query(max_length=100)]


def _today(request: Request) -> date:
    return datetime.now(settings_of(request).zone).date()


def _zone(request: Request):
    return settings_of(request).zone


# ---------------------------------------------------------------- catalogue


@router.post(
    "/pharmacy/medicines",
    response_model=schemas.MedicineOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a medicine or supply to the catalogue",
)
async def create_medicine(data: schemas.MedicineCreate, actor: MedicineWriter, db: DB):
    return catalogue.present(await catalogue.create(db, actor, data))


@router.get(
    "/pharmacy/medicines",
    response_model=schemas.MedicineList,
    summary="The catalogue; q searches name, generic name, form and strength",
    description=(
        "`order=name` (default) is alphabetical. `order=recent` is the prescribing "
        "type-ahead's order: the medicines the caller prescribed most recently first (with "
        "`last_prescribed_at`), then names starting with the first word typed."
    ),
)
async def list_medicines(
    actor: MedicineReader,
    db: DB,
    q: Search = None,
    include_inactive: bool = False,
    order: Literal["name", "recent"] = "name",
    limit: Limit = 50,
    offset: Offset = 0,
):
    if order == "recent":
        chosen, total = await catalogue.choices(
            db, actor.id, q, include_inactive=include_inactive, limit=limit, offset=offset
        )
        items = [
            catalogue.present(m).model_copy(update={"last_prescribed_at": last})
            for m, last in chosen
        ]
        return {"items": items, "total": total}
    rows, total = await catalogue.search(
        db, q, include_inactive=include_inactive, limit=limit, offset=offset
    )
    return {"items": [catalogue.present(m) for m in rows], "total": total}


@router.get("/pharmacy/medicines/{medicine_id}", response_model=schemas.MedicineOut)
async def get_medicine(medicine_id: RowId, actor: MedicineReader, db: DB):
    return catalogue.present(await catalogue.get(db, medicine_id))


@router.patch("/pharmacy/medicines/{medicine_id}", response_model=schemas.MedicineOut)
async def update_medicine(
    medicine_id: RowId, data: schemas.MedicineUpdate, actor: MedicineWriter, db: DB
):
    return catalogue.present(await catalogue.update(db, actor, medicine_id, data))


@router.post(
    "/pharmacy/medicines/{medicine_id}/deactivate",
    response_model=schemas.MedicineOut,
    summary="Take a medicine out of the catalogue (kept for the prescriptions that name it)",
)
async def deactivate_medicine(medicine_id: RowId, actor: MedicineWriter, db: DB):
    return catalogue.present(await catalogue.set_active(db, actor, medicine_id, False))


@router.post("/pharmacy/medicines/{medicine_id}/activate", response_model=schemas.MedicineOut)
async def activate_medicine(medicine_id: RowId, actor: MedicineWriter, db: DB):
    return catalogue.present(await catalogue.set_active(db, actor, medicine_id, True))


# ---------------------------------------------------------------- stock


@router.post(
    "/pharmacy/stock/receipts",
    response_model=schemas.LotOut,
    status_code=status.HTTP_201_CREATED,
    summary="Receive a batch into stock (an expired batch is refused)",
)
async def receive_stock(data: schemas.ReceiptIn, request: Request, actor: StockWriter, db: DB):
    today = _today(request)
    lot = await stock.receive(db, actor, data, today=today)
    return stock.lot_out(lot, today, settings_of(request).expiry_alert_days)


@router.post(
    "/pharmacy/stock/adjustments",
    response_model=schemas.LotOut,
    summary="Correct a lot's quantity (signed) with a reason; never below zero",
)
async def adjust_stock(data: schemas.AdjustmentIn, request: Request, actor: StockWriter, db: DB):
    lot = await stock.adjust(db, actor, data)
    return stock.lot_out(lot, _today(request), settings_of(request).expiry_alert_days)


@router.get("/pharmacy/stock", response_model=schemas.StockList)
async def list_stock(
    request: Request,
    actor: StockReader,
    db: DB,
    q: Search = None,
    medicine_id: QueryId = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    return await stock.stock(
        db,
        q=q,
        medicine_id=medicine_id,
        today=_today(request),
        alert_days=settings_of(request).expiry_alert_days,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/pharmacy/alerts",
    response_model=schemas.Alerts,
    summary="Low stock, lots expiring soon (days, default the hospital's setting), expired lots",
)
async def stock_alerts(
    request: Request,
    actor: StockReader,
    db: DB,
    days: Annotated[int | None, Query(ge=1, le=730)] = None,
):
    return await stock.alerts(
        db, today=_today(request), days=days or settings_of(request).expiry_alert_days
    )


@router.get("/pharmacy/reports/inventory-value", response_model=schemas.InventoryValue)
async def inventory_value(request: Request, actor: StockReader, db: DB):
    return await stock.inventory_value(db, today=_today(request))


# ---------------------------------------------------------------- the queue and dispensing


@router.get(
    "/pharmacy/queue",
    response_model=schemas.Queue,
    summary="Prescriptions to dispense, oldest first, with what remains and what is in stock",
)
async def pharmacy_queue(
    request: Request, actor: Dispenser, db: DB, limit: Limit = 50, offset: Offset = 0
):
    return await dispensing.queue(
        db, actor, today=_today(request), zone=_zone(request), limit=limit, offset=offset
    )


@router.post(
    "/prescriptions/{prescription_id}/dispense",
    response_model=schemas.DispenseOut,
    summary="Dispense (default: all that remains) from the lots that expire first",
)
async def dispense(
    prescription_id: RowId,
    request: Request,
    actor: Dispenser,
    db: DB,
    data: Annotated[schemas.DispenseIn | None, Body()] = None,
):
    return await dispensing.dispense(db, actor, prescription_id, data, today=_today(request))


# ---------------------------------------------------------------- prescriptions


@router.post(
    "/prescriptions",
    response_model=schemas.PrescriptionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Prescribe; a severe warning blocks (409) unless override_reason is given",
)
async def prescribe(
    data: schemas.PrescriptionCreate,
    request: Request,
    actor: Prescriber,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    prescription = await prescribing.prescribe(
        db, actor, data, break_glass_reason=x_break_glass_reason
    )
    return await reading.present_one(db, prescription, _zone(request))


@router.get("/prescriptions", response_model=schemas.PrescriptionList)
async def list_prescriptions(
    request: Request,
    actor: Reader,
    db: DB,
    patient_id: QueryId = None,
    status: schemas.PrescriptionStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    x_break_glass_reason: BreakGlassReason = None,
):
    rows, total = await prescribing.list_prescriptions(
        db,
        actor,
        patient_id=patient_id,
        status=status,
        break_glass_reason=x_break_glass_reason,
        limit=limit,
        offset=offset,
    )
    return {"items": await reading.present(db, rows, _zone(request)), "total": total}


@router.get("/prescriptions/{prescription_id}", response_model=schemas.PrescriptionOut)
async def get_prescription(
    prescription_id: RowId,
    request: Request,
    actor: Reader,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    prescription = await reading.get_for(
        db, actor, prescription_id, break_glass_reason=x_break_glass_reason
    )
    return await reading.present_one(db, prescription, _zone(request))


@router.post("/prescriptions/{prescription_id}/cancel", response_model=schemas.PrescriptionOut)
async def cancel_prescription(
    prescription_id: RowId,
    data: schemas.CancelIn,
    request: Request,
    actor: Prescriber,
    db: DB,
):
    prescription = await prescribing.cancel(db, actor, prescription_id, data.reason)
    return await reading.present_one(db, prescription, _zone(request))


@router.get(
    "/prescriptions/{prescription_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The prescription"}},
    summary="The prescription as a printable PDF",
)
async def prescription_pdf(
    prescription_id: RowId,
    request: Request,
    actor: Reader,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    settings = settings_of(request)
    content, stem = await printing.pdf(
        db,
        actor,
        prescription_id,
        hospital_name=settings.hospital_name,
        zone=settings.zone,
        break_glass_reason=x_break_glass_reason,
    )
    return pdf_response(content, pdf_filename(stem))


# ---------------------------------------------------------------- renewals


@router.post(
    "/prescriptions/{prescription_id}/renewal-requests",
    response_model=schemas.RenewalOut,
    status_code=status.HTTP_201_CREATED,
    summary="A patient asks for their prescription to be renewed",
)
async def request_renewal(
    prescription_id: RowId,
    request: Request,
    actor: Requester,
    db: DB,
    data: Annotated[schemas.RenewalRequestIn | None, Body()] = None,
):
    renewal = await renewals.request_renewal(
        db, actor, prescription_id, data.note if data else None
    )
    return (await renewals.present_renewals(db, [renewal], _zone(request)))[0]


@router.get(
    "/renewal-requests",
    response_model=schemas.RenewalList,
    summary="Doctors: requests on their prescriptions, pending first; patients: their own",
)
async def list_renewals(
    request: Request,
    actor: Annotated[Actor, require("prescriptions:read")],
    db: DB,
    status: schemas.RenewalStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    rows, total = await renewals.list_renewals(db, actor, status=status, limit=limit, offset=offset)
    return {"items": await renewals.present_renewals(db, rows, _zone(request)), "total": total}


@router.post(
    "/renewal-requests/{request_id}/approve",
    response_model=schemas.RenewalOut,
    summary="Approve: a new prescription with the same items, checked again",
)
async def approve_renewal(
    request_id: RowId,
    request: Request,
    actor: Decider,
    db: DB,
    data: Annotated[schemas.RenewalApproveIn | None, Body()] = None,
):
    renewal = await renewals.approve_renewal(
        db, actor, request_id, data or schemas.RenewalApproveIn()
    )
    return (await renewals.present_renewals(db, [renewal], _zone(request)))[0]


@router.post("/renewal-requests/{request_id}/decline", response_model=schemas.RenewalOut)
async def decline_renewal(
    request_id: RowId,
    data: schemas.RenewalDeclineIn,
    request: Request,
    actor: Decider,
    db: DB,
):
    renewal = await renewals.decline_renewal(db, actor, request_id, data.note)
    return (await renewals.present_renewals(db, [renewal], _zone(request)))[0]
