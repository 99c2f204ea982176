"""Laboratory pages: ordering, the orders list, the lab's worklist, one order with its steps
and result entry, and the patient's own results."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import Offset, RowId, parse_id
from openward.identity.access import DB, require, settings_of
from openward.lab import catalogue as lab_catalogue
from openward.lab import flags as lab_flags
from openward.lab import orders as lab_orders
from openward.lab import results as lab_results
from openward.lab import schemas
from openward.lab import service as lab_service
from openward.lab import workflow as lab_workflow
from openward.lab.models import ORDER_STATUSES, PRIORITIES
from openward.patients import service as patients_service
from openward.staff import service as staff_service
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("lab:read")]
Orderer = Annotated[Actor, require("lab:order")]
Lab = Annotated[Actor, require("lab:process")]
Acknowledger = Annotated[Actor, require("lab:acknowledge")]
Patient = Annotated[Actor, require("clinical:self")]
PAGE = 25
# The worklist's tabs: what waits for the lab, then what is done.
WORKLIST_TABS = [
    ("", "Open"),
    ("ordered", "To collect"),
    ("collected", "Collected"),
    ("in_progress", "In progress"),
    ("resulted", "To verify"),
    ("verified", "Verified"),
    ("cancelled", "Cancelled"),
]
QUALITATIVE_CHOICES = ("negative", "trace", "1+", "2+", "3+", "positive")


def _status(text: str | None) -> str | None:
    return text if text in ORDER_STATUSES else None


def _helpers() -> dict[str, Any]:
    return {
        "show_value": lab_flags.display_value,
        "show_range": lab_flags.display_range,
        "flag_words": lab_flags.FLAG_WORDS,
    }


# ---------------------------------------------------------------- lists


@router.get("/lab/orders")
async def orders_page(
    request: Request,
    actor: Reader,
    db: DB,
    status: Annotated[str | None, Query(max_length=20)] = None,
    patient_id: Annotated[str | None, Query(max_length=12)] = None,
    offset: Offset = 0,
):
    if actor.role == "patient":
        return redirect(request, "/my/results")
    open_only = status == "open"  # still in the lab: the doctor's "in progress" card
    chosen = _status(status)
    rows, total = await lab_orders.list_orders(
        db,
        actor,
        status=chosen,
        statuses=lab_workflow.PENDING if open_only else None,
        patient_id=parse_id(patient_id),
        limit=PAGE,
        offset=offset,
    )
    filters = {"status": "open" if open_only else chosen or "", "patient_id": patient_id or ""}
    return render(
        request,
        "lab/orders.html",
        {
            "orders": await lab_orders.summaries(db, actor, rows),
            "total": total,
            "limit": PAGE,
            "offset": offset,
            "filters": filters,
            "base_query": urlencode({k: v for k, v in filters.items() if v}),
            "statuses": ORDER_STATUSES,
            "worklist": False,
        },
    )


@router.get("/lab/worklist")
async def worklist_page(
    request: Request,
    actor: Lab,
    db: DB,
    status: Annotated[str | None, Query(max_length=20)] = None,
    priority: Annotated[str | None, Query(max_length=10)] = None,
    offset: Offset = 0,
):
    """The open orders by step, or the STAT ones still open (?priority=stat)."""
    chosen = _status(status)
    stat = "stat" if priority == "stat" else None
    rows, total = await lab_orders.list_orders(
        db,
        actor,
        status=chosen,
        statuses=None if chosen else lab_workflow.PENDING,
        priority=stat,
        limit=PAGE,
        offset=offset,
    )
    query = {k: v for k, v in {"status": chosen, "priority": stat}.items() if v}
    return render(
        request,
        "lab/orders.html",
        {
            "orders": await lab_orders.summaries(db, actor, rows),
            "total": total,
            "limit": PAGE,
            "offset": offset,
            "filters": {"status": chosen or "", "priority": stat or ""},
            "base_query": urlencode(query),
            "tabs": WORKLIST_TABS,
            "figures": await lab_service.dashboard_figures(
                db, actor, zone=settings_of(request).zone
            ),
            "worklist": True,
        },
    )


@router.get("/lab/critical-values")
async def critical_values_page(request: Request, actor: Lab, db: DB):
    """The critical values entered today (the technician's "Critical values today" card)."""
    rows = await lab_service.critical_values_today(db, actor, zone=settings_of(request).zone)
    return render(request, "lab/critical_values.html", {"rows": rows, **_helpers()})


# ---------------------------------------------------------------- ordering


async def _order_context(
    request: Request, db: Any, actor: Actor, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    patient, matches = await patients_service.chosen_or_matches(
        db, actor, parse_id(values.get("patient_id")), values.get("q")
    )
    groups: dict[str, list[schemas.LabTestOut]] = {}
    for test in await lab_catalogue.list_tests(db):
        groups.setdefault(test.specimen, []).append(test)
    doctors: list[Any] = []
    if actor.role != "doctor":
        doctors, _ = await staff_service.list_doctors(db, zone=settings_of(request).zone, limit=200)
    return {
        "values": values,
        "errors": errors,
        "patient": patient,
        "matches": matches,
        "groups": sorted(groups.items()),
        "priorities": PRIORITIES,
        "doctors": doctors,
    }


@router.get("/lab/orders/new")
async def new_order_page(
    request: Request,
    actor: Orderer,
    db: DB,
    patient_id: Annotated[str | None, Query(max_length=12)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    test: Annotated[list[str] | None, Query(max_length=30)] = None,
):
    values = {
        "patient_id": patient_id or "",
        "q": q or "",
        "tests": [t.upper() for t in test or []],
        "priority": "routine",
        "clinical_notes": "",
        "doctor_id": "",
    }
    return render(request, "lab/new.html", await _order_context(request, db, actor, values, {}))


@router.post("/lab/orders/new")
async def new_order_submit(request: Request, actor: Orderer, db: DB):
    form = await read_form(request)
    values: dict[str, Any] = form_values(
        form, "patient_id", "priority", "clinical_notes", "doctor_id", "q"
    )
    values["tests"] = [str(t) for t in form.getlist("tests")]
    errors: dict[str, str] = {}
    if not parse_id(values["patient_id"]):
        errors["patient_id"] = "Find and choose the patient first."
    if not values["tests"]:
        errors["tests"] = "Choose at least one test."
    if not errors:
        try:
            data = schemas.LabOrderCreate(
                patient_id=int(values["patient_id"]),
                tests=values["tests"],
                priority=values["priority"] or "routine",
                clinical_notes=values["clinical_notes"] or None,
                doctor_id=parse_id(values["doctor_id"]),
            )
            order = await lab_orders.create_order(db, actor, data)
        except (ValidationError, DomainError) as exc:
            errors = await form_failure(db, exc)
        else:
            flash(request, f"Lab order #{order.id} placed.")
            return redirect(request, f"/lab/orders/{order.id}")
    context = await _order_context(request, db, actor, values, errors)
    return render(request, "lab/new.html", context)


# ---------------------------------------------------------------- one order


async def _detail(
    request: Request,
    db: Any,
    actor: Actor,
    order_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    template: str = "lab/order.html",
    status_code: int = 200,
):
    order = await lab_results.detail(db, actor, order_id)
    return render(
        request,
        template,
        {
            "o": order,
            "errors": errors or {},
            "values": values or {},
            "choices": QUALITATIVE_CHOICES,
            "can_cancel": "cancelled" in lab_workflow.TRANSITIONS[order.status]
            and (actor.can("lab:order") or actor.can("lab:process")),
            **_helpers(),
        },
        status_code=status_code,
    )


@router.get("/lab/orders/{order_id}")
async def order_page(order_id: RowId, request: Request, actor: Reader, db: DB):
    return await _detail(request, db, actor, order_id)


async def _act(request: Request, db: Any, order_id: int, action, done: str):
    """A step button: do it, say so, and show the order again."""
    await read_form(request)
    try:
        await action()
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, f"/lab/orders/{order_id}")
    flash(request, done)
    return redirect(request, f"/lab/orders/{order_id}")


@router.post("/lab/orders/{order_id}/collect")
async def collect_submit(order_id: RowId, request: Request, actor: Lab, db: DB):
    return await _act(
        request,
        db,
        order_id,
        lambda: lab_workflow.collect(db, actor, order_id),
        "Specimen collected.",
    )


@router.post("/lab/orders/{order_id}/start")
async def start_submit(order_id: RowId, request: Request, actor: Lab, db: DB):
    return await _act(
        request, db, order_id, lambda: lab_workflow.start(db, actor, order_id), "Analysis started."
    )


@router.post("/lab/orders/{order_id}/verify")
async def verify_submit(order_id: RowId, request: Request, actor: Lab, db: DB):
    settings = settings_of(request)
    return await _act(
        request,
        db,
        order_id,
        lambda: lab_workflow.verify(
            db,
            actor,
            order_id,
            release_hours=settings.result_release_hours,
            allow_self_verification=settings.allow_self_verification,
        ),
        "Results verified: the doctor can read them now, the patient once the doctor has "
        "seen them.",
    )


@router.post("/lab/orders/{order_id}/acknowledge")
async def acknowledge_submit(order_id: RowId, request: Request, actor: Acknowledger, db: DB):
    form = await read_form(request)
    back = "/results" if form.get("return_to") == "/results" else f"/lab/orders/{order_id}"
    try:
        await lab_workflow.acknowledge(db, actor, order_id)
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, back)
    flash(request, f"Lab order #{order_id} acknowledged: the patient can read the results now.")
    return redirect(request, back)


@router.post("/lab/orders/{order_id}/results")
async def results_submit(order_id: RowId, request: Request, actor: Lab, db: DB):
    form = await read_form(request)
    values = {
        name: str(value).strip()
        for name, value in form.multi_items()
        if name.startswith("r-") and len(name) <= 24
    }
    entries = []
    errors: dict[str, str] = {}
    for name, value in values.items():
        if value:
            try:
                entries.append(schemas.ResultEntry(analyte_code=name[2:], value=value))
            except ValidationError:
                errors[name] = "Enter a shorter value."
    if not entries and not errors:
        errors["form"] = "Enter at least one value."
    if not errors:
        try:
            order = await lab_workflow.enter_results(db, actor, order_id, entries)
        except DomainError as exc:
            errors = await form_failure(db, exc)
            field = (exc.field or "").split(".")[0]
            if field.startswith("results[") and field.endswith("]"):
                index = int(field[8:-1])
                errors = {f"r-{entries[index].analyte_code}": exc.detail}
        else:
            if order.status == "resulted":
                flash(request, "Results saved; every analyte has a value, ready to verify.")
            else:
                flash(request, "Results saved; some analytes still wait for a value.")
            return redirect(request, f"/lab/orders/{order_id}")
    return await _detail(request, db, actor, order_id, errors=errors, values=values)


@router.post("/lab/orders/{order_id}/cancel")
async def cancel_submit(order_id: RowId, request: Request, actor: Reader, db: DB):
    form = await read_form(request)
    values = form_values(form, "reason")
    try:
        data = schemas.CancelIn(reason=values["reason"])
        await lab_workflow.cancel(db, actor, order_id, data.reason)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        if "reason" not in errors:
            flash(request, errors.get("form", "The order cannot be cancelled."), "error")
            return redirect(request, f"/lab/orders/{order_id}")
        return await _detail(request, db, actor, order_id, errors=errors, values=values)
    flash(request, "The lab order is cancelled.")
    return redirect(request, f"/lab/orders/{order_id}")


# ---------------------------------------------------------------- the patient's own


@router.get("/my/results/lab/{order_id}")
async def my_result_page(order_id: RowId, request: Request, actor: Patient, db: DB):
    order = await lab_results.my_result(db, actor, order_id)
    return render(request, "lab/my_result.html", {"o": order, **_helpers()})
