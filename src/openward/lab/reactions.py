"""Lab events become notifications: the ordering doctor hears of critical values and results,
the patient of results verified and, once released to them, ready."""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncSession

from openward.db import utcnow
from openward.lab.events import CriticalResult, ResultAcknowledged, ResultReady
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
    if event.released_at is None or event.released_at <= utcnow():
        await _tell_patient_ready(db, patient_user, event.order_id, event.patient_id, tests)
        return
    hours = max(1, math.ceil((event.released_at - utcnow()).total_seconds() / 3600))
    await notify(
        db,
        patient_user,
        kind="lab.result_verified",
        title=f"Your results are in: {tests}",
        body=(
            "Your doctor looks at them first. They appear on your results page once your "
            f"doctor has seen them, or in {hours} hours at the latest."
        ),
        link="/my/results",
        patient_id=event.patient_id,
    )


async def lab_result_acknowledged(db: AsyncSession, event: ResultAcknowledged) -> None:
    patient_user, _name = await patients_service.recipient(db, event.patient_id)
    tests = ", ".join(event.tests) or "Lab tests"
    await _tell_patient_ready(db, patient_user, event.order_id, event.patient_id, tests)


async def _tell_patient_ready(
    db: AsyncSession, patient_user: int | None, order_id: int, patient_id: int, tests: str
) -> None:
    await notify(
        db,
        patient_user,
        kind="lab.result_ready",
        title=f"Your results are ready: {tests}",
        link=f"/my/results/lab/{order_id}",
        patient_id=patient_id,
    )
