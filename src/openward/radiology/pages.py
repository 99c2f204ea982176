"""Radiology pages: imaging orders for the wards and the desk, the radiologist's worklist
with scheduling, reporting and images, and the patient's verified report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import Offset, QueryId, RowId, parse_id
from openward.identity.access import DB, require, settings_of
from openward.patients import service as patients_service
from openward.radiology import attachments as radiology_attachments
from openward.radiology import catalogue as radiology_catalogue
from openward.radiology import orders as radiology_orders
from openward.radiology import schemas
from openward.radiology import service as radiology_service
from openward.radiology import workflow as radiology_workflow
from openward.radiology import worklist as radiology_worklist
from openward.radiology.errors import EmptyFile, FileTooLarge
from openward.radiology.models import ORDER_STATUSES
from openward.radiology.uploads import LimitedUploadRoute
from openward.staff import service as staff_service
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)
upload_router = APIRouter(include_in_schema=False, route_class=LimitedUploadRoute)

Reader = Annotated[Actor, require("radiology:read")]
Orderer = Annotated[Actor, require("radiology:order")]
Scheduler = Annotated[Actor, require("radiology:schedule")]
Radiologist = Annotated[Actor, require("radiology:process")]
Acknowledger = Annotated[Actor, require("radiology:acknowledge")]
Patient = Annotated[Actor, require("clinical:self")]
PAGE = 25
PRIORITY_LABELS = {"stat": "Stat", "urgent": "Urgent", "routine": "Routine"}


def _filters_query(filters: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in filters.items() if v})


async def _modality_choices(db: Any) -> list[tuple[str, str]]:
    modalities = await radiology_catalogue.list_modalities(db)
    return [(m.code, radiology_catalogue.modality_label(m.code, m.name)) for m in modalities]


# ---------------------------------------------------------------- lists


@router.get("/radiology/orders")
async def orders_page(
    request: Request,
    actor: Reader,
    db: DB,
    status: Annotated[str | None, Query(max_length=20)] = None,
    modality: Annotated[str | None, Query(max_length=10)] = None,
    patient_id: QueryId = None,
    offset: Offset = 0,
):
    if actor.role == "patient":
        return redirect(request, "/my/results")
    zone = settings_of(request).zone
    status = status if status in ORDER_STATUSES else None
    rows, total = await radiology_worklist.list_orders(
        db,
        actor,
        status=status,
        modality=modality or None,
        patient_id=patient_id,
        newest_first=True,
        limit=PAGE,
        offset=offset,
    )
    patient = await patients_service.get(db, patient_id) if patient_id else None
    filters = {"status": status or "", "modality": modality or "", "patient_id": patient_id or ""}
    return render(
        request,
        "radiology/orders.html",
        {
            "orders": await radiology_orders.present(db, actor, rows, zone),
            "total": total,
            "limit": PAGE,
            "offset": offset,
            "filters": filters,
            "base_query": _filters_query(filters),
            "statuses": ORDER_STATUSES,
            "modalities": await _modality_choices(db),
            "patient": patient,
        },
    )


@router.get("/radiology/worklist")
async def worklist_page(
    request: Request,
    actor: Radiologist,
    db: DB,
    status: Annotated[str | None, Query(max_length=20)] = None,
    modality: Annotated[str | None, Query(max_length=10)] = None,
    priority: Annotated[str | None, Query(max_length=10)] = None,
    day: Annotated[str | None, Query(max_length=10)] = None,
    offset: Offset = 0,
):
    """The open orders, or one card's list: ?priority=stat (STAT exams pending) or
    ?day=today (exams booked today)."""
    zone = settings_of(request).zone
    status = status if status in ORDER_STATUSES else None
    priority = "stat" if priority == "stat" else None
    day = "today" if day == "today" else None
    today = datetime.now(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    statuses = radiology_workflow.OPEN_STATUSES
    if priority:
        statuses = radiology_service.STAT_PENDING
    if day:
        statuses = radiology_service.BOOKED_TODAY
    rows, total = await radiology_worklist.list_orders(
        db,
        actor,
        status=status,
        statuses=None if status else statuses,
        modality=modality or None,
        priority=priority,
        scheduled_from=start if day else None,
        scheduled_before=start + timedelta(days=1) if day else None,
        limit=PAGE,
        offset=offset,
    )
    filters = {
        "status": status or "",
        "modality": modality or "",
        "priority": priority or "",
        "day": day or "",
    }
    return render(
        request,
        "radiology/worklist.html",
        {
            "orders": await radiology_orders.present(db, actor, rows, zone),
            "total": total,
            "limit": PAGE,
            "offset": offset,
            "filters": filters,
            "base_query": _filters_query(filters),
            "statuses": ORDER_STATUSES,
            "modalities": await _modality_choices(db),
            "figures": await radiology_service.dashboard_figures(db, actor, zone=zone),
            "today_by_modality": await radiology_worklist.day_bookings(
                db, start, start + timedelta(days=1)
            ),
        },
    )


# ---------------------------------------------------------------- ordering


async def _new_context(
    request: Request, db: Any, actor: Actor, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    zone = settings_of(request).zone
    patient, matches = await patients_service.chosen_or_matches(
        db, actor, parse_id(values.get("patient_id")), values.get("q")
    )
    exams = await radiology_catalogue.list_exams(db)
    groups: dict[str, list[schemas.ExamOut]] = {}
    for exam in exams:
        groups.setdefault(f"{exam.modality_name}", []).append(exam)
    doctors: list[Any] = []
    if actor.role != "doctor":
        doctors, _ = await staff_service.list_doctors(db, zone=zone, limit=200)
    return {
        "values": values,
        "errors": errors,
        "patient": patient,
        "matches": matches,
        "exam_groups": groups,
        "doctors": [(str(v.user.id), f"{v.name} — {v.doctor.specialization}") for v in doctors],
        "priorities": PRIORITY_LABELS,
    }


@router.get("/radiology/orders/new")
async def new_order_page(
    request: Request,
    actor: Orderer,
    db: DB,
    patient_id: Annotated[str | None, Query(max_length=12)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    exam: Annotated[str | None, Query(max_length=20)] = None,
):
    values = {
        "patient_id": patient_id or "",
        "q": q or "",
        "exam_code": exam or "",
        "priority": "routine",
        "clinical_notes": "",
        "doctor_user_id": "",
    }
    return render(request, "radiology/new.html", await _new_context(request, db, actor, values, {}))


@router.post("/radiology/orders/new")
async def new_order_submit(request: Request, actor: Orderer, db: DB):
    form = await read_form(request)
    values = form_values(
        form, "patient_id", "q", "exam_code", "priority", "clinical_notes", "doctor_user_id"
    )
    errors: dict[str, str] = {}
    if not parse_id(values["patient_id"]):
        errors["patient_id"] = "Find and choose the patient first."
    if not values["exam_code"]:
        errors["exam_code"] = "Choose the exam."
    if not errors:
        try:
            data = schemas.OrderCreate(
                patient_id=int(values["patient_id"]),
                exam_code=values["exam_code"],
                priority=values["priority"] or "routine",  # type: ignore[arg-type]
                clinical_notes=values["clinical_notes"] or None,
                doctor_user_id=parse_id(values["doctor_user_id"]),
            )
            order = await radiology_orders.create_order(db, actor, data)
        except (ValidationError, DomainError) as exc:
            errors = await form_failure(db, exc)
        else:
            flash(request, f"Imaging order {order.id} placed.")
            return redirect(request, f"/radiology/orders/{order.id}")
    context = await _new_context(request, db, actor, values, errors)
    return render(request, "radiology/new.html", context)


# ---------------------------------------------------------------- one order


async def _detail(
    request: Request,
    db: Any,
    actor: Actor,
    order_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
):
    zone = settings_of(request).zone
    order = await radiology_orders.get_for(db, actor, order_id)
    shown = await radiology_orders.present_one(db, actor, order, zone)
    attachments = []
    if not shown.clinical_content_withheld:
        attachments = await radiology_attachments.present_attachments(
            db, await radiology_attachments.list_attachments(db, actor, order_id), zone
        )
    allowed = radiology_workflow.TRANSITIONS[order.status]
    values = values or {}
    if "findings" not in values and actor.role == "radiologist":
        values = {**values, "findings": order.findings or "", "impression": order.impression or ""}
    if "scheduled_at" not in values:
        suggested = shown.scheduled_at or (
            datetime.now(zone).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        )
        values = {**values, "scheduled_at": suggested.strftime("%Y-%m-%dT%H:%M")}
    return render(
        request,
        "radiology/order.html",
        {
            "o": shown,
            "attachments": attachments,
            "allowed": allowed,
            "errors": errors or {},
            "values": values,
            "upload_max_mb": settings_of(request).upload_max_mb,
            "can_cancel": actor.can("radiology:order") or actor.can("radiology:schedule"),
        },
        status_code=status_code,
    )


@router.get("/radiology/orders/{order_id}")
async def order_page(order_id: RowId, request: Request, actor: Reader, db: DB):
    if actor.role == "patient":
        return redirect(request, f"/my/results/imaging/{order_id}")
    return await _detail(request, db, actor, order_id)


async def _act(
    request: Request,
    db: Any,
    actor: Actor,
    order_id: int,
    fields: tuple[str, ...],
    action: Callable[[dict[str, str]], Awaitable[Any]],
    done: str,
):
    """A step's form: take it and say so, or show the order again with the reason."""
    form = await read_form(request)
    values = form_values(form, *fields)
    try:
        await action(values)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        if set(errors) <= {"form"}:
            flash(request, errors.get("form", "That did not work."), "error")
            return redirect(request, f"/radiology/orders/{order_id}")
        return await _detail(request, db, actor, order_id, errors=errors, values=values)
    flash(request, done)
    return redirect(request, f"/radiology/orders/{order_id}")


