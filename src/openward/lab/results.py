"""Reading results: one order in full as its reader may see it, an analyte's trend, the printed
report, and a patient's own results."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.pdf import Document, pdf_filename
from openward.identity import service as identity_service
from openward.lab import schemas
from openward.lab.catalogue import order_analytes
from openward.lab.errors import LabOrderNotFound, NotVerified, UnknownAnalyte
from openward.lab.flags import (
    CRITICAL,
    FLAG_WORDS,
    age_in_years,
    as_float,
    display_range,
    display_value,
    reference_range,
    summary_flag,
)
from openward.lab.models import LabAnalyte, LabOrder, LabResult, LabTest
from openward.lab.orders import (
    audit_list,
    get,
    get_for,
    released,
    released_to_patients,
    results_readable,
    summaries,
)
from openward.lab.workflow import allowed_steps, responsible_doctor
from openward.patients import minimum_necessary
from openward.patients import service as patients_service
from openward.patients.mrn import format_mrn

if TYPE_CHECKING:
    from openward.patients.models import Patient

TREND_POINTS = 10


# ---------------------------------------------------------------- access


def _visible(actor: Actor, order: LabOrder, results: Sequence[LabResult]) -> list[LabResult]:
    if not minimum_necessary.sees(actor, minimum_necessary.LAB):
        return []
    if results_readable(actor, order):
        return list(results)
    if actor.role == "doctor" and actor.id is not None and actor.id == order.doctor_user_id:
        return [r for r in results if r.flag in CRITICAL]
    return []


# ---------------------------------------------------------------- one order in full


def _steps(order: LabOrder, names: dict[int, str]) -> list[schemas.StepOut]:
    pairs = [
        ("ordered", order.ordered_at, order.ordered_by),
        ("collected", order.collected_at, order.collected_by),
        ("started", order.started_at, order.started_by),
        ("resulted", order.resulted_at, order.resulted_by),
        ("verified", order.verified_at, order.verified_by),
        ("acknowledged", order.acknowledged_at, order.acknowledged_by),
        ("cancelled", order.cancelled_at, order.cancelled_by),
    ]
    return [
        schemas.StepOut(step=step, at=at, by_user_id=by, by_name=names.get(by) if by else None)
        for step, at, by in pairs
        if at is not None
    ]


def _when(order: LabOrder) -> datetime:
    return order.collected_at or order.ordered_at


async def _previous(
    db: AsyncSession, actor: Actor, order: LabOrder, codes: Sequence[str]
) -> dict[str, list[schemas.PreviousValue]]:
    """Each analyte's earlier verified values for this patient, newest first (one query)."""
    found: dict[str, list[schemas.PreviousValue]] = defaultdict(list)
    if not codes:
        return found
    moment = func.coalesce(LabOrder.collected_at, LabOrder.ordered_at)
    rows = await db.execute(
        select(LabResult, LabOrder)
        .join(LabOrder, LabOrder.id == LabResult.order_id)
        .where(
            LabResult.patient_id == order.patient_id,
            LabResult.analyte_code.in_(set(codes)),
            released_to_patients() if actor.role == "patient" else LabOrder.status == "verified",
            LabOrder.id != order.id,
            moment < _when(order),
        )
        .order_by(moment.desc(), LabOrder.id.desc())
    )
    for result, earlier in rows.all():
        points = found[result.analyte_code]
        if len(points) < TREND_POINTS:
            points.append(
                schemas.PreviousValue(
                    order_id=earlier.id,
                    at=_when(earlier),
                    value=as_float(result.value),
                    value_text=result.value_text,
                    flag=result.flag,  # type: ignore[arg-type]
                )
            )
    return found


def _result_out(result: LabResult, analyte: LabAnalyte, test: LabTest, order: LabOrder):
    return schemas.ResultOut(
        analyte_code=analyte.code,
        analyte_name=analyte.name,
        test_code=test.code,
        value=as_float(result.value),
        value_text=result.value_text,
        unit=result.unit,
        ref_low=as_float(result.ref_low),
        ref_high=as_float(result.ref_high),
        flag=result.flag,  # type: ignore[arg-type]
        comment=result.comment,
        entered_at=result.entered_at,
        entered_by=result.entered_by,
        preliminary=order.status != "verified",
    )


