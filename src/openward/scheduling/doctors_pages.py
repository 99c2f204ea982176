"""The doctor directory (with "free on a date") and a doctor's profile with the free slots of
the coming days, and deactivating a doctor with the visits left to rebook, as pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.core import dates
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import Offset, RowId, parse_id
from openward.identity.access import DB, require, settings_of
from openward.scheduling import service as scheduling_service
from openward.scheduling.slots import doctors_free_on, free_slots
from openward.staff import schemas as staff_schemas
from openward.staff import service as staff_service
from openward.staff.presenting import department_options, page
from openward.web.forms import form_failure, read_form

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, require("directory:read")]
Admin = Annotated[Actor, require("staff:manage")]

WEEKDAYS = staff_service.WEEKDAYS
DAYS_SHOWN = 7
_PAGE = 20


# ---------------------------------------------------------------- the directory


def _parse_date(text: str | None) -> date | None:
    return dates.parse_day(text)


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
    views, total = await doctors_free_on(
        db,
        day,
        q=q,
        department_id=department,
        specialization=specialization or None,
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
            "departments": await department_options(db),
            "specializations": await staff_service.specializations(db),
            "is_admin": is_admin,
            "today": datetime.now(settings_of(request).zone).date().isoformat(),
        },
    )


# ---------------------------------------------------------------- the profile


def _weekly_summary(weekly: list[staff_schemas.WeeklyBlockOut]) -> list[tuple[str, list[str]]]:
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
            free = await free_slots(db, view.doctor, day, zone=zone)
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
        data = staff_schemas.ReasonIn(reason=reason)
        view = await staff_service.set_doctor_active(db, actor, doctor_id, False, data.reason)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        return await _profile(request, actor, db, doctor_id, errors=errors)
    future = await scheduling_service.future_for_doctor(
        db, actor, doctor_id, settings_of(request).zone
    )
    return page(
        request,
        "staff/doctor_deactivated.html",
        {"view": view, "reason": data.reason, "appointments": future},
    )
