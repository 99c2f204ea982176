"""Patients opening their own online account: identity creates the login, and the patient
record is made here or, with the front desk's activation code, linked to the login."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core.actors import Actor
from openward.identity import schemas as identity_schemas
from openward.identity import service as identity_service
from openward.patients import activation, registration, schemas
from openward.patients import service as patients_service

if TYPE_CHECKING:
    from openward.identity.models import User


async def register_patient(
    db: AsyncSession, settings: Settings, origin: Actor, data: schemas.RegisterPatientIn
) -> tuple[User, int, str]:
    """Self-registration: the login and the patient record, in one transaction. With an MRN
    and the activation code the front desk issued, the login is linked to that record."""
    await identity_service.refuse_unusable_email(db, settings, origin, data.username, data.email)
    claimed = None
    if data.mrn:
        claimed = await activation.claim(
            db, settings, origin, data.mrn, data.date_of_birth, data.activation_code or ""
        )
    account = identity_schemas.UserCreate(
        username=data.username,
        password=data.password,
        full_name=data.full_name,
        email=data.email,
        phone=data.phone,
        role="patient",
    )
    user = await identity_service.create_user(db, origin, account, action="user.register_patient")
    patient_actor = identity_service.actor_for(user, origin, "anonymous")
    if claimed is not None:
        linked = await patients_service.link_login(db, patient_actor, claimed, user.id)
        await activation.mark_used_by(db, linked.id, user.id)
        await registration.report_allergies(db, patient_actor, linked.id, data)
        return user, linked.id, linked.mrn
    given, _, family = data.full_name.strip().rpartition(" ")
    patient = await patients_service.create(
        db,
        patient_actor,
        given_name=given or family,
        family_name=family,
        date_of_birth=data.date_of_birth,
        sex=data.sex,
        phone=data.phone,
        email=data.email,
        user_id=user.id,
    )
    await registration.report_allergies(db, patient_actor, patient.id, data)
    return user, patient.id, patient.mrn
