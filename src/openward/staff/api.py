"""Departments, doctors' profiles and their availability as JSON. The directory, free slots
and deactivation (which lists the visits to rebook) are scheduling's (scheduling.doctors_api)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from openward.core.actors import Actor
from openward.core.params import RowId
from openward.identity.access import DB, require
from openward.staff import schemas
from openward.staff import service as staff_service

router = APIRouter(prefix="/api/v1", tags=["staff"])

Reader = Annotated[Actor, require("directory:read")]
Admin = Annotated[Actor, require("staff:manage")]
Scheduler = Annotated[Actor, require("availability:write")]


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