@router.post("/radiology/orders/{order_id}/schedule")
async def schedule_submit(order_id: RowId, request: Request, actor: Scheduler, db: DB):
    zone = settings_of(request).zone

    async def go(values: dict[str, str]) -> None:
        data = schemas.ScheduleIn(scheduled_at=values["scheduled_at"])  # type: ignore[arg-type]
        await radiology_workflow.schedule(db, actor, order_id, data.scheduled_at, zone=zone)

    return await _act(request, db, actor, order_id, ("scheduled_at",), go, "Exam scheduled.")


@router.post("/radiology/orders/{order_id}/perform")
async def perform_submit(order_id: RowId, request: Request, actor: Radiologist, db: DB):
    async def go(_values: dict[str, str]) -> None:
        await radiology_workflow.perform(db, actor, order_id)

    return await _act(request, db, actor, order_id, (), go, "Marked as performed.")


@router.post("/radiology/orders/{order_id}/report")
async def report_submit(order_id: RowId, request: Request, actor: Radiologist, db: DB):
    async def go(values: dict[str, str]) -> None:
        data = schemas.ReportIn(findings=values["findings"], impression=values["impression"])
        await radiology_workflow.report(db, actor, order_id, data)

    return await _act(
        request,
        db,
        actor,
        order_id,
        ("findings", "impression"),
        go,
        "Report saved. Verify it when it is final.",
    )


