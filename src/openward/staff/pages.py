"""Departments, the doctor directory, doctor profiles with their free slots, and the weekly
schedule editor: the same staff service as the JSON API, as server-rendered pages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.core import dates
from openward.core.actors import Actor
from openward.core.errors import DomainError, PermissionDenied
from openward.core.params import MAX_ID, Offset, RowId, parse_id, parse_int
from openward.identity.access import DB, require, settings_of
from openward.identity.passwords import policy_problem
from openward.scheduling import service as scheduling_service
from openward.staff import schemas
from openward.staff import service as staff_service
from openward.staff.errors import OverlappingHours
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("directory:read")]
Admin = Annotated[Actor, require("staff:manage")]
Scheduler = Annotated[Actor, require("availability:write")]

WEEKDAYS = staff_service.WEEKDAYS
SLOT_LENGTHS = [10, 15, 20, 30, 45, 60]
BLOCKS_PER_DAY = 2
MAX_BLOCKS_PER_DAY = 10  # the API allows 70 blocks a week
DAYS_SHOWN = 7
_PAGE = 20


def money(value: Decimal | float | None) -> str:
    """A fee as people read it: thousands separated, always two decimals."""
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


def _hhmm(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def initials(name: str) -> str:
    """Two letters for a doctor's avatar: first and last name, titles left out."""
    words = [w for w in name.replace(".", " ").split() if w.lower() not in ("dr", "prof")]
    chosen = [words[0], words[-1]] if len(words) > 1 else words
    return "".join(w[0] for w in chosen).upper()


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200):
    """render() with this package's formatting helpers."""
    return render(
        request,
        name,
        {"money": money, "hhmm": _hhmm, "initials": initials, **context},
        status_code=status_code,
    )


# ---------------------------------------------------------------- departments

_DEPARTMENT_FIELDS = ("name", "description", "location", "phone")


async def _departments_page(
    request: Request, actor: Actor, db, values: dict, errors: dict, status_code: int = 200
):
    departments = await staff_service.list_departments(
        db, include_inactive=actor.can("staff:manage")
    )
    return page(
        request,
        "staff/departments.html",
        {"departments": departments, "values": values, "errors": errors},
        status_code=status_code,
    )


@router.get("/departments")
async def departments_page(request: Request, actor: Reader, db: DB):
    return await _departments_page(request, actor, db, {}, {})


