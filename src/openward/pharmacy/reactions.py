"""Pharmacy events become notifications: the patient hears a prescription is ready or a
renewal decided, the prescriber that a renewal is asked for."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.notifications.service import notify
from openward.patients import service as patients_service
from openward.pharmacy.events import PrescriptionReady, RenewalDecided, RenewalRequested


async def prescription_ready(db: AsyncSession, event: PrescriptionReady) -> None:
    patient_user, _name = await patients_service.recipient(db, event.patient_id)
    await notify(
        db,
        patient_user,
        kind="pharmacy.prescription_ready",
        title=(
            f"Prescription #{event.prescription_id} is ready for pickup at the pharmacy"
            if event.complete
            else f"Part of prescription #{event.prescription_id} is ready for pickup; "
            "the rest is on order"
        ),
        link="/my/prescriptions",
        patient_id=event.patient_id,
    )


async def renewal_requested(db: AsyncSession, event: RenewalRequested) -> None:
    _user, name = await patients_service.recipient(db, event.patient_id)
    await notify(
        db,
        event.prescriber_user_id,
        kind="pharmacy.renewal_requested",
        title=f"Renewal requested: prescription #{event.prescription_id} for {name}",
        link="/prescriptions/renewals",
        patient_id=event.patient_id,
    )


async def renewal_decided(db: AsyncSession, event: RenewalDecided) -> None:
    patient_user, _name = await patients_service.recipient(db, event.patient_id)
    await notify(
        db,
        patient_user,
        kind="pharmacy.renewal_decided",
        severity="info" if event.approved else "warning",
        title=(
            f"Your renewal of prescription #{event.prescription_id} was approved"
            if event.approved
            else f"Your renewal of prescription #{event.prescription_id} was declined"
        ),
        link="/my/prescriptions",
        patient_id=event.patient_id,
    )
