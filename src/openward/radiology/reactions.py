"""Radiology events become notifications: the ordering doctor and the patient hear that the
report is ready."""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncSession

from openward.db import utcnow
from openward.notifications.service import notify
from openward.patients import service as patients_service
from openward.radiology.events import ReportAcknowledged, ReportReady


async def imaging_report_ready(db: AsyncSession, event: ReportReady) -> None:
    patient_user, name = await patients_service.recipient(db, event.patient_id)
    await notify(
        db,
        event.doctor_user_id,
        kind="radiology.report_ready",
        title=f"Imaging report ready: {event.exam} for {name}",
        link=f"/radiology/orders/{event.order_id}",
        patient_id=event.patient_id,
    )
    if event.released_at is None or event.released_at <= utcnow():
        await _tell_patient_ready(db, patient_user, event.order_id, event.patient_id, event.exam)
        return
    hours = max(1, math.ceil((event.released_at - utcnow()).total_seconds() / 3600))
    await notify(
        db,
        patient_user,
        kind="radiology.report_verified",
        title=f"Your imaging report is written: {event.exam}",
        body=(
            "Your doctor reads it first. It appears on your results page once your doctor "
            f"has seen it, or in {hours} hours at the latest."
        ),
        link="/my/results",
        patient_id=event.patient_id,
    )


async def imaging_report_acknowledged(db: AsyncSession, event: ReportAcknowledged) -> None:
    patient_user, _name = await patients_service.recipient(db, event.patient_id)
    await _tell_patient_ready(db, patient_user, event.order_id, event.patient_id, event.exam)


async def _tell_patient_ready(
    db: AsyncSession, patient_user: int | None, order_id: int, patient_id: int, exam: str
) -> None:
    await notify(
        db,
        patient_user,
        kind="radiology.report_ready",
        title=f"Your imaging report is ready: {exam}",
        link=f"/my/results/imaging/{order_id}",
        patient_id=patient_id,
    )
