"""Appointments as JSON: booking, rescheduling and the visit's status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from openward.core.actors import Actor
from openward.core.dates import Day
from openward.core.params import Offset, QueryId, RowId
from openward.identity.access import DB, require, settings_of
from openward.scheduling import schemas
from openward.scheduling import service as scheduling_service

router = APIRouter(prefix="/api/v1", tags=["appointments"])

Reader = Annotated[Actor, require("appointments:read")]
Booker = Annotated[Actor, require("appointments:book")]
Attendant = Annotated[Actor, require("appointments:attend")]
Doctor = Annotated[Actor, require("appointments:complete")]
HistoryReader = Annotated[Actor, require("history:read")]
Limit = Annotated[int, Query(ge=1, le=200)]


def _zone(request: Request):
    return settings_of(request).zone


async def _out(request: Request, db, appointment) -> schemas.AppointmentOut:
    return await scheduling_service.present_one(db, appointment, _zone(request))


@router.post(
    "/appointments",
    response_model=schemas.AppointmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Book (with a department or specialization: the earliest free doctor)",
)
async def book(data: schemas.AppointmentCreate, request: Request, actor: Booker, db: DB):
    booked = await scheduling_service.book(db, actor, data, zone=_zone(request))
    return await scheduling_service.present_one(
        db, booked.appointment, _zone(request), booked.shown
    )


@router.get("/appointments", response_model=schemas.AppointmentList)
async def list_appointments(
    request: Request,
    actor: Reader,
    db: DB,
    patient_id: QueryId = None,
    doctor_id: QueryId = None,
    department_id: QueryId = None,
    status: schemas.Status | None = None,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Day | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    zone = _zone(request)
    rows, total = await scheduling_service.list_appointments(
        db,
        actor,
        zone=zone,
        patient_id=patient_id,
        doctor_id=doctor_id,
        department_id=department_id,
        status=status,
        first_day=from_,
        last_day=to,
        limit=limit,
        offset=offset,
    )
    return {"items": rows, "total": total}


@router.get("/appointments/{appointment_id}", response_model=schemas.AppointmentOut)
async def get_appointment(appointment_id: RowId, request: Request, actor: Reader, db: DB):
    return await _out(request, db, await scheduling_service.get_for(db, actor, appointment_id))


@router.patch(
    "/appointments/{appointment_id}",
    response_model=schemas.AppointmentOut,
    summary="Reschedule to another free slot of the same doctor",
)
async def reschedule(
    appointment_id: RowId, data: schemas.RescheduleIn, request: Request, actor: Booker, db: DB
):
    moved = await scheduling_service.reschedule(
        db, actor, appointment_id, data.start, zone=_zone(request)
    )
    return await scheduling_service.present_one(db, moved.appointment, _zone(request), moved.shown)


@router.post("/appointments/{appointment_id}/cancel", response_model=schemas.AppointmentOut)
async def cancel(
    appointment_id: RowId, data: schemas.CancelIn, request: Request, actor: Booker, db: DB
):
    appointment = await scheduling_service.cancel(db, actor, appointment_id, data.reason)
    return await _out(request, db, appointment)


@router.post("/appointments/{appointment_id}/check-in", response_model=schemas.AppointmentOut)
async def check_in(appointment_id: RowId, request: Request, actor: Attendant, db: DB):
    appointment = await scheduling_service.check_in(db, actor, appointment_id, zone=_zone(request))
    return await _out(request, db, appointment)


@router.post("/appointments/{appointment_id}/no-show", response_model=schemas.AppointmentOut)
async def no_show(appointment_id: RowId, request: Request, actor: Attendant, db: DB):
    appointment = await scheduling_service.mark_no_show(
        db, actor, appointment_id, zone=_zone(request)
    )
    return await _out(request, db, appointment)


@router.post(
    "/appointments/{appointment_id}/complete",
    response_model=schemas.AppointmentOut,
    summary="A visit is completed by signing its encounter: 409 encounter_required until then",
    responses={409: {"description": "`encounter_required`: sign the visit's encounter"}},
)
async def complete(appointment_id: RowId, request: Request, actor: Doctor, db: DB):
    appointment = await scheduling_service.complete(db, actor, appointment_id)
    return await _out(request, db, appointment)