@router.post("/departments")
async def department_create_submit(request: Request, actor: Admin, db: DB):
    form = await read_form(request)
    values = form_values(form, *_DEPARTMENT_FIELDS)
    try:
        data = schemas.DepartmentCreate(**values)
        department = await staff_service.create_department(db, actor, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        return await _departments_page(request, actor, db, values, errors, status_code=422)
    flash(request, f"Department '{department.name}' created.")
    return redirect(request, "/departments")


@router.get("/departments/{department_id}/edit")
async def department_edit_page(request: Request, department_id: RowId, actor: Admin, db: DB):
    department = await staff_service.department_detail(db, department_id)
    values: dict[str, Any] = {k: getattr(department, k) or "" for k in _DEPARTMENT_FIELDS}
    values["is_active"] = department.is_active
    return page(
        request,
        "staff/department_form.html",
        {"department": department, "values": values, "errors": {}},
    )


@router.post("/departments/{department_id}/edit")
async def department_edit_submit(request: Request, department_id: RowId, actor: Admin, db: DB):
    form = await read_form(request)
    values: dict[str, Any] = form_values(form, *_DEPARTMENT_FIELDS)
    values["is_active"] = form.get("is_active") == "on"
    try:
        data = schemas.DepartmentUpdate(
            name=values["name"],
            description=values["description"] or None,
            location=values["location"] or None,
            phone=values["phone"] or None,
            is_active=values["is_active"],
        )
        department = await staff_service.update_department(db, actor, department_id, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        department = await staff_service.department_detail(db, department_id)
        return page(
            request,
            "staff/department_form.html",
            {"department": department, "values": values, "errors": errors},
            status_code=422,
        )
    flash(request, f"Department '{department.name}' saved.")
    return redirect(request, "/departments")


# ---------------------------------------------------------------- the directory


def _parse_date(text: str | None) -> date | None:
    return dates.parse_day(text)


async def _department_options(db, current_id: int | None = None) -> list[tuple[str, str]]:
    """Open departments (and the doctor's current one, even if it has since closed)."""
    departments = await staff_service.list_departments(db, include_inactive=True)
    return [
        (str(d.id), d.name if d.is_active else f"{d.name} (closed)")
        for d in departments
        if d.is_active or d.id == current_id
    ]


@router.get("/doctors")
async def doctors_page(
    request: Request,
    actor: Reader,
    db: DB,
    q: Annotated[str | None, Query(max_length=100)] = None,
    department_id: Annotated[str | None, Query(max_length=12)] = None,
    specialization: Annotated[str | None, Query(max_length=120)] = None,
    available_on: Annotated[str | None, Query(max_length=10)] = None,
    include_inactive: Annotated[str | None, Query(max_length=5)] = None,
    offset: Offset = 0,
):
    is_admin = actor.can("staff:manage")
    department = parse_id(department_id)
    day = _parse_date(available_on)
    inactive_too = is_admin and include_inactive in ("1", "on", "true")
    views, total = await staff_service.list_doctors(
        db,
        q=q,
        department_id=department,
        specialization=specialization or None,
        available_on=day,
        include_inactive=inactive_too,
        zone=settings_of(request).zone,
        limit=_PAGE,
        offset=offset,
    )
    filters = {
        "q": q or "",
        "department_id": str(department) if department else "",
        "specialization": specialization or "",
        "available_on": day.isoformat() if day else "",
        "include_inactive": "1" if inactive_too else "",
    }
    return page(
        request,
        "staff/doctors.html",
        {
            "doctors": views,
            "total": total,
            "offset": offset,
            "limit": _PAGE,
            "filters": filters,
            "filtered": any(v for k, v in filters.items() if k != "include_inactive"),
            "base_query": urlencode({k: v for k, v in filters.items() if v}),
            "departments": await _department_options(db),
            "specializations": await staff_service.specializations(db),
            "is_admin": is_admin,
            "today": datetime.now(settings_of(request).zone).date().isoformat(),
        },
    )


# ---------------------------------------------------------------- creating and editing doctors

_DOCTOR_FIELDS = (
    "full_name",
    "email",
    "phone",
    "department_id",
    "specialization",
    "qualification",
    "experience_years",
    "consultation_fee",
    "license_number",
)


def _doctor_data(values: dict[str, str]) -> dict[str, Any]:
    """Form text as the schema wants it: empty optional numbers take their defaults."""
    data: dict[str, Any] = dict(values)
    for name in ("experience_years", "consultation_fee"):
        if data.get(name) == "":
            data.pop(name)
    if data.get("consultation_fee"):
        data["consultation_fee"] = data["consultation_fee"].replace(",", "")
    return data


async def _doctor_form(
    request: Request,
    db,
    view: staff_service.DoctorView | None,
    values: dict,
    errors: dict,
    status_code: int = 200,
):
    return page(
        request,
        "staff/doctor_form.html",
        {
            "view": view,
            "values": values,
            "errors": errors,
            "departments": await _department_options(
                db, view.doctor.department_id if view else None
            ),
            "specializations": await staff_service.specializations(db),
        },
        status_code=status_code,
    )


@router.get("/doctors/new")
async def doctor_new_page(request: Request, actor: Admin, db: DB):
    values = {"department_id": request.query_params.get("department_id", "")}
    return await _doctor_form(request, db, None, values, {})


@router.post("/doctors/new")
async def doctor_new_submit(request: Request, actor: Admin, db: DB):
    form = await read_form(request)
    values = form_values(form, "username", *_DOCTOR_FIELDS)
    password = str(form.get("password", ""))
    try:
        data = schemas.DoctorCreate(**_doctor_data(values), password=password)
        view = await staff_service.create_doctor(db, actor, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        if "password" not in errors and (problem := policy_problem(password, values["username"])):
            errors["password"] = problem  # so every mistake can be fixed in one go
        return await _doctor_form(request, db, None, values, errors, status_code=422)
    flash(request, f"Created {view.name}'s profile. Now set their weekly hours.")
    return redirect(request, f"/doctors/{view.doctor.id}/availability")


@router.get("/doctors/{doctor_id}/edit")
async def doctor_edit_page(request: Request, doctor_id: RowId, actor: Admin, db: DB):
    view = await staff_service.doctor_view(db, doctor_id)
    private = view.private()
    values = {
        name: "" if getattr(private, name) is None else str(getattr(private, name))
        for name in _DOCTOR_FIELDS
    }
    return await _doctor_form(request, db, view, values, {})


@router.post("/doctors/{doctor_id}/edit")
async def doctor_edit_submit(request: Request, doctor_id: RowId, actor: Admin, db: DB):
    form = await read_form(request)
    values = form_values(form, *_DOCTOR_FIELDS)
    data = _doctor_data(values)
    for name in ("phone", "qualification"):  # emptied on purpose: clear them
        data[name] = data[name] or None
    try:
        update = schemas.DoctorUpdate(**data)
        view = await staff_service.update_doctor(db, actor, doctor_id, update)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        view = await staff_service.doctor_view(db, doctor_id)
        return await _doctor_form(request, db, view, values, errors, status_code=422)
    flash(request, f"Saved {view.name}'s profile.")
    return redirect(request, f"/doctors/{doctor_id}")


# ---------------------------------------------------------------- the profile


def _weekly_summary(weekly: list[schemas.WeeklyBlockOut]) -> list[tuple[str, list[str]]]:
    """Monday..Sunday with the hours of each day ("09:00–13:00"), empty when not working."""
    days: list[tuple[str, list[str]]] = [(name, []) for name in WEEKDAYS]
    for block in weekly:
        days[block.weekday][1].append(f"{block.start:%H:%M}–{block.end:%H:%M}")
    return days


async def _coming_days(request: Request, db, view: staff_service.DoctorView) -> list[dict]:
    zone = settings_of(request).zone
    today = datetime.now(zone).date()
    days = []
    for n in range(DAYS_SHOWN):
        day = today + timedelta(days=n)
        slots = []
        if view.doctor.is_active:
            free = await staff_service.free_slots(db, view.doctor, day, zone=zone)
            slots = [(start.astimezone(zone), end.astimezone(zone)) for start, end in free]
        days.append({"date": day, "slots": slots, "is_today": n == 0})
    return days


def booking_link(doctor_id: int, start: datetime) -> str:
    return "/appointments/new?" + urlencode({"doctor_id": doctor_id, "start": start.isoformat()})


async def _profile(
    request: Request,
    actor: Actor,
    db,
    doctor_id: int,
    errors: dict | None = None,
    status_code: int = 200,
):
    view = await staff_service.doctor_view(db, doctor_id)
    is_admin = actor.can("staff:manage")
    is_self = actor.id is not None and actor.id == view.user.id
    schedule = await staff_service.availability(db, doctor_id, actor)
    to_rebook = []
    if is_admin and not view.doctor.is_active:
        to_rebook = await scheduling_service.future_for_doctor(
            db, actor, doctor_id, settings_of(request).zone
        )
    return page(
        request,
        "staff/doctor.html",
        {
            "view": view,
            "doctor": view.private() if staff_service.sees_private_fields(actor, view) else None,
            "public": view.public(),
            "is_admin": is_admin,
            "is_self": is_self,
            "can_book": actor.can("appointments:book"),
            "week": _weekly_summary(schedule.weekly),
            "days": await _coming_days(request, db, view),
            "booking_link": booking_link,
            "to_rebook": to_rebook,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/doctors/{doctor_id}")
async def doctor_page(request: Request, doctor_id: RowId, actor: Reader, db: DB):
    return await _profile(request, actor, db, doctor_id)


@router.post("/doctors/{doctor_id}/deactivate")
async def doctor_deactivate_submit(request: Request, doctor_id: RowId, actor: Admin, db: DB):
    form = await read_form(request)
    reason = str(form.get("reason", "")).strip()
    try:
        data = schemas.ReasonIn(reason=reason)
        view = await staff_service.set_doctor_active(db, actor, doctor_id, False, data.reason)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        return await _profile(request, actor, db, doctor_id, errors=errors, status_code=422)
    future = await scheduling_service.future_for_doctor(
        db, actor, doctor_id, settings_of(request).zone
    )
    return page(
        request,
        "staff/doctor_deactivated.html",
        {"view": view, "reason": data.reason, "appointments": future},
    )


@router.post("/doctors/{doctor_id}/activate")
async def doctor_activate_submit(request: Request, doctor_id: RowId, actor: Admin, db: DB):
    await read_form(request)
    view = await staff_service.set_doctor_active(db, actor, doctor_id, True)
    flash(request, f"{view.name} is taking bookings again.")
    return redirect(request, f"/doctors/{doctor_id}")


# ---------------------------------------------------------------- the weekly schedule


@router.get("/my/availability")
async def my_availability(request: Request, actor: Scheduler, db: DB):
    if actor.role != "doctor":  # administrators choose the doctor in the directory
        return redirect(request, "/doctors")
    view = await staff_service.my_view(db, actor)
    return redirect(request, f"/doctors/{view.doctor.id}/availability")


def _block_name(weekday: int, n: int) -> str:
    return f"d{weekday}_{n}"


def _schedule_values(schedule: schemas.AvailabilityOut) -> dict[str, str]:
    values: dict[str, str] = {"slot_minutes": str(schedule.slot_minutes)}
    used = [0] * 7
    for block in schedule.weekly:
        n = used[block.weekday]
        used[block.weekday] += 1
        name = _block_name(block.weekday, n)
        values[f"{name}_start"] = f"{block.start:%H:%M}"
        values[f"{name}_end"] = f"{block.end:%H:%M}"
    return values


def _rows_for(schedule: schemas.AvailabilityOut) -> int:
    """Two blocks a day, or more when the week was set (through the API) with more."""
    counts = [0] * 7
    for block in schedule.weekly:
        counts[block.weekday] += 1
    return min(max(BLOCKS_PER_DAY, *counts), MAX_BLOCKS_PER_DAY)


def _parse_time(text: str) -> time | None:
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


def _read_week(
    form, values: dict[str, str], rows: int
) -> tuple[list[schemas.WeeklyBlock], dict[str, str]]:
    """The typed blocks, and a message for each row that cannot be a block."""
    blocks: list[schemas.WeeklyBlock] = []
    errors: dict[str, str] = {}
    for weekday in range(7):
        for n in range(rows):
            name = _block_name(weekday, n)
            start_text = values[f"{name}_start"] = str(form.get(f"{name}_start", "")).strip()
            end_text = values[f"{name}_end"] = str(form.get(f"{name}_end", "")).strip()
            if not start_text and not end_text:
                continue
            start, end = _parse_time(start_text), _parse_time(end_text)
            if start is None or end is None:
                errors[name] = "Give both a start and an end (or leave both empty)."
            elif start >= end:
                errors[name] = f"The start ({start:%H:%M}) must be before the end ({end:%H:%M})."
            else:
                blocks.append(schemas.WeeklyBlock(weekday=weekday, start=start, end=end))
    return blocks, errors


def _overlap_errors(exc: OverlappingHours) -> dict[str, str]:
    """The message goes on the row of the day the service names."""
    weekday = exc.extra.get("weekday")
    if weekday is None:
        return {"form": exc.detail}
    return {"form": "Some hours need correcting; see the marked rows.", f"day{weekday}": exc.detail}


async def _availability_page(
    request: Request,
    actor: Actor,
    db,
    doctor_id: int,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    ex_values: dict | None = None,
    ex_errors: dict | None = None,
    rows: int = 0,
    status_code: int = 200,
):
    schedule = await staff_service.availability_for_editing(db, actor, doctor_id)
    view = await staff_service.doctor_view(db, doctor_id)
    return page(
        request,
        "staff/availability.html",
        {
            "view": view,
            "schedule": schedule,
            "weekdays": WEEKDAYS,
            "blocks_per_day": rows or _rows_for(schedule),
            "ordinals": ["First block", "Second block", "Third block", "Fourth block"],
            "slot_lengths": [(str(n), f"{n} minutes") for n in SLOT_LENGTHS],
            "values": values if values is not None else _schedule_values(schedule),
            "errors": errors or {},
            "ex_values": ex_values or {"kind": "leave"},
            "ex_errors": ex_errors or {},
            "is_self": actor.id == view.user.id,
            "today": datetime.now(settings_of(request).zone).date().isoformat(),
        },
        status_code=status_code,
    )


@router.get("/doctors/{doctor_id}/availability")
async def availability_page(request: Request, doctor_id: RowId, actor: Scheduler, db: DB):
    return await _availability_page(request, actor, db, doctor_id)


@router.post("/doctors/{doctor_id}/availability")
async def availability_submit(request: Request, doctor_id: RowId, actor: Scheduler, db: DB):
    form = await read_form(request)
    schedule = await staff_service.availability_for_editing(db, actor, doctor_id)
    values = {"slot_minutes": str(form.get("slot_minutes", "")).strip()}
    rows_text = str(form.get("rows", ""))
    rows = parse_int(rows_text, 0, MAX_ID) or BLOCKS_PER_DAY
    rows = min(max(rows, BLOCKS_PER_DAY), MAX_BLOCKS_PER_DAY)
    blocks, errors = _read_week(form, values, rows)
    slot_minutes = parse_int(values["slot_minutes"], 0, MAX_ID) or 0
    if slot_minutes not in SLOT_LENGTHS and slot_minutes != schedule.slot_minutes:
        errors["slot_minutes"] = "Choose one of the slot lengths."
    if errors:
        errors.setdefault("form", "Some hours need correcting; see the marked rows.")
        return await _availability_page(
            request, actor, db, doctor_id, values=values, errors=errors, rows=rows, status_code=422
        )
    try:
        data = schemas.AvailabilityIn(slot_minutes=slot_minutes, weekly=blocks)
        await staff_service.set_availability(db, actor, doctor_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, PermissionDenied):
            raise
        errors = await form_failure(db, exc)
        if isinstance(exc, OverlappingHours):
            errors = _overlap_errors(exc)
        return await _availability_page(
            request, actor, db, doctor_id, values=values, errors=errors, rows=rows, status_code=422
        )
    flash(request, "Weekly hours saved. Appointments already booked are unchanged.")
    return redirect(request, f"/doctors/{doctor_id}/availability")


@router.post("/doctors/{doctor_id}/availability/exceptions")
async def exception_add_submit(request: Request, doctor_id: RowId, actor: Scheduler, db: DB):
    form = await read_form(request)
    values = form_values(form, "date", "kind", "start", "end", "reason")
    try:
        data = schemas.ExceptionIn(
            date=values["date"],
            kind=values["kind"],
            start=values["start"] or None,
            end=values["end"] or None,
            reason=values["reason"] or None,
        )
        await staff_service.add_exception(db, actor, doctor_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, PermissionDenied):
            raise
        errors = await form_failure(db, exc)
        if "form" in errors:
            errors["form"] = errors["form"][:1].upper() + errors["form"][1:]
        return await _availability_page(
            request, actor, db, doctor_id, ex_values=values, ex_errors=errors, status_code=422
        )
    what = "Leave" if data.kind == "leave" else "Extra hours"
    flash(request, f"{what} on {data.date:%d %b %Y} added.")
    return redirect(request, f"/doctors/{doctor_id}/availability")


@router.post("/doctors/{doctor_id}/availability/exceptions/{exception_id}/remove")
async def exception_remove_submit(
    request: Request, doctor_id: RowId, exception_id: RowId, actor: Scheduler, db: DB
):
    await read_form(request)
    await staff_service.remove_exception(db, actor, doctor_id, exception_id)
    flash(request, "Exception removed.")
    return redirect(request, f"/doctors/{doctor_id}/availability")