async def present(
    db: AsyncSession, actor: Actor, order: LabOrder, patient: Patient
) -> schemas.LabOrderOut:
    """The order with its tests, analytes (ranges for this patient), the results the reader
    may see, earlier values of each analyte and every step's who and when."""
    tests, analytes, ranges = await order_analytes(db, order.id)
    results = list(await db.scalars(select(LabResult).where(LabResult.order_id == order.id)))
    visible = {r.analyte_id: r for r in _visible(actor, order, results)}
    clinical = minimum_necessary.sees(actor, minimum_necessary.LAB)
    age = age_in_years(patient.date_of_birth, _when(order).date())
    codes = [a.code for test, _ in tests for a in analytes.get(test.id, [])] if clinical else []
    previous = await _previous(db, actor, order, codes)
    names = await identity_service.full_names(
        db,
        [
            order.doctor_user_id,
            order.ordered_by,
            order.collected_by,
            order.started_by,
            order.resulted_by,
            order.verified_by,
            order.acknowledged_by,
            order.cancelled_by,
        ],
    )
    tests_out, flat = [], []
    for test, order_test in tests:
        analytes_out = []
        for analyte in analytes.get(test.id, []):
            result = visible.get(analyte.id)
            low, high = reference_range(analyte, ranges.get(analyte.id, []), patient.sex, age)
            shown = _result_out(result, analyte, test, order) if result else None
            if shown:
                flat.append(shown)
            analytes_out.append(
                schemas.OrderAnalyteOut(
                    code=analyte.code,
                    name=analyte.name,
                    unit=analyte.unit,
                    low=as_float(low),
                    high=as_float(high),
                    critical_low=as_float(analyte.critical_low),
                    critical_high=as_float(analyte.critical_high),
                    normal_text=analyte.normal_text,
                    result=shown,
                    previous=previous.get(analyte.code, []),
                )
            )
        tests_out.append(
            schemas.OrderTestOut(
                code=test.code,
                name=test.name,
                specimen=test.specimen,
                price=order_test.price,
                turnaround_hours=test.turnaround_hours,
                analytes=analytes_out,
            )
        )
    return schemas.LabOrderOut(
        id=order.id,
        status=order.status,  # type: ignore[arg-type]
        priority=order.priority,  # type: ignore[arg-type]
        patient_id=patient.id,
        patient_name=patient.full_name,
        patient_mrn=patient.mrn,
        patient_sex=patient.sex,
        patient_date_of_birth=patient.date_of_birth.isoformat(),
        encounter_id=order.encounter_id,
        doctor=schemas.PersonRef(
            user_id=order.doctor_user_id,
            name=names.get(order.doctor_user_id) if order.doctor_user_id else None,
        ),
        doctor_user_id=order.doctor_user_id,
        clinical_notes=order.clinical_notes if clinical else None,
        ordered_at=order.ordered_at,
        ordered_by=order.ordered_by,
        collected_at=order.collected_at,
        collected_by=order.collected_by,
        started_at=order.started_at,
        started_by=order.started_by,
        resulted_at=order.resulted_at,
        resulted_by=order.resulted_by,
        verified_at=order.verified_at,
        verified_by=order.verified_by,
        acknowledged_at=order.acknowledged_at,
        acknowledged_by=order.acknowledged_by,
        acknowledged_by_name=names.get(order.acknowledged_by) if order.acknowledged_by else None,
        released_at=order.released_at,
        released_to_patient=released(order),
        can_acknowledge=(
            order.status == "verified"
            and order.acknowledged_at is None
            and actor.role == "doctor"
            and actor.id is not None
            and actor.id == responsible_doctor(order)
        ),
        cancelled_at=order.cancelled_at,
        cancelled_by=order.cancelled_by,
        cancel_reason=order.cancel_reason,
        steps=_steps(order, names),
        total_price=sum((ot.price for _, ot in tests), Decimal(0)),
        tests=tests_out,
        results=flat,
        results_visible=clinical and results_readable(actor, order),
        clinical_content_withheld=not clinical,
        flag=summary_flag([r.flag for r in visible.values()]),
        allowed=allowed_steps(order) if actor.can("lab:process") else [],
    )


async def detail(
    db: AsyncSession, actor: Actor, order_id: int, *, break_glass_reason: str | None = None
) -> schemas.LabOrderOut:
    order, patient = await get_for(db, actor, order_id, break_glass_reason=break_glass_reason)
    return await present(db, actor, order, patient)


async def acknowledgement(db: AsyncSession, order: LabOrder) -> schemas.AcknowledgementOut:
    """Who acknowledged the order's results and when (the acknowledging call audited it)."""
    assert order.acknowledged_by is not None and order.acknowledged_at is not None
    names = await identity_service.full_names(db, [order.acknowledged_by])
    return schemas.AcknowledgementOut(
        order_id=order.id,
        status=order.status,  # type: ignore[arg-type]
        acknowledged_by=order.acknowledged_by,
        acknowledged_by_name=names.get(order.acknowledged_by),
        acknowledged_at=order.acknowledged_at,
        released_at=order.released_at,
    )


# ---------------------------------------------------------------- trends


