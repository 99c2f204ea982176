"""Prescription pages: the doctor's prescription form, renewals and cancelling, one
prescription, and the patient's own prescriptions with their renewal requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import MAX_ID, Offset, RowId, is_ascii_digits, parse_id, parse_int
from openward.identity.access import DB, require
from openward.patients import service as patients_service
from openward.pharmacy import catalogue, prescribing, reading, renewals, schemas
from openward.pharmacy.pages._shared import PAGE, dispensed_history, hospital_zone
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("prescriptions:read")]
Prescriber = Annotated[Actor, require("prescriptions:write")]
Decider = Annotated[Actor, require("renewals:decide")]
Self = Annotated[Actor, require("clinical:self")]
Requester = Annotated[Actor, require("renewals:request")]

ITEM_FIELDS = (
    "medicine_id",
    "medicine_q",  # what was typed in the medicine search box
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


# ---------------------------------------------------------------- prescribing (doctor)


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
    matches: dict[int, MedicineMatches] | None = None,
    status_code: int = 200,
):
    patient = await patients_service.get_for(db, actor, patient_id) if patient_id else None
    patients: list[Any] = []
    if patient is None and q:
        patients, _ = await patients_service.search(db, actor, q, limit=10)
    while len(rows) < MIN_ROWS:
        rows.append({name: "" for name in ITEM_FIELDS})
    return render(
        request,
        "pharmacy/prescribe.html",
        {
            "patient": patient,
            "banner": await patients_service.banner(db, patient.id, hospital_zone(request))
            if patient is not None
            else None,
            "matches": patients,
            "medicine_matches": matches or {},
            "q": q,
            "values": values,
            "rows": rows,
            "errors": errors or {},
            "warnings": warnings or [],
            "blocked": blocked,
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


MATCHES_SHOWN = 8  # medicines listed under a search box when the page is used without JS


@dataclass
class MedicineMatches:
    """The medicines found for what was typed in one row (the page without JavaScript)."""

    typed: str
    found: list[tuple[schemas.MedicineOut, bool]]  # (medicine, prescribed recently by me)
    total: int


async def _resolve_medicines(
    db: Any, actor: Actor, rows: list[dict[str, str]], form: Any
) -> tuple[dict[int, MedicineMatches], dict[str, str]]:
    """Settle each row's medicine. A medicine picked from the matches wins; a chosen one
    stays while its name is still in the box; otherwise the words typed are searched (the
    doctor's recent choices first) and listed to pick from, with an error for the row."""
    matches: dict[int, MedicineMatches] = {}
    errors: dict[str, str] = {}
    for index, row in enumerate(rows):
        picked = parse_id(str(form.get(f"medicine_pick_{index}", "")))
        chosen = picked or parse_id(row["medicine_id"])
        typed = row["medicine_q"] = " ".join(row["medicine_q"].split())[:100]
        if chosen is not None:
            found = (await catalogue.many(db, [chosen])).get(chosen)
            label = catalogue.present(found).label if found else ""
            if found is not None and (picked or not typed or typed == label):
                row["medicine_id"], row["medicine_q"] = str(chosen), label
                if picked and not row["route"]:
                    row["route"] = catalogue.usual_route(found.form) or ""
                continue
        row["medicine_id"] = ""
        if not typed:
            continue
        found_rows, total = await catalogue.choices(db, actor.id, typed, limit=MATCHES_SHOWN)
        matches[index] = MedicineMatches(
            typed=typed,
            found=[(catalogue.present(m), last is not None) for m, last in found_rows],
            total=total,
        )
        errors[f"medicine_id_{index}"] = (
            f"Choose one of the medicines found for “{typed}”."
            if total
            else f"No medicine in the catalogue matches “{typed}”."
        )
    return matches, errors


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
    matches, unsettled = await _resolve_medicines(db, actor, rows, form)
    if values["action"] in ("add_row", "find"):
        if values["action"] == "add_row":
            rows.append({name: "" for name in ITEM_FIELDS})
        return await _prescribe_page(
            request,
            db,
            actor,
            patient_id=patient_id,
            values=values,
            rows=rows[:MAX_ROWS],
            matches=matches,
        )
    items, errors = _items_from(rows)
    errors.update(unsettled)
    if unsettled:
        errors.pop("form", None)
        return await _prescribe_page(
            request,
            db,
            actor,
            patient_id=patient_id,
            values=values,
            rows=rows,
            errors=errors,
            matches=matches,
        )
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
            )
        shown = await reading.present_one(db, prescription)
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
    )


# ---------------------------------------------------------------- renewals (doctor)


@router.get("/prescriptions/renewals")
async def renewals_page(request: Request, actor: Decider, db: DB, offset: Offset = 0):
    rows, total = await renewals.list_renewals(db, actor, limit=PAGE, offset=offset)
    return render(
        request,
        "pharmacy/renewals.html",
        {
            "requests": await renewals.present_renewals(db, rows, hospital_zone(request)),
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
        renewal = await renewals.approve_renewal(db, actor, request_id, data)
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
        await renewals.decline_renewal(db, actor, request_id, data.note)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        message = errors.get("note") and "Say why you decline (at least 3 characters)."
        flash(request, message or next(iter(errors.values())), "error")
        return redirect(request, "/prescriptions/renewals")
    flash(request, "Renewal declined; the patient sees your note.")
    return redirect(request, "/prescriptions/renewals")


# ---------------------------------------------------------------- one prescription


@router.get("/prescriptions/{prescription_id}")
async def prescription_page(prescription_id: RowId, request: Request, actor: Reader, db: DB):
    prescription = await reading.get_for(db, actor, prescription_id)
    shown = await reading.present_one(db, prescription, hospital_zone(request))
    return render(
        request,
        "pharmacy/prescription.html",
        {
            "p": shown,
            "banner": await patients_service.banner(db, shown.patient_id, hospital_zone(request))
            if actor.role != "patient"
            else None,
            "history": await dispensed_history(db, shown),
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
    requests, _ = await renewals.list_renewals(db, actor, limit=50)
    shown_renewals = await renewals.present_renewals(db, requests, hospital_zone(request))
    pending = {r.prescription_id for r in shown_renewals if r.status == "pending"}
    return render(
        request,
        "pharmacy/my_prescriptions.html",
        {
            "prescriptions": await reading.present(db, rows, hospital_zone(request)),
            "total": total,
            "limit": PAGE,
            "offset": offset,
            "renewals": shown_renewals,
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
        await renewals.request_renewal(db, actor, prescription_id, data.note)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        flash(request, next(iter(errors.values())), "error")
        return redirect(request, "/my/prescriptions")
    flash(request, "Renewal requested; your doctor will approve or decline it.")
    return redirect(request, "/my/prescriptions")
