"""Departments, doctors, availability and free slots as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from openward.core.actors import Actor
from openward.core.dates import Day
from openward.core.params import Offset, QueryId, RowId
from openward.identity.access import DB, require, settings_of
from openward.scheduling import schemas as scheduling_schemas
from openward.scheduling import service as scheduling_service
from openward.staff import schemas
from openward.staff import service as staff_service

router = APIRouter(prefix="/api/v1", tags=["staff"])

Reader = Annotated[Actor, require("directory:read")]
Admin = Annotated[Actor, require("staff:manage")]
Scheduler = Annotated[Actor, require("availability:write")]
Limit = Annotated[int, Query(ge=1, le=200)]


# ---------------------------------------------------------------- departments


@router.post(
    "/departments",
    response_model=schemas.DepartmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a department",
)
async def create_department(data: schemas.DepartmentCreate, actor: Admin, db: DB):
    return await staff_service.create_department(db, actor, data)


@router.get("/departments", response_model=schemas.DepartmentList, summary="List departments")
async def list_departments(actor: Reader, db: DB, include_inactive: bool = False):
    items = await staff_service.list_departments(
        db, include_inactive=include_inactive and actor.role == "admin"
    )
    return {"items": items, "total": len(items)}


@router.get("/departments/{department_id}", response_model=schemas.DepartmentOut)
async def get_department(department_id: RowId, actor: Reader, db: DB):
    return await staff_service.department_detail(db, department_id)


@router.patch("/departments/{department_id}", response_model=schemas.DepartmentOut)
async def update_department(
    department_id: RowId, data: schemas.DepartmentUpdate, actor: Admin, db: DB
):
    return await staff_service.update_department(db, actor, department_id, data)


# ---------------------------------------------------------------- doctors


@router.post(
    "/doctors",
    response_model=schemas.DoctorOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a doctor's login and profile",
)
async def create_doctor(data: schemas.DoctorCreate, actor: Admin, db: DB):
    return (await staff_service.create_doctor(db, actor, data)).private()


@router.get(
    "/doctors",
    response_model=schemas.DoctorList,
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
    views, total = await staff_service.list_doctors(
        db,
        q=q,
        department_id=department_id,
        specialization=specialization,
        available_on=available_on,
        include_inactive=include_inactive and actor.role == "admin",
        zone=settings_of(request).zone,
        limit=limit,
        offset=offset,
    )
    return {"items": [v.public() for v in views], "total": total}


@router.get("/doctors/me", response_model=schemas.DoctorOut, summary="The signed-in doctor")
async def my_profile(actor: Annotated[Actor, require("availability:write")], db: DB):
    return (await staff_service.my_view(db, actor)).private()


@router.get(
    "/doctors/{doctor_id}",
    response_model=schemas.DoctorOut | schemas.DoctorPublic,
    summary="A doctor (private fields for administrators and the doctor themself)",
)
async def get_doctor(doctor_id: RowId, actor: Reader, db: DB):
    view = await staff_service.doctor_view(db, doctor_id)
    return view.private() if staff_service.sees_private_fields(actor, view) else view.public()


@router.patch("/doctors/{doctor_id}", response_model=schemas.DoctorOut)
async def update_doctor(doctor_id: RowId, data: schemas.DoctorUpdate, actor: Admin, db: DB):
    return (await staff_service.update_doctor(db, actor, doctor_id, data)).private()


@router.post(
    "/doctors/{doctor_id}/deactivate",
    response_model=scheduling_schemas.DeactivatedDoctorOut,
    summary="Stop new bookings; lists the future appointments to rebook",
)
async def deactivate_doctor(
    doctor_id: RowId, data: schemas.ReasonIn, request: Request, actor: Admin, db: DB
):
    view = await staff_service.set_doctor_active(db, actor, doctor_id, False, data.reason)
    future = await scheduling_service.future_for_doctor(
        db, actor, doctor_id, settings_of(request).zone
    )
    return {"doctor": view.private().model_dump(mode="json"), "future_appointments": future}


@router.post("/doctors/{doctor_id}/activate", response_model=schemas.DoctorOut)
async def activate_doctor(doctor_id: RowId, actor: Admin, db: DB):
    return (await staff_service.set_doctor_active(db, actor, doctor_id, True)).private()


# ---------------------------------------------------------------- availability


@router.get("/doctors/{doctor_id}/availability", response_model=schemas.AvailabilityOut)
async def get_availability(doctor_id: RowId, actor: Reader, db: DB):
    return await staff_service.availability(db, doctor_id, actor)


@router.put(
    "/doctors/{doctor_id}/availability",
    response_model=schemas.AvailabilityOut,
    summary="Set the weekly schedule (hospital time zone) and the slot length",
)
async def set_availability(
    doctor_id: RowId, data: schemas.AvailabilityIn, actor: Scheduler, db: DB
):
    return await staff_service.set_availability(db, actor, doctor_id, data)


@router.post(
    "/doctors/{doctor_id}/availability/exceptions",
    response_model=schemas.ExceptionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Leave (no patients) or extra hours on one date",
)
async def add_exception(doctor_id: RowId, data: schemas.ExceptionIn, actor: Scheduler, db: DB):
    return await staff_service.add_exception(db, actor, doctor_id, data)


@router.delete(
    "/doctors/{doctor_id}/availability/exceptions/{exception_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def remove_exception(doctor_id: RowId, exception_id: RowId, actor: Scheduler, db: DB):
    await staff_service.remove_exception(db, actor, doctor_id, exception_id)


@router.get(
    "/doctors/{doctor_id}/slots",
    response_model=list[schemas.SlotOut],
    summary="Free slots on one date (ISO 8601 with the hospital's offset)",
)
async def free_slots(doctor_id: RowId, date: Day, request: Request, actor: Reader, db: DB):
    zone = settings_of(request).zone
    doctor = await staff_service.get_doctor(db, doctor_id)
    if not doctor.is_active:
        return []
    slots = await staff_service.free_slots(db, doctor, date, zone=zone)
    return [{"start": s.astimezone(zone), "end": e.astimezone(zone)} for s, e in slots]
