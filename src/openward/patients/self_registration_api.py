"""JSON route for patient self-registration: the login and the patient record in one call."""

from __future__ import annotations

from fastapi import APIRouter, Request

from openward.core.origin import origin_of
from openward.identity.access import DB, public, settings_of
from openward.patients import schemas, self_registration

router = APIRouter(prefix="/api/v1", tags=["identity"])


@router.post(
    "/auth/register",
    status_code=201,
    response_model=schemas.RegisteredPatientOut,
    dependencies=[public],
    summary="Patient self-registration",
)
async def register_patient(body: schemas.RegisterPatientIn, request: Request, db: DB):
    user, patient_id, mrn = await self_registration.register_patient(
        db, settings_of(request), origin_of(request), body
    )
    return schemas.RegisteredPatientOut(
        id=user.id, username=user.username, patient_id=patient_id, mrn=mrn
    )
