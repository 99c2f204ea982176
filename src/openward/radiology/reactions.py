"""Radiology events become notifications: the ordering doctor and the patient hear that the
report is ready."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.notifications.service import notify
from openward.patients import service as patients_service
from openward.radiology.events import ReportReady


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
    await notify(
        db,
        patient_user,
        kind="radiology.report_ready",
        title=f"Your imaging report is ready: {event.exam}",
        link=f"/my/results/imaging/{event.order_id}",
        patient_id=event.patient_id,
    )
