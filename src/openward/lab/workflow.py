"""An order's steps in the lab: collect, start, enter results (flagged; critical values told at
once), verify and cancel, and the moves each status allows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit, events
from openward.core.actors import Actor
from openward.core.errors import PermissionDenied, ValidationFailed
from openward.db import utcnow
from openward.lab import schemas
from openward.lab.catalogue import order_analytes
from openward.lab.errors import (
    InvalidResultValue,
    InvalidTransition,
    NotOrderingDoctor,
    NotYetFinal,
    SecondPersonRequired,
    UnknownAnalyte,
)
from openward.lab.events import CriticalResult, ResultAcknowledged, ResultReady
from openward.lab.flags import (
    CRITICAL,
    FLAG_WORDS,
    age_in_years,
    display_value,
    flag_for,
    reference_range,
)
from openward.lab.models import LabAnalyte, LabOrder, LabOrderTest, LabResult, LabTest
from openward.lab.orders import SYSTEM_VIA, check_access, get_locked

# status -> statuses it may move to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "ordered": ("collected", "cancelled"),
    "collected": ("in_progress", "cancelled"),
    "in_progress": ("resulted", "cancelled"),
    "resulted": ("verified", "cancelled"),
    "verified": (),
    "cancelled": (),
}
# Statuses in which results may be entered (a correction replaces the value until verified).
RESULT_ENTRY = ("in_progress", "resulted")
STEP_VERBS = {"collected": "collect", "in_progress": "start", "verified": "verify"}
PENDING = ("ordered", "collected", "in_progress", "resulted")
LARGEST_VALUE = Decimal("1e9")  # Numeric(12, 3)
THOUSANDTH = Decimal("0.001")


def allowed_steps(order: LabOrder) -> list[str]:
    """Buttons the lab may press next: collect, start, results, verify, cancel."""
    steps = {
        "ordered": ["collect"],
        "collected": ["start"],
        "in_progress": ["results"],
        "resulted": ["results", "verify"],
    }.get(order.status, [])
    return steps + (["cancel"] if "cancelled" in TRANSITIONS[order.status] else [])


def _refuse(order: LabOrder, step: str) -> InvalidTransition:
    return InvalidTransition(
        f"A{'n' if order.status[0] in 'aeiou' else ''} {order.status.replace('_', ' ')} order "
        f"cannot be {step}.",
        extra={"current_status": order.status, "allowed": allowed_steps(order)},
    )


def _require_lab(actor: Actor) -> None:
    if not (actor.can("lab:process") or actor.via in SYSTEM_VIA):
        raise PermissionDenied("Only the laboratory records this step.")


async def _move(
    db: AsyncSession,
    actor: Actor,
    order_id: int,
    to: str,
    words: str,
    *,
    now: datetime | None = None,
) -> LabOrder:
    _require_lab(actor)
    order = await get_locked(db, order_id)
    await check_access(db, actor, order)
    if to not in TRANSITIONS[order.status]:
        raise _refuse(order, words)
    moment = now or utcnow()
    order.status = to
    if to == "collected":
        order.collected_at, order.collected_by = moment, actor.id
    elif to == "in_progress":
        order.started_at, order.started_by = moment, actor.id
    elif to == "verified":
        order.verified_at, order.verified_by = moment, actor.id
    await db.flush()
    await audit.record(
        db,
        actor,
        f"lab.order.{STEP_VERBS[to]}",
        object_type="lab_order",
        object_id=order.id,
        patient_id=order.patient_id,
    )
    return order


async def collect(
    db: AsyncSession, actor: Actor, order_id: int, *, now: datetime | None = None
) -> LabOrder:
    return await _move(db, actor, order_id, "collected", "collected", now=now)


async def start(
    db: AsyncSession, actor: Actor, order_id: int, *, now: datetime | None = None
) -> LabOrder:
    return await _move(db, actor, order_id, "in_progress", "started", now=now)


def _parse_value(
    analyte: LabAnalyte, raw: Decimal | str, field: str
) -> tuple[Decimal | None, str | None]:
    if analyte.normal_text is not None:
        text = str(raw).strip() if not isinstance(raw, Decimal) else display_value(raw, None)
        if not text:
            raise InvalidResultValue(f"Enter a result for {analyte.name}.", field=field)
        if len(text) > 200:
            raise InvalidResultValue("At most 200 characters.", field=field)
        return None, text
    try:
        number = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidResultValue(
            f"{analyte.name} takes a number ({analyte.unit or 'no unit'}).", field=field
        ) from None
    if not number.is_finite() or abs(number) >= LARGEST_VALUE:
        raise InvalidResultValue(f"{analyte.name}: that number is out of range.", field=field)
    return number.quantize(THOUSANDTH), None


@dataclass(frozen=True)
class _Entry:
    analyte: LabAnalyte
    value: Decimal | None
    text: str | None
    comment: str | None


async def enter_results(
    db: AsyncSession,
    actor: Actor,
    order_id: int,
    entries: Sequence[schemas.ResultEntry],
    *,
    now: datetime | None = None,
) -> LabOrder:
    """Store (or correct) values; flag them; tell the doctor of critical ones at once."""
    _require_lab(actor)
    order = await get_locked(db, order_id)
    patient = await check_access(db, actor, order)
    if order.status not in RESULT_ENTRY:
        raise _refuse(order, "given results")
    tests, analytes, ranges = await order_analytes(db, order.id)
    by_code: dict[str, LabAnalyte] = {}
    for test, _ in tests:
        for analyte in analytes.get(test.id, []):
            by_code.setdefault(analyte.code.upper(), analyte)
    parsed: dict[int, _Entry] = {}
    for index, entry in enumerate(entries):
        code = entry.analyte_code.strip().upper()
        analyte = by_code.get(code)
        if analyte is None:
            raise UnknownAnalyte(
                f"This order has no analyte {entry.analyte_code!r}.",
                field=f"results[{index}].analyte_code",
                extra={"unknown": entry.analyte_code},
            )
        if analyte.id in parsed:
            raise ValidationFailed(
                f"{analyte.name} is given twice.", field=f"results[{index}].analyte_code"
            )
        value, text = _parse_value(analyte, entry.value, f"results[{index}].value")
        parsed[analyte.id] = _Entry(analyte, value, text, entry.comment or None)
    existing = {
        r.analyte_id: r
        for r in await db.scalars(select(LabResult).where(LabResult.order_id == order.id))
    }
    moment = now or utcnow()
    age = age_in_years(patient.date_of_birth, (order.collected_at or moment).date())
    newly_critical: list[str] = []
    for analyte_id, item in parsed.items():
        low, high = reference_range(item.analyte, ranges.get(analyte_id, []), patient.sex, age)
        flag = flag_for(item.analyte, low, high, item.value, item.text)
        result = existing.get(analyte_id)
        changed = result is None or (result.value, result.value_text) != (item.value, item.text)
        if result is None:
            result = LabResult(
                order_id=order.id,
                analyte_id=analyte_id,
                patient_id=order.patient_id,
                analyte_code=item.analyte.code,
            )
            db.add(result)
            existing[analyte_id] = result
        result.value, result.value_text = item.value, item.text
        result.unit = item.analyte.unit
        result.ref_low, result.ref_high = low, high
        result.flag = flag
        result.comment = item.comment
        result.entered_by = actor.id  # type: ignore[assignment]
        result.entered_at = moment
        if flag in CRITICAL and changed:
            newly_critical.append(
                f"{item.analyte.name} {display_value(item.value, item.text)}"
                f"{' ' + item.analyte.unit if item.analyte.unit else ''} ({FLAG_WORDS[flag]})"
            )
    every = {a.id for test, _ in tests for a in analytes.get(test.id, [])}
    if order.status == "in_progress" and every <= set(existing):
        order.status = "resulted"
        order.resulted_at, order.resulted_by = moment, actor.id
    await db.flush()
    await audit.record(
        db,
        actor,
        "lab.results.enter",
        object_type="lab_order",
        object_id=order.id,
        patient_id=order.patient_id,
        detail={
            "analytes": sorted(e.analyte.code for e in parsed.values()),
            "critical": len(newly_critical),
            "status": order.status,
        },
    )
    if newly_critical:
        await events.publish(
            db,
            CriticalResult(
                order_id=order.id,
                patient_id=order.patient_id,
                doctor_user_id=order.doctor_user_id,
                findings=tuple(newly_critical),
            ),
        )
    return order


async def verify(
    db: AsyncSession,
    actor: Actor,
    order_id: int,
    *,
    release_hours: int,
    allow_self_verification: bool = False,
    now: datetime | None = None,
) -> LabOrder:
    """Release the results to the doctor at once, and to the patient once the doctor
    acknowledged them or `release_hours` after verification. Someone other than the person
    who entered the values verifies them, unless the hospital allows self-verification (a
    one-person lab), which the audit trail then records."""
    _require_lab(actor)
    order = await get_locked(db, order_id)
    await check_access(db, actor, order)
    if "verified" not in TRANSITIONS[order.status]:
        raise _refuse(order, "verified")
    entered_by = set(
        await db.scalars(select(LabResult.entered_by).where(LabResult.order_id == order.id))
    )
    entered_by.add(order.resulted_by)
    self_verified = actor.id is not None and actor.id in entered_by
    if self_verified and not allow_self_verification:
        raise SecondPersonRequired(
            "You entered results of this order: another technician verifies them.",
            extra={"entered_by": sorted(u for u in entered_by if u is not None)},
        )
    moment = now or utcnow()
    order.status = "verified"
    order.verified_at, order.verified_by = moment, actor.id
    order.released_at = moment + timedelta(hours=release_hours)
    await db.flush()
    await audit.record(
        db,
        actor,
        "lab.order.verify",
        object_type="lab_order",
        object_id=order.id,
        patient_id=order.patient_id,
        reason="self-verified: the setting allows one-person labs" if self_verified else None,
        detail={"self_verified": self_verified, "released_at": order.released_at},
    )
    names = [
        t.name
        for t in await db.scalars(
            select(LabTest)
            .join(LabOrderTest, LabOrderTest.test_id == LabTest.id)
            .where(LabOrderTest.order_id == order.id)
            .order_by(LabOrderTest.id)
        )
    ]
    flags = list(await db.scalars(select(LabResult.flag).where(LabResult.order_id == order.id)))
    await events.publish(
        db,
        ResultReady(
            order_id=order.id,
            patient_id=order.patient_id,
            doctor_user_id=order.doctor_user_id,
            tests=tuple(names),
            abnormal=any(f != "normal" for f in flags),
            released_at=order.released_at,
        ),
    )
    return order


def responsible_doctor(order: LabOrder) -> int | None:
    """The doctor who answers for the order: the one named on it, else the orderer."""
    return order.doctor_user_id or order.ordered_by


async def acknowledge(
    db: AsyncSession, actor: Actor, order_id: int, *, now: datetime | None = None
) -> LabOrder:
    """The ordering doctor has seen the verified results: they reach the patient now (if the
    release delay has not already passed). Acknowledging again changes nothing."""
    order = await get_locked(db, order_id)
    await check_access(db, actor, order)
    if actor.role != "doctor" or actor.id is None or actor.id != responsible_doctor(order):
        raise NotOrderingDoctor()
    if order.status != "verified":
        raise NotYetFinal(
            f"The results are not verified yet (the order is {order.status.replace('_', ' ')}).",
            extra={"current_status": order.status},
        )
    if order.acknowledged_at is not None:
        return order
    moment = now or utcnow()
    order.acknowledged_at, order.acknowledged_by = moment, actor.id
    released_now = order.released_at is None or order.released_at > moment
    if released_now:
        order.released_at = moment
    await db.flush()
    await audit.record(
        db,
        actor,
        "lab.order.acknowledge",
        object_type="lab_order",
        object_id=order.id,
        patient_id=order.patient_id,
        detail={"released_to_patient": released_now},
    )
    if released_now:
        names = [
            t.name
            for t in await db.scalars(
                select(LabTest)
                .join(LabOrderTest, LabOrderTest.test_id == LabTest.id)
                .where(LabOrderTest.order_id == order.id)
                .order_by(LabOrderTest.id)
            )
        ]
        await events.publish(
            db,
            ResultAcknowledged(order_id=order.id, patient_id=order.patient_id, tests=tuple(names)),
        )
    return order


async def cancel(db: AsyncSession, actor: Actor, order_id: int, reason: str) -> LabOrder:
    """The ordering side withdraws it, or the lab rejects the specimen; never once verified."""
    if not (actor.can("lab:order") or actor.can("lab:process") or actor.via in SYSTEM_VIA):
        raise PermissionDenied("Your role cannot cancel lab orders.")
    order = await get_locked(db, order_id)
    await check_access(db, actor, order)
    if "cancelled" not in TRANSITIONS[order.status]:
        raise _refuse(order, "cancelled")
    order.status = "cancelled"
    order.cancelled_at, order.cancelled_by = utcnow(), actor.id
    order.cancel_reason = reason.strip()[:500]
    await db.flush()
    await audit.record(
        db,
        actor,
        "lab.order.cancel",
        object_type="lab_order",
        object_id=order.id,
        patient_id=order.patient_id,
        reason=order.cancel_reason,
    )
    return order
