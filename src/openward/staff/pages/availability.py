"""The weekly schedule editor: a doctor's hours and slot length, and leave or extra hours on
single dates."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import ValidationError

from openward.core.actors import Actor
from openward.core.errors import DomainError, PermissionDenied
from openward.core.params import MAX_ID, RowId, parse_int
from openward.identity.access import DB, require, settings_of
from openward.staff import schemas
from openward.staff import service as staff_service
from openward.staff.errors import OverlappingHours
from openward.staff.presenting import page
from openward.web.forms import flash, form_failure, form_values, read_form, redirect

router = APIRouter(include_in_schema=False)

Scheduler = Annotated[Actor, require("availability:write")]

WEEKDAYS = staff_service.WEEKDAYS
SLOT_LENGTHS = [10, 15, 20, 30, 45, 60]
BLOCKS_PER_DAY = 2
MAX_BLOCKS_PER_DAY = 10  # the API allows 70 blocks a week


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
            request, actor, db, doctor_id, values=values, errors=errors, rows=rows
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
            request, actor, db, doctor_id, values=values, errors=errors, rows=rows
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
            request, actor, db, doctor_id, ex_values=values, ex_errors=errors
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
