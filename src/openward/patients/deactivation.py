"""Deactivating a patient's record, and with it (when the desk says so) the patient's online
login, in one transaction: both audited, neither without the other."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.identity import service as identity_service
from openward.patients.models import Patient
from openward.patients.registration import set_active


async def deactivate(
    db: AsyncSession, actor: Actor, patient_id: int, reason: str, *, disable_login: bool = False
) -> Patient:
    """The record stops being bookable; with `disable_login`, the patient's online account
    (if any) is deactivated too and its sign-ins end. A record without a login has none to
    disable: the record alone is deactivated."""
    patient = await set_active(db, actor, patient_id, False, reason)
    if not disable_login or patient.user_id is None:
        return patient
    login = await identity_service.get_user(db, patient.user_id)
    if login.is_active:
        await identity_service.set_active(db, actor, login.id, False, reason)
    await audit.record(
        db,
        actor,
        "patient.disable_login",
        object_type="patient",
        object_id=patient.id,
        patient_id=patient.id,
        reason=reason,
        detail={"user_id": login.id},
    )
    return patient