async def trend(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    analyte_code: str,
    *,
    break_glass_reason: str | None = None,
) -> schemas.LabTrend:
    """Every verified value of one analyte for one patient, oldest first."""
    await minimum_necessary.require(
        db,
        actor,
        minimum_necessary.LAB,
        patient_id=patient_id,
        action="lab.trend",
        object_type="patient",
        object_id=patient_id,
    )
    patient = await patients_service.get_for(
        db, actor, patient_id, break_glass_reason=break_glass_reason, action="lab.trend"
    )
    code = analyte_code.strip().upper()
    analyte = await db.scalar(
        select(LabAnalyte).where(func.upper(LabAnalyte.code) == code).order_by(LabAnalyte.id)
    )
    if analyte is None:
        raise UnknownAnalyte(f"No analyte {analyte_code!r} in the catalogue.", field="analyte")
    moment = func.coalesce(LabOrder.collected_at, LabOrder.ordered_at)
    rows = await db.execute(
        select(LabResult, LabOrder)
        .join(LabOrder, LabOrder.id == LabResult.order_id)
        .where(
            LabResult.patient_id == patient.id,
            LabResult.analyte_code == analyte.code,
            released_to_patients() if actor.role == "patient" else LabOrder.status == "verified",
        )
        .order_by(moment, LabOrder.id)
    )
    items = [
        schemas.TrendPoint(
            order_id=order.id,
            at=_when(order),
            verified_at=order.verified_at,
            value=as_float(result.value),
            value_text=result.value_text,
            unit=result.unit,
            ref_low=as_float(result.ref_low),
            ref_high=as_float(result.ref_high),
            flag=result.flag,  # type: ignore[arg-type]
        )
        for result, order in rows.all()
    ]
    return schemas.LabTrend(
        patient_id=patient.id,
        analyte=analyte.code,
        name=analyte.name,
        unit=analyte.unit,
        items=items,
        total=len(items),
    )


# ---------------------------------------------------------------- the printed report


async def report_pdf(
    db: AsyncSession,
    actor: Actor,
    order_id: int,
    *,
    hospital_name: str,
    zone: ZoneInfo,
    break_glass_reason: str | None = None,
) -> tuple[bytes, str]:
    """The verified report as a PDF and its file name (nothing but values: clinicians only)."""
    order = await get(db, order_id)
    await minimum_necessary.require(
        db,
        actor,
        minimum_necessary.LAB,
        patient_id=order.patient_id,
        action="lab.report.print",
        object_type="lab_order",
        object_id=order.id,
    )
    order, patient = await get_for(db, actor, order_id, break_glass_reason=break_glass_reason)
    if not results_readable(actor, order) or order.status != "verified":
        raise NotVerified()
    shown = await present(db, actor, order, patient)
    await audit.record(
        db,
        actor,
        "lab.report.print",
        object_type="lab_order",
        object_id=order.id,
        patient_id=order.patient_id,
    )

    def local(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%d %b %Y %H:%M") if value else "—"

    steps = {s.step: s for s in shown.steps}
    document = Document(hospital_name, "Laboratory report", datetime.now(zone))
    document.fields(
        [
            ("Patient", patient.full_name),
            ("MRN", format_mrn(patient.mrn)),
            ("Date of birth", patient.date_of_birth.strftime("%d %b %Y")),
            ("Sex", patient.sex),
            ("Ordering doctor", shown.doctor.name or "—"),
            ("Order", f"#{order.id} · {order.priority}"),
            (
                "Collected",
                f"{local(order.collected_at)} by {steps['collected'].by_name}"
                if "collected" in steps
                else "—",
            ),
            ("Verified", f"{local(order.verified_at)} by {steps['verified'].by_name}"),
        ]
    )
    if order.clinical_notes:
        document.heading("Clinical notes")
        document.paragraph(order.clinical_notes)
    for test in shown.tests:
        document.heading(f"{test.name} ({test.specimen})")
        rows = []
        for analyte in test.analytes:
            result = analyte.result
            rows.append(
                [
                    analyte.name,
                    display_value(result.value, result.value_text) if result else "—",
                    analyte.unit,
                    (analyte.normal_text or "")
                    if analyte.normal_text
                    else display_range(
                        result.ref_low if result else analyte.low,
                        result.ref_high if result else analyte.high,
                    ),
                    FLAG_WORDS[result.flag].upper() if result and result.flag != "normal" else "",
                ]
            )
        document.grid(
            ["Analyte", "Value", "Unit", "Reference range", "Flag"], rows, (60, 30, 30, 40, 30)
        )
    document.signature_line(f"Verified by {steps['verified'].by_name}")
    return document.to_bytes(), pdf_filename(f"lab-report-{patient.mrn}-{order.id}")


# ---------------------------------------------------------------- for the patient


async def my_orders(
    db: AsyncSession, actor: Actor, *, limit: int = 50
) -> tuple[list[schemas.LabOrderSummary], list[schemas.LabOrderSummary]]:
    """A signed-in patient's (verified results, orders still in the lab), newest first."""
    patient_id = await patients_service.my_id(db, actor)
    if patient_id is None:
        return [], []
    rows = list(
        await db.scalars(
            select(LabOrder)
            .where(LabOrder.patient_id == patient_id, LabOrder.status != "cancelled")
            .order_by(LabOrder.ordered_at.desc(), LabOrder.id.desc())
            .limit(limit)
        )
    )
    await audit_list(db, actor, rows)
    shown = await summaries(db, actor, rows)
    return [s for s in shown if s.released_to_patient], [
        s for s in shown if not s.released_to_patient
    ]


async def my_result(db: AsyncSession, actor: Actor, order_id: int) -> schemas.LabOrderOut:
    """A patient's own result once released to them (anything else reads as not found)."""
    order = await get(db, order_id)
    if not released(order) or order.patient_id != await patients_service.my_id(db, actor):
        raise LabOrderNotFound()
    return await detail(db, actor, order_id)
