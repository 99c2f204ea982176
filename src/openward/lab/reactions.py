"""Lab events become notifications: the ordering doctor hears of critical values and results,
the patient of results ready."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.lab.events import CriticalResult, ResultReady
from openward.notifications.service import notify
from openward.patients import service as patients_service


async def critical_result(db: AsyncSession, event: CriticalResult) -> None:
    _user, name = await patients_service.recipient(db, event.patient_id)
    await notify(
        db,
        event.doctor_user_id,
        kind="lab.critical_result",
        severity="critical",
        title=f"Critical lab result: {name}",
        body="; ".join(event.findings),
        link=f"/lab/orders/{event.order_id}",
        patient_id=event.patient_id,
    )


async def lab_result_ready(db: AsyncSession, event: ResultReady) -> None:
    patient_user, name = await patients_service.recipient(db, event.patient_id)
    tests = ", ".join(event.tests) or "Lab tests"
    await notify(
        db,
        event.doctor_user_id,
        kind="lab.result_ready",
        severity="warning" if event.abnormal else "info",
        title=f"Results ready: {tests} for {name}",
        body="Some values are outside the reference range." if event.abnormal else None,
        link=f"/lab/orders/{event.order_id}",
        patient_id=event.patient_id,
    )
    await notify(
        db,
        patient_user,
        kind="lab.result_ready",
        title=f"Your results are ready: {tests}",
        link=f"/my/results/lab/{event.order_id}",
        patient_id=event.patient_id,
    )
