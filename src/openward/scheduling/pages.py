"""Appointment pages: the list with filters, booking, and each visit with its actions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from openward.core import dates
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import Offset, QueryId, RowId, parse_id
from openward.db import utcnow
from openward.identity.access import DB, require, settings_of
from openward.patients import service as patients_service
from openward.patients.mrn import format_mrn
from openward.scheduling import schemas
from openward.scheduling import service as scheduling_service
from openward.scheduling.calendar import STATES, VIEWS, calendar
from openward.scheduling.models import STATUSES
from openward.scheduling.slots import day_outlook, free_slots
from openward.staff import service as staff_service
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("appointments:read")]
Booker = Annotated[Actor, require("appointments:book")]
Attendant = Annotated[Actor, require("appointments:attend")]
Doctor = Annotated[Actor, require("appointments:complete")]
CalendarReader = Annotated[Actor, require("calendar:read")]
PAGE = 25
FREE_TIMES_INVALID = 422  # the booking page's JSON helper, asked without a doctor or a date


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
    today = datetime.now(zone).date()
    # Staff open the list on today; `date=` (empty) asks for every day. A patient's own
    # list, and one patient's visits, show every day.
    if day is None and patient_id is None and actor.role != "patient":
        day = today.isoformat()
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
            "today": today.isoformat(),
            "chosen_day": chosen_day,
            "day_links": _day_links(chosen_day, filters),
            "return_to": str(request.url.path)
            + ("?" + request.url.query if request.url.query else ""),
        },
    )


def _day_links(day: date | None, filters: dict[str, Any]) -> dict[str, str]:
    """The list's previous and next day, keeping the other filters."""
    if day is None:
        return {}
    links = {}
    for name, other in (("previous", day - timedelta(days=1)), ("next", day + timedelta(days=1))):
        if dates.in_calendar(other):
            query = {k: v for k, v in filters.items() if v} | {"date": other.isoformat()}
            links[name] = "/appointments?" + urlencode(query)
    return links


# ---------------------------------------------------------------- the calendar


