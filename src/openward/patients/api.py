"""Patient records as JSON: registration, search, changes, the care team, own record."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from openward.core.actors import Actor
from openward.core.params import BreakGlassReason, Offset, RowId
from openward.identity.access import DB, require, settings_of
from openward.patients import activation, schemas
from openward.patients import service as patients_service

router = APIRouter(prefix="/api/v1", tags=["patients"])

Reader = Annotated[Actor, require("patients:read")]
Writer = Annotated[Actor, require("patients:write")]
CareTeamWriter = Annotated[Actor, require("care_team:write")]
Self = Annotated[Actor, require("patients:self")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post(
    "/patients",
    response_model=schemas.PatientOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register a patient (409 possible_duplicate lists look-alikes first)",
)
async def register_patient(data: schemas.PatientCreate, actor: Writer, db: DB):
    return await patients_service.register(db, actor, data)


@router.get(
    "/patients/duplicates",
    response_model=schemas.DuplicateList,
    summary="Registered patients who may be the person about to be registered",
)
async def possible_duplicates(
    actor: Writer,
    db: DB,
    given_name: Annotated[str | None, Query(max_length=100)] = None,
    family_name: Annotated[str | None, Query(max_length=100)] = None,
    date_of_birth: date | None = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    national_id: Annotated[str | None, Query(max_length=40)] = None,
):
    found = await patients_service.possible_duplicates(
        db,
        actor,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        phone=phone,
        national_id=national_id,
    )
    return {"items": found}


@router.get(
    "/patients",
    response_model=schemas.PatientList,
    summary="Search patients by name (any order, accents ignored), MRN, phone or national id",
)
async def search_patients(
    actor: Reader,
    db: DB,
    q: Annotated[str | None, Query(max_length=100)] = None,
    include_inactive: bool = False,
    limit: Limit = 20,
    offset: Offset = 0,
):
    rows, total = await patients_service.search(
        db, actor, q, limit=limit, offset=offset, include_inactive=include_inactive
    )
    return {
        "items": rows,
        "total": total,
        "total_is_capped": total >= patients_service.COUNT_CAP,
    }


@router.get("/patients/{patient_id}", response_model=schemas.PatientOut)
async def get_patient(
    patient_id: RowId, actor: Reader, db: DB, x_break_glass_reason: BreakGlassReason = None
):
    return await patients_service.get_for(
        db, actor, patient_id, break_glass_reason=x_break_glass_reason
    )


@router.patch("/patients/{patient_id}", response_model=schemas.PatientOut)
async def update_patient(patient_id: RowId, data: schemas.PatientUpdate, actor: Writer, db: DB):
    return await patients_service.update(db, actor, patient_id, data)


@router.post("/patients/{patient_id}/deactivate", response_model=schemas.PatientOut)
async def deactivate_patient(patient_id: RowId, data: schemas.DeactivateIn, actor: Writer, db: DB):
    return await patients_service.deactivate(
        db, actor, patient_id, data.reason, disable_login=data.disable_login
    )


@router.post("/patients/{patient_id}/activate", response_model=schemas.PatientOut)
async def activate_patient(patient_id: RowId, actor: Writer, db: DB):
    return await patients_service.set_active(db, actor, patient_id, True)


@router.post(
    "/patients/{patient_id}/activation-code",
    response_model=schemas.ActivationCodeOut,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a one-time code that lets the patient link an online account to the record",
    responses={409: {"description": "already_linked: the record has an online account"}},
)
async def issue_activation_code(patient_id: RowId, actor: Writer, request: Request, db: DB):
    patient = await patients_service.get_for(db, actor, patient_id)
    issued = await activation.issue(db, settings_of(request), actor, patient)
    return schemas.ActivationCodeOut(
        patient_id=patient.id, mrn=patient.mrn, code=issued.code, expires_at=issued.expires_at
    )


# ---------------------------------------------------------------- care team


@router.get("/patients/{patient_id}/care-team", response_model=schemas.CareTeamOut)
async def get_care_team(
    patient_id: RowId, actor: Reader, db: DB, x_break_glass_reason: BreakGlassReason = None
):
    await patients_service.get_for(db, actor, patient_id, break_glass_reason=x_break_glass_reason)
    return {"items": await patients_service.care_team(db, patient_id)}


@router.post(
    "/patients/{patient_id}/care-team",
    response_model=schemas.CareTeamOut,
    status_code=status.HTTP_201_CREATED,
    summary="Assign a doctor to follow the patient up",
)
async def assign_doctor(patient_id: RowId, data: schemas.CareTeamIn, actor: CareTeamWriter, db: DB):
    return {"items": await patients_service.assign_doctor(db, actor, patient_id, data.doctor_id)}


@router.delete("/patients/{patient_id}/care-team/{doctor_id}", response_model=schemas.CareTeamOut)
async def remove_doctor(patient_id: RowId, doctor_id: RowId, actor: CareTeamWriter, db: DB):
    return {"items": await patients_service.remove_doctor(db, actor, patient_id, doctor_id)}


# ---------------------------------------------------------------- the patient's own record


@router.get("/me/patient", response_model=schemas.PatientOut, summary="My own patient record")
async def my_record(actor: Self, db: DB):
    return await patients_service.mine(db, actor)


@router.patch(
    "/me/patient",
    response_model=schemas.PatientOut,
    summary="Change my contact details (phone, e-mail, address, emergency contact)",
)
async def update_my_record(data: schemas.MyContactUpdate, actor: Self, db: DB):
    patient = await patients_service.mine(db, actor)
    return await patients_service.update(db, actor, patient.id, data)