@router.post("/radiology/orders/{order_id}/verify")
async def verify_submit(order_id: RowId, request: Request, actor: Radiologist, db: DB):
    settings = settings_of(request)

    async def go(_values: dict[str, str]) -> None:
        await radiology_workflow.verify(
            db,
            actor,
            order_id,
            release_hours=settings.result_release_hours,
            allow_self_verification=settings.allow_self_verification,
        )

    return await _act(
        request,
        db,
        actor,
        order_id,
        (),
        go,
        "Report verified: the requesting doctor can read it now, the patient once the doctor "
        "has seen it.",
    )


@router.post("/radiology/orders/{order_id}/acknowledge")
async def acknowledge_submit(order_id: RowId, request: Request, actor: Acknowledger, db: DB):
    form = await read_form(request)
    back = "/results" if form.get("return_to") == "/results" else f"/radiology/orders/{order_id}"
    try:
        await radiology_workflow.acknowledge(db, actor, order_id)
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, back)
    flash(request, f"Imaging order #{order_id} acknowledged: the patient can read the report now.")
    return redirect(request, back)


@router.post("/radiology/orders/{order_id}/cancel")
async def cancel_submit(order_id: RowId, request: Request, actor: Reader, db: DB):
    async def go(values: dict[str, str]) -> None:
        data = schemas.CancelIn(reason=values["reason"])
        await radiology_workflow.cancel(db, actor, order_id, data.reason)

    return await _act(request, db, actor, order_id, ("reason",), go, "Order cancelled.")


@upload_router.post("/radiology/orders/{order_id}/attachments")
async def upload_submit(order_id: RowId, request: Request, actor: Radiologist, db: DB):
    back = f"/radiology/orders/{order_id}"
    try:
        form = await read_form(request)
    except FileTooLarge as exc:
        flash(request, exc.detail, "error")
        return redirect(request, back)
    upload = form.get("file")
    settings = settings_of(request)
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise EmptyFile("Choose a file to upload.", field="file")
        await radiology_attachments.attach(
            db,
            actor,
            order_id,
            source=upload.file,
            filename=upload.filename,
            media_dir=settings.media_dir,
            max_bytes=settings.upload_max_mb * 1024 * 1024,
        )
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, back)
    flash(request, "File attached.")
    return redirect(request, back)


router.include_router(upload_router)


# ---------------------------------------------------------------- the patient's report


@router.get("/my/results/imaging/{order_id}")
async def my_report_page(order_id: RowId, request: Request, actor: Patient, db: DB):
    zone = settings_of(request).zone
    order = await radiology_orders.my_report(db, actor, order_id)
    attachments = await radiology_attachments.present_attachments(
        db, await radiology_attachments.list_attachments(db, actor, order_id), zone
    )
    return render(
        request,
        "radiology/my_report.html",
        {
            "o": await radiology_orders.present_one(db, actor, order, zone),
            "attachments": attachments,
        },
    )
