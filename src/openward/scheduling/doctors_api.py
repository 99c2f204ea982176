"""The doctor directory (with "free on a date"), a doctor's free slots, and deactivating a
doctor with the visits left to rebook, as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from openward.core.actors import Actor
from openward.core.dates import Day
from openward.core.params import Offset, QueryId, RowId
from openward.identity.access import DB, require, settings_of
from openward.scheduling import schemas, slots
from openward.scheduling import service as scheduling_service
from openward.staff import schemas as staff_schemas
from openward.staff import service as staff_service

router = APIRouter(prefix="/api/v1", tags=["staff"])

Reader = Annotated[Actor, require("directory:read")]
Admin = Annotated[Actor, require("staff:manage")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get(
    "/doctors",
    response_model=staff_schemas.DoctorList,
    summary="Find doctors (public fields only)",
)
async def list_doctors(
    request: Request,
    actor: Reader,
    db: DB,
    q: Annotated[str | None, Query(max_length=100)] = None,
    department_id: QueryId = None,
    specialization: Annotated[str | None, Query(max_length=120)] = None,
    available_on: Day | None = None,
    include_inactive: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
):
    views, total = await slots.doctors_free_on(
        db,
        available_on,
        q=q,
        department_id=department_id,
        specialization=specialization,
        include_inactive=include_inactive and actor.role == "admin",
        zone=settings_of(request).zone,
        limit=limit,
        offset=offset,
    )
    return {"items": [v.public() for v in views], "total": total}


@router.post(
    "/doctors/{doctor_id}/deactivate",
    response_model=schemas.DeactivatedDoctorOut,
    summary="Stop new bookings; lists the future appointments to rebook",
)
async def deactivate_doctor(
    doctor_id: RowId, data: staff_schemas.ReasonIn, request: Request, actor: Admin, db: DB
):
    view = await staff_service.set_doctor_active(db, actor, doctor_id, False, data.reason)
    future = await scheduling_service.future_for_doctor(
        db, actor, doctor_id, settings_of(request).zone
    )
    return {"doctor": view.private().model_dump(mode="json"), "future_appointments": future}


@router.get(
    "/doctors/{doctor_id}/slots",
    response_model=list[staff_schemas.SlotOut],
    summary="Free slots on one date (ISO 8601 with the hospital's offset)",
)
async def free_slots(doctor_id: RowId, date: Day, request: Request, actor: Reader, db: DB):
    zone = settings_of(request).zone
    doctor = await staff_service.get_doctor(db, doctor_id)
    if not doctor.is_active:
        return []
    free = await slots.free_slots(db, doctor, date, zone=zone)
    return [{"start": s.astimezone(zone), "end": e.astimezone(zone)} for s, e in free]