@router.get("/calendar")
async def calendar_page(
    request: Request,
    actor: CalendarReader,
    db: DB,
    doctor_id: Annotated[str | None, Query(max_length=12)] = None,
    department_id: Annotated[str | None, Query(max_length=12)] = None,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    view: Annotated[str | None, Query(max_length=8)] = None,
):
    """A doctor's or a department's day or week: free, booked, checked in, on leave."""
    zone = settings_of(request).zone
    today = datetime.now(zone).date()
    error = ""
    chosen_day = _parse_day(day)
    if day and chosen_day is None:
        error = "The date must be a day written as YYYY-MM-DD; showing today."
    chosen_day = chosen_day or today
    doctor, department = parse_id(doctor_id), parse_id(department_id)
    if doctor is None and department is None:
        doctor = await staff_service.doctor_id_of(db, actor)
    departments = await staff_service.list_departments(db)
    if doctor is None and department is None and departments:
        department = departments[0].id
    doctors, _ = await staff_service.list_doctors(db, limit=200)
    shown = None
    if doctor is not None or department is not None:
        try:
            shown = await calendar(
                db,
                actor,
                zone=zone,
                day=chosen_day,
                view=view or "day",
                doctor_id=doctor,
                department_id=None if doctor is not None else department,
            )
        except DomainError as exc:
            error = exc.detail
    return render(
        request,
        "scheduling/calendar.html",
        {
            "cal": shown,
            "error": error,
            "views": VIEWS,
            "states": STATES,
            "doctors": doctors,
            "departments": departments,
            "chosen": {
                "doctor_id": doctor if doctor is not None else "",
                "department_id": department if doctor is None and department else "",
                "view": view if view in VIEWS else "day",
                "date": chosen_day.isoformat(),
            },
            "today": today,
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
    chosen = values.get("choice", "")
    day = _parse_day(values.get("date"))
    outlook = None
    if chosen.startswith("doctor:") and day and parse_id(chosen[7:]):
        doctor = await staff_service.get_doctor(db, int(chosen[7:]))
        outlook = _outlook_out(await day_outlook(db, doctor, day, zone=zone), zone)
    return {
        "values": values,
        "errors": errors,
        "patient": patient,
        "matches": matches,
        "doctors": doctors,
        "departments": departments,
        "outlook": outlook,
        "slots": outlook["times"] if outlook else [],
        "slots_checked": outlook is not None,
        "day_label": f"{day:%A %d %B %Y}" if day else "",
        "today": datetime.now(zone).date().isoformat(),
    }


def _outlook_out(outlook: Any, zone: Any) -> dict[str, Any]:
    """What the booking page (and its inline refresh) shows of a doctor's day."""
    following = outlook.next_free_day
    return {
        "date": outlook.day.isoformat(),
        "day_label": f"{outlook.day:%A %d %B %Y}",
        "times": [start.astimezone(zone).strftime("%H:%M") for start, _end in outlook.times],
        "why": outlook.why,
        "message": outlook.message,
        "next_free_day": following.isoformat() if following else None,
        "next_free_label": f"{following:%A %d %B %Y}" if following else None,
    }


@router.get("/appointments/free-times")
async def free_times(
    request: Request,
    actor: Booker,
    db: DB,
    doctor_id: Annotated[str | None, Query(max_length=12)] = None,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
):
    """The booking page's inline free times for a doctor's day (JSON), with why there are
    none and the next free day."""
    zone = settings_of(request).zone
    chosen_day, chosen_doctor = _parse_day(day), parse_id(doctor_id)
    if chosen_doctor is None or chosen_day is None:
        return JSONResponse(
            {
                "status": FREE_TIMES_INVALID,
                "code": "validation_error",
                "title": "Choose a doctor and a date",
                "errors": [
                    {"field": name, "message": message}
                    for name, message, ok in (
                        ("doctor_id", "Choose a doctor.", chosen_doctor is not None),
                        ("date", "Choose a date (YYYY-MM-DD).", chosen_day is not None),
                    )
                    if not ok
                ],
            },
            status_code=FREE_TIMES_INVALID,  # a JSON answer, not a form: 422 stays
            media_type="application/problem+json",
        )
    doctor = await staff_service.get_doctor(db, chosen_doctor)
    return _outlook_out(await day_outlook(db, doctor, chosen_day, zone=zone), zone)


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
    if not values["date"]:  # a walk-in is booked for today
        values["date"] = datetime.now(zone).date().isoformat()
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
    return render(request, "scheduling/book.html", context)


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
            "banner": await patients_service.banner(db, appointment.patient_id, zone)
            if actor.role != "patient"
            else None,
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
    """A status button: do it, say so (naming the patient), and go back where the button
    was; a refusal (too early, too late) is the flash."""
    form = await read_form(request)
    back = _safe_back(str(form.get("return_to", "")), f"/appointments/{appointment_id}")
    try:
        appointment = await action()
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, back)
    shown = await scheduling_service.present_one(db, appointment, settings_of(request).zone)
    flash(request, f"{done}: {shown.patient_name} (MRN {format_mrn(shown.patient_mrn)}).")
    return redirect(request, back)


@router.post("/appointments/{appointment_id}/check-in")
async def check_in_submit(appointment_id: RowId, request: Request, actor: Attendant, db: DB):
    zone = settings_of(request).zone
    return await _act(
        request,
        db,
        appointment_id,
        lambda: scheduling_service.check_in(db, actor, appointment_id, zone=zone),
        "Checked in",
    )


@router.post("/appointments/{appointment_id}/no-show")
async def no_show_submit(appointment_id: RowId, request: Request, actor: Attendant, db: DB):
    zone = settings_of(request).zone
    return await _act(
        request,
        db,
        appointment_id,
        lambda: scheduling_service.mark_no_show(db, actor, appointment_id, zone=zone),
        "Marked as a no-show",
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
        return await _detail(request, db, actor, appointment_id, errors=errors, values=values)
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
        )
    flash(request, f"Moved to {start:%a %d %b %Y at %H:%M}.")
    return redirect(request, f"/appointments/{appointment_id}")
