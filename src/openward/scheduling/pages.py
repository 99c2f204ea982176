"""Appointment pages: the list with filters, booking, and each visit with its actions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.core import dates
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import Offset, QueryId, RowId, parse_id
from openward.db import utcnow
from openward.identity.access import DB, require, settings_of
from openward.patients import service as patients_service
from openward.scheduling import schemas
from openward.scheduling import service as scheduling_service
from openward.scheduling.models import STATUSES
from openward.scheduling.slots import free_slots
from openward.staff import service as staff_service
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("appointments:read")]
Booker = Annotated[Actor, require("appointments:book")]
Attendant = Annotated[Actor, require("appointments:attend")]
Doctor = Annotated[Actor, require("appointments:complete")]
PAGE = 25


def _safe_back(target: str | None, fallback: str) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def _parse_day(text: str | None) -> date | None:
    return dates.parse_day(text)


# ---------------------------------------------------------------- the list


@router.get("/appointments")
async def appointments_page(
    request: Request,
    actor: Reader,
    db: DB,
    status: Annotated[str | None, Query(max_length=20)] = None,
    doctor_id: Annotated[str | None, Query(max_length=12)] = None,
    patient_id: QueryId = None,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    offset: Offset = 0,
):
    zone = settings_of(request).zone
    chosen_day = _parse_day(day)
    status = status if status in STATUSES else None
    rows, total = await scheduling_service.list_appointments(
        db,
        actor,
        zone=zone,
        status=status,
        doctor_id=parse_id(doctor_id),
        patient_id=patient_id,
        first_day=chosen_day,
        last_day=chosen_day,
        limit=PAGE,
        offset=offset,
    )
    doctors, _ = await staff_service.list_doctors(db, zone=zone, include_inactive=True, limit=200)
    filters = {
        "status": status or "",
        "doctor_id": doctor_id or "",
        "date": day or "",
        "patient_id": patient_id or "",
    }
    return render(
        request,
        "scheduling/appointments.html",
        {
            "appointments": rows,
            "total": total,
            "limit": PAGE,
            "offset": offset,
            "filters": filters,
            "base_query": urlencode({k: v for k, v in filters.items() if v}),
            "statuses": STATUSES,
            "doctors": [(str(v.doctor.id), v.name) for v in doctors],
            "today": datetime.now(zone).date().isoformat(),
            "return_to": str(request.url.path)
            + ("?" + request.url.query if request.url.query else ""),
        },
    )


# ---------------------------------------------------------------- booking


async def _booking_context(
    request: Request, db: Any, actor: Actor, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    zone = settings_of(request).zone
    patient = None
    if actor.role == "patient":
        patient = await patients_service.mine(db, actor)
        values["patient_id"] = str(patient.id)
    elif parse_id(values.get("patient_id")):
        patient = await patients_service.get_for(db, actor, int(values["patient_id"]))
    matches: list[Any] = []
    if patient is None and values.get("q"):
        matches, _ = await patients_service.search(db, actor, values["q"], limit=10)
    doctors, _ = await staff_service.list_doctors(db, zone=zone, limit=200)
    departments = await staff_service.list_departments(db)
    slots: list[str] = []
    chosen = values.get("choice", "")
    day = _parse_day(values.get("date"))
    if chosen.startswith("doctor:") and day and parse_id(chosen[7:]):
        doctor = await staff_service.get_doctor(db, int(chosen[7:]))
        slots = [
            s.astimezone(zone).strftime("%H:%M")
            for s, _e in await free_slots(db, doctor, day, zone=zone)
        ]
    return {
        "values": values,
        "errors": errors,
        "patient": patient,
        "matches": matches,
        "doctors": doctors,
        "departments": departments,
        "slots": slots,
        "slots_checked": bool(chosen.startswith("doctor:") and day),
        "day_label": f"{day:%A %d %B %Y}" if day else "",
        "today": datetime.now(zone).date().isoformat(),
    }


@router.get("/appointments/new")
async def new_appointment_page(
    request: Request,
    actor: Booker,
    db: DB,
    patient_id: Annotated[str | None, Query(max_length=12)] = None,
    doctor_id: Annotated[str | None, Query(max_length=12)] = None,
    department_id: Annotated[str | None, Query(max_length=12)] = None,
    choice: Annotated[str | None, Query(max_length=30)] = None,
    start: Annotated[str | None, Query(max_length=40)] = None,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    zone = settings_of(request).zone
    values = {
        "patient_id": patient_id or "",
        "q": q or "",
        "choice": choice
        or (f"doctor:{doctor_id}" if doctor_id else "")
        or (f"department:{department_id}" if department_id else ""),
        "date": day or "",
        "time": "",
        "reason": "",
    }
    if start:
        try:
            moment = datetime.fromisoformat(start)
            local = moment.astimezone(zone) if moment.tzinfo else moment
            values["date"], values["time"] = local.date().isoformat(), local.strftime("%H:%M")
        except (ValueError, OverflowError):  # not a time, or one at the calendar's very end
            pass
    if not values["date"]:
        values["date"] = (datetime.now(zone).date() + timedelta(days=1)).isoformat()
    return render(
        request,
        "scheduling/book.html",
        await _booking_context(request, db, actor, values, {}),
    )


def _start_from(values: dict[str, str]) -> datetime | str:
    """The local date and time typed in the form, or the error message to show."""
    day = dates.parse_day(values["date"])
    if day is None:
        return "Choose a date."
    try:
        moment = time.fromisoformat(values["time"])
    except ValueError:
        return "Choose a time."
    return datetime.combine(day, moment)


@router.post("/appointments/new")
async def new_appointment_submit(request: Request, actor: Booker, db: DB):
    form = await read_form(request)
    values = form_values(form, "patient_id", "choice", "date", "time", "reason", "q", "action")
    zone = settings_of(request).zone
    if values["action"] == "slots":  # show the chosen doctor's free times; book nothing yet
        context = await _booking_context(request, db, actor, values, {})
        if not values["choice"].startswith("doctor:"):
            context["errors"] = {"choice": "Choose a particular doctor to see their free times."}
        return render(request, "scheduling/book.html", context)
    errors: dict[str, str] = {}
    start = _start_from(values)
    if isinstance(start, str):
        errors["date" if "date" in start else "time"] = start
    choice = values["choice"]
    kind, _, chosen_id = choice.partition(":")
    if kind not in ("doctor", "department") or not parse_id(chosen_id):
        errors["choice"] = "Choose a doctor, or a department for the earliest free doctor."
    if not parse_id(values["patient_id"]) and actor.role != "patient":
        errors["patient_id"] = "Find and choose the patient first."
    if not errors:
        try:
            patient_id = values["patient_id"]
            if actor.role == "patient":
                patient_id = str((await patients_service.mine(db, actor)).id)
            data = schemas.AppointmentCreate(
                patient_id=int(patient_id),
                doctor_id=int(chosen_id) if kind == "doctor" else None,
                department_id=int(chosen_id) if kind == "department" else None,
                start=start,
                reason=values["reason"] or None,
            )
            booked = await scheduling_service.book(db, actor, data, zone=zone)
            appointment = booked.appointment
        except (ValidationError, DomainError) as exc:
            errors = await form_failure(db, exc)
            if "start" in errors:
                errors["time"] = errors.pop("start")
            if "doctor_id" in errors:
                errors["choice"] = errors.pop("doctor_id")
        else:
            shown = await scheduling_service.present_one(db, appointment, zone, booked.shown)
            flash(
                request,
                f"Booked {shown.patient_name} with {shown.doctor_name} on "
                f"{shown.start:%a %d %b %Y at %H:%M}.",
            )
            return redirect(request, f"/appointments/{appointment.id}")
    context = await _booking_context(request, db, actor, values, errors)
    return render(request, "scheduling/book.html", context, status_code=422)


# ---------------------------------------------------------------- one appointment


async def _detail(
    request: Request,
    db: Any,
    actor: Actor,
    appointment_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    reschedule_day: date | None = None,
    status_code: int = 200,
):
    zone = settings_of(request).zone
    appointment = await scheduling_service.get_for(db, actor, appointment_id)
    shown = await scheduling_service.present_one(db, appointment, zone)
    record = None
    if appointment.status == "completed":
        history = await scheduling_service.history(db, actor, appointment.patient_id, zone=zone)
        record = next((i.treatment for i in history.items if i.id == appointment.id), None)
    slots: list[str] = []
    if reschedule_day and appointment.status == "booked":
        doctor = await staff_service.get_doctor(db, appointment.doctor_id)
        slots = [
            s.astimezone(zone).strftime("%H:%M")
            for s, _e in await free_slots(db, doctor, reschedule_day, zone=zone)
        ]
    my_doctor_id = await staff_service.doctor_id_of(db, actor)
    return render(
        request,
        "scheduling/appointment.html",
        {
            "a": shown,
            "treatment": record,
            "errors": errors or {},
            "values": values or {},
            "slots": slots,
            "reschedule_day": reschedule_day.isoformat() if reschedule_day else "",
            "allowed": scheduling_service.TRANSITIONS[appointment.status],
            "is_my_visit": my_doctor_id is not None and my_doctor_id == appointment.doctor_id,
            "today": datetime.now(zone).date().isoformat(),
            "is_past": appointment.start_at <= utcnow(),
        },
        status_code=status_code,
    )


@router.get("/appointments/{appointment_id}")
async def appointment_page(
    appointment_id: RowId,
    request: Request,
    actor: Reader,
    db: DB,
    reschedule_date: Annotated[str | None, Query(max_length=10)] = None,
):
    return await _detail(
        request, db, actor, appointment_id, reschedule_day=_parse_day(reschedule_date)
    )


async def _act(request: Request, db: Any, appointment_id: int, action, done: str):
    """A status button: do it, say so, and go back where the button was."""
    form = await read_form(request)
    back = _safe_back(str(form.get("return_to", "")), f"/appointments/{appointment_id}")
    try:
        await action()
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, back)
    flash(request, done)
    return redirect(request, back)


@router.post("/appointments/{appointment_id}/check-in")
async def check_in_submit(appointment_id: RowId, request: Request, actor: Attendant, db: DB):
    return await _act(
        request,
        db,
        appointment_id,
        lambda: scheduling_service.check_in(db, actor, appointment_id),
        "Checked in: the patient is waiting for the doctor.",
    )


@router.post("/appointments/{appointment_id}/no-show")
async def no_show_submit(appointment_id: RowId, request: Request, actor: Attendant, db: DB):
    return await _act(
        request,
        db,
        appointment_id,
        lambda: scheduling_service.mark_no_show(db, actor, appointment_id),
        "Marked as a no-show.",
    )


@router.post("/appointments/{appointment_id}/cancel")
async def cancel_submit(appointment_id: RowId, request: Request, actor: Booker, db: DB):
    form = await read_form(request)
    values = form_values(form, "reason", "return_to")
    try:
        data = schemas.CancelIn(reason=values["reason"])
        await scheduling_service.cancel(db, actor, appointment_id, data.reason)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        if "reason" not in errors and "form" in errors:
            flash(request, errors["form"], "error")
            return redirect(request, f"/appointments/{appointment_id}")
        return await _detail(
            request, db, actor, appointment_id, errors=errors, values=values, status_code=422
        )
    flash(request, "The appointment is cancelled and the slot is free again.")
    return redirect(request, _safe_back(values["return_to"], f"/appointments/{appointment_id}"))


@router.post("/appointments/{appointment_id}/reschedule")
async def reschedule_submit(appointment_id: RowId, request: Request, actor: Booker, db: DB):
    form = await read_form(request)
    values = form_values(form, "date", "time")
    start = _start_from(values)
    day = _parse_day(values["date"])
    if isinstance(start, str):
        return await _detail(
            request,
            db,
            actor,
            appointment_id,
            errors={"time": start},
            values=values,
            reschedule_day=day,
            status_code=422,
        )
    try:
        await scheduling_service.reschedule(
            db, actor, appointment_id, start, zone=settings_of(request).zone
        )
    except DomainError as exc:
        errors = await form_failure(db, exc)
        if "start" in errors:
            errors["time"] = errors.pop("start")
        return await _detail(
            request,
            db,
            actor,
            appointment_id,
            errors=errors,
            values=values,
            reschedule_day=day,
            status_code=exc.status,
        )
    flash(request, f"Moved to {start:%a %d %b %Y at %H:%M}.")
    return redirect(request, f"/appointments/{appointment_id}")


@router.post("/appointments/{appointment_id}/complete")
async def complete_submit(appointment_id: RowId, request: Request, actor: Doctor, db: DB):
    form = await read_form(request)
    values = form_values(form, "diagnosis", "treatment_notes", "prescription", "next_visit_date")
    try:
        optional = {k: (v or None) for k, v in values.items() if k != "diagnosis"}
        data = schemas.CompleteIn(diagnosis=values["diagnosis"], **optional)
        await scheduling_service.complete(db, actor, appointment_id, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        return await _detail(
            request, db, actor, appointment_id, errors=errors, values=values, status_code=422
        )
    flash(request, "Visit completed; the treatment record is in the patient's history.")
    return redirect(request, f"/appointments/{appointment_id}")
