"""Prescribing and pharmacy pages: the doctor's prescription form and renewals, the
pharmacist's queue, dispensing, stock, alerts, catalogue and value report, and the
patient's own prescriptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import MAX_ID, Offset, RowId, is_ascii_digits, parse_id, parse_int
from openward.identity.access import DB, require, settings_of
from openward.patients import service as patients_service
from openward.pharmacy import catalogue, dispensing, prescribing, schemas, stock
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("prescriptions:read")]
Prescriber = Annotated[Actor, require("prescriptions:write")]
Dispenser = Annotated[Actor, require("prescriptions:dispense")]
StockReader = Annotated[Actor, require("stock:read")]
StockWriter = Annotated[Actor, require("stock:write")]
MedicineWriter = Annotated[Actor, require("medicines:write")]
Decider = Annotated[Actor, require("renewals:decide")]
Self = Annotated[Actor, require("clinical:self")]
Requester = Annotated[Actor, require("renewals:request")]
PAGE = 25
ITEM_FIELDS = (
    "medicine_id",
    "dose",
    "route",
    "frequency",
    "duration_days",
    "quantity",
    "instructions",
)
MIN_ROWS, MAX_ROWS = 3, 15
ROUTES = (
    "oral",
    "sublingual",
    "inhaled",
    "topical",
    "subcutaneous",
    "intramuscular",
    "intravenous",
    "rectal",
    "eye",
    "ear",
    "nasal",
)


def _today(request: Request) -> date:
    return datetime.now(settings_of(request).zone).date()


def _zone(request: Request):
    return settings_of(request).zone


# ---------------------------------------------------------------- prescribing (doctor)


async def _medicine_options(db: Any) -> list[tuple[str, str]]:
    rows, _ = await catalogue.search(db, limit=500)
    return [(str(m.id), catalogue.present(m).label) for m in rows]


def _rows_from(form: Any, count: int) -> list[dict[str, str]]:
    return [
        {name: str(form.get(f"{name}_{index}", "")).strip() for name in ITEM_FIELDS}
        for index in range(count)
    ]


async def _prescribe_page(
    request: Request,
    db: Any,
    actor: Actor,
    *,
    patient_id: int | None,
    values: dict[str, str],
    rows: list[dict[str, str]],
    errors: dict[str, str] | None = None,
    warnings: list[dict[str, str]] | None = None,
    blocked: bool = False,
    q: str = "",
    status_code: int = 200,
):
    patient = await patients_service.get_for(db, actor, patient_id) if patient_id else None
    matches: list[Any] = []
    if patient is None and q:
        matches, _ = await patients_service.search(db, actor, q, limit=10)
    allergies: list[tuple[str, str]] = []
    if patient is not None:
        from openward.clinical import service as clinical_service

        allergies = await clinical_service.active_allergies(db, patient.id)
    while len(rows) < MIN_ROWS:
        rows.append({name: "" for name in ITEM_FIELDS})
    return render(
        request,
        "pharmacy/prescribe.html",
        {
            "patient": patient,
            "allergies": allergies,
            "matches": matches,
            "q": q,
            "values": values,
            "rows": rows,
            "errors": errors or {},
            "warnings": warnings or [],
            "blocked": blocked,
            "medicines": await _medicine_options(db),
            "routes": ROUTES,
            "max_rows": MAX_ROWS,
        },
        status_code=status_code,
    )


@router.get("/prescriptions/new")
async def new_prescription_page(
    request: Request,
    actor: Prescriber,
    db: DB,
    patient_id: Annotated[str | None, Query(max_length=12)] = None,
    encounter_id: Annotated[str | None, Query(max_length=12)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    values = {"encounter_id": encounter_id or "", "notes": "", "override_reason": ""}
    return await _prescribe_page(
        request, db, actor, patient_id=parse_id(patient_id), values=values, rows=[], q=q or ""
    )


def _typed_number(text: str) -> int | None:
    """A count typed into a row (None when blank), left for the schema to range-check;
    ValueError when it is not a whole number in ASCII digits."""
    text = text.strip()
    if not text:
        return None
    digits = text.removeprefix("-")
    if not is_ascii_digits(digits):
        raise ValueError(text)
    # A 5,000-digit number is out of every range: keep it out of range without building it.
    value = int(digits) if len(digits) <= 12 else 10**12
    return -value if text.startswith("-") else value


def _items_from(rows: list[dict[str, str]]) -> tuple[list[schemas.ItemIn], dict[str, str]]:
    """The filled rows as items (blank rows skipped), or errors keyed like `dose_1`."""
    items, errors = [], {}
    for index, row in enumerate(rows):
        if not any(row.values()):
            continue
        try:
            duration_days = _typed_number(row["duration_days"])
        except ValueError:
            errors[f"duration_days_{index}"] = "Enter a whole number of days."
            continue
        try:
            quantity = _typed_number(row["quantity"]) or 0
        except ValueError:
            errors[f"quantity_{index}"] = "Enter a whole number."
            continue
        try:
            items.append(
                schemas.ItemIn(
                    medicine_id=parse_id(row["medicine_id"]) or 0,
                    dose=row["dose"],
                    route=row["route"],
                    frequency=row["frequency"],
                    duration_days=duration_days,
                    quantity=quantity,
                    instructions=row["instructions"] or None,
                )
            )
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err.get("loc") else "dose"
                message = (
                    "This field is required."
                    if err.get("input") in ("", 0)
                    else (err.get("msg", "Invalid value").removeprefix("Value error, "))
                )
                if field == "medicine_id":
                    message = "Choose a medicine."
                errors.setdefault(f"{field}_{index}", message)
    if not items and not errors:
        errors["form"] = "Add at least one medicine."
    return items, errors


@router.post("/prescriptions/new")
async def new_prescription_submit(request: Request, actor: Prescriber, db: DB):
    form = await read_form(request)
    values = form_values(form, "patient_id", "encounter_id", "notes", "override_reason", "action")
    typed_rows = parse_int(str(form.get("row_count", "")), 0, MAX_ID) or MIN_ROWS
    count = min(max(typed_rows, MIN_ROWS), MAX_ROWS)
    rows = _rows_from(form, count)
    patient_id = parse_id(values["patient_id"])
    if values["action"] == "add_row":
        rows.append({name: "" for name in ITEM_FIELDS})
        return await _prescribe_page(
            request, db, actor, patient_id=patient_id, values=values, rows=rows[:MAX_ROWS]
        )
    items, errors = _items_from(rows)
    if patient_id is None:
        errors["form"] = "Choose the patient first."
    if not errors:
        try:
            data = schemas.PrescriptionCreate(
                patient_id=patient_id,
                encounter_id=parse_id(values["encounter_id"]),
                items=items,
                notes=values["notes"] or None,
                override_reason=values["override_reason"] or None,
            )
            prescription = await prescribing.prescribe(db, actor, data)
        except (ValidationError, DomainError) as exc:
            warnings = exc.extra.get("warnings", []) if isinstance(exc, DomainError) else []
            blocked = bool(warnings)
            errors = await form_failure(db, exc)
            if blocked:
                errors = {"override_reason": "Give a reason (at least 5 characters) to override."}
                if values["override_reason"]:
                    errors = {}
            return await _prescribe_page(
                request,
                db,
                actor,
                patient_id=patient_id,
                values=values,
                rows=rows,
                errors=errors,
                warnings=warnings,
                blocked=blocked,
                status_code=409 if blocked else 422,
            )
        shown = await prescribing.present_one(db, prescription)
        note = f" with {len(shown.warnings)} warning(s)" if shown.warnings else ""
        flash(
            request, f"Prescription #{prescription.id} written{note}; the pharmacy can dispense it."
        )
        return redirect(request, f"/prescriptions/{prescription.id}")
    return await _prescribe_page(
        request,
        db,
        actor,
        patient_id=patient_id,
        values=values,
        rows=rows,
        errors=errors,
        status_code=422,
    )


# ---------------------------------------------------------------- renewals (doctor)


@router.get("/prescriptions/renewals")
async def renewals_page(request: Request, actor: Decider, db: DB, offset: Offset = 0):
    rows, total = await prescribing.list_renewals(db, actor, limit=PAGE, offset=offset)
    return render(
        request,
        "pharmacy/renewals.html",
        {
            "requests": await prescribing.present_renewals(db, rows, _zone(request)),
            "total": total,
            "limit": PAGE,
            "offset": offset,
            "errors": {},
        },
    )


@router.post("/prescriptions/renewals/{request_id}/approve")
async def approve_renewal_submit(request_id: RowId, request: Request, actor: Decider, db: DB):
    form = await read_form(request)
    values = form_values(form, "note", "override_reason")
    try:
        data = schemas.RenewalApproveIn(
            note=values["note"] or None, override_reason=values["override_reason"] or None
        )
        renewal = await prescribing.approve_renewal(db, actor, request_id, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        flash(request, next(iter(errors.values())), "error")
        return redirect(request, "/prescriptions/renewals")
    flash(request, f"Renewed as prescription #{renewal.new_prescription_id}.")
    return redirect(request, "/prescriptions/renewals")


@router.post("/prescriptions/renewals/{request_id}/decline")
async def decline_renewal_submit(request_id: RowId, request: Request, actor: Decider, db: DB):
    form = await read_form(request)
    values = form_values(form, "note")
    try:
        data = schemas.RenewalDeclineIn(note=values["note"])
        await prescribing.decline_renewal(db, actor, request_id, data.note)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        message = errors.get("note") and "Say why you decline (at least 3 characters)."
        flash(request, message or next(iter(errors.values())), "error")
        return redirect(request, "/prescriptions/renewals")
    flash(request, "Renewal declined; the patient sees your note.")
    return redirect(request, "/prescriptions/renewals")


# ---------------------------------------------------------------- one prescription


async def _dispensed_history(db: Any, shown: schemas.PrescriptionOut) -> list[dict[str, Any]]:
    found = await dispensing.dispensations_of(db, [i.id for i in shown.items])
    names = {i.id: i.medicine for i in shown.items}
    history = []
    for item_id, rows in found.items():
        for dispensation, lot in rows:
            history.append(
                {
                    "at": dispensation.dispensed_at,
                    "medicine": names[item_id],
                    "batch": lot.batch_number,
                    "expiry": lot.expiry_date,
                    "quantity": dispensation.quantity,
                }
            )
    return sorted(history, key=lambda row: row["at"])


@router.get("/prescriptions/{prescription_id}")
async def prescription_page(prescription_id: RowId, request: Request, actor: Reader, db: DB):
    prescription = await prescribing.get_for(db, actor, prescription_id)
    shown = await prescribing.present_one(db, prescription, _zone(request))
    return render(
        request,
        "pharmacy/prescription.html",
        {
            "p": shown,
            "history": await _dispensed_history(db, shown),
            "errors": {},
            "values": {},
        },
    )


@router.post("/prescriptions/{prescription_id}/cancel")
async def cancel_submit(prescription_id: RowId, request: Request, actor: Prescriber, db: DB):
    form = await read_form(request)
    values = form_values(form, "reason")
    try:
        data = schemas.CancelIn(reason=values["reason"])
        await prescribing.cancel(db, actor, prescription_id, data.reason)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        flash(
            request,
            errors.get("reason")
            and "Give a reason (at least 3 characters)."
            or next(iter(errors.values())),
            "error",
        )
        return redirect(request, f"/prescriptions/{prescription_id}")
    flash(request, "Prescription cancelled.")
    return redirect(request, f"/prescriptions/{prescription_id}")


# ---------------------------------------------------------------- the patient's own


@router.get("/my/prescriptions")
async def my_prescriptions_page(request: Request, actor: Self, db: DB, offset: Offset = 0):
    rows, total = await prescribing.list_prescriptions(db, actor, limit=PAGE, offset=offset)
    requests, _ = await prescribing.list_renewals(db, actor, limit=50)
    renewals = await prescribing.present_renewals(db, requests, _zone(request))
    pending = {r.prescription_id for r in renewals if r.status == "pending"}
    return render(
        request,
        "pharmacy/my_prescriptions.html",
        {
            "prescriptions": await prescribing.present(db, rows, _zone(request)),
            "total": total,
            "limit": PAGE,
            "offset": offset,
            "renewals": renewals,
            "pending": pending,
        },
    )


@router.post("/my/prescriptions/{prescription_id}/renewal")
async def request_renewal_submit(
    prescription_id: RowId, request: Request, actor: Requester, db: DB
):
    form = await read_form(request)
    values = form_values(form, "note")
    try:
        data = schemas.RenewalRequestIn(note=values["note"] or None)
        await prescribing.request_renewal(db, actor, prescription_id, data.note)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        flash(request, next(iter(errors.values())), "error")
        return redirect(request, "/my/prescriptions")
    flash(request, "Renewal requested; your doctor will approve or decline it.")
    return redirect(request, "/my/prescriptions")


# ---------------------------------------------------------------- the pharmacy


@router.get("/pharmacy")
async def queue_page(request: Request, actor: Dispenser, db: DB, offset: Offset = 0):
    queue = await dispensing.queue(
        db, actor, today=_today(request), zone=_zone(request), limit=PAGE, offset=offset
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
    prescription = await prescribing.get_for(db, actor, prescription_id)
    shown = await prescribing.present_one(db, prescription, _zone(request))
    today = _today(request)
    on_hand = await stock.usable_on_hand(db, [i.medicine_id for i in shown.items], today)
    return render(
        request,
        "pharmacy/dispense.html",
        {
            "p": shown,
            "plan": await dispensing.plan(db, shown.items, today=today),
            "on_hand": on_hand,
            "history": await _dispensed_history(db, shown),
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
            request, db, actor, prescription_id, errors=errors, values=values, status_code=422
        )
    try:
        result = await dispensing.dispense(
            db, actor, prescription_id, schemas.DispenseIn(items=lines), today=_today(request)
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
            status_code=exc.status,
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


# ---------------------------------------------------------------- stock


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
        today=_today(request),
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
            "medicines": await _medicine_options(db),
            "errors": errors or {},
            "values": values or {},
            "today": _today(request).isoformat(),
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
        lot = await stock.receive(db, actor, data, today=_today(request))
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        if "medicine_id" in errors:
            errors["medicine_id"] = "Choose a medicine."
        return await _stock_page(request, db, errors=errors, values=values, status_code=422)
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
        return await _stock_page(request, db, errors=errors, values=values, status_code=422)
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
        {"alerts": await stock.alerts(db, today=_today(request), days=days)},
    )


@router.get("/pharmacy/reports/inventory-value")
async def inventory_value_page(request: Request, actor: StockReader, db: DB):
    return render(
        request,
        "pharmacy/inventory_value.html",
        {"report": await stock.inventory_value(db, today=_today(request))},
    )


# ---------------------------------------------------------------- catalogue


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
        return await _medicines_page(request, db, errors=errors, values=values, status_code=422)
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
