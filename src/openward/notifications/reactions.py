"""Domain events turned into notifications for the people who need to know."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openward.lab.events import CriticalResult, ResultReady
from openward.notifications.service import notify
from openward.patients import service as patients_service
from openward.pharmacy.events import PrescriptionReady, RenewalDecided, RenewalRequested
from openward.radiology.events import ReportReady


async def _patient(db: AsyncSession, patient_id: int) -> tuple[int | None, str]:
    patient = await patients_service.get(db, patient_id)
    return patient.user_id, f"{patient.given_name} {patient.family_name}"


async def critical_result(db: AsyncSession, event: CriticalResult) -> None:
    _user, name = await _patient(db, event.patient_id)
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
    patient_user, name = await _patient(db, event.patient_id)
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


async def imaging_report_ready(db: AsyncSession, event: ReportReady) -> None:
    patient_user, name = await _patient(db, event.patient_id)
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


async def prescription_ready(db: AsyncSession, event: PrescriptionReady) -> None:
    patient_user, _name = await _patient(db, event.patient_id)
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
    _user, name = await _patient(db, event.patient_id)
    await notify(
        db,
        event.prescriber_user_id,
        kind="pharmacy.renewal_requested",
        title=f"Renewal requested: prescription #{event.prescription_id} for {name}",
        link="/prescriptions/renewals",
        patient_id=event.patient_id,
    )


async def renewal_decided(db: AsyncSession, event: RenewalDecided) -> None:
    patient_user, _name = await _patient(db, event.patient_id)
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
