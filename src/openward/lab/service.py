"""The laboratory as other domains read it: a doctor's results inbox and the dashboard
figures.

The rest of the lab lives beside it: `catalogue` (tests, analytes), `flags` (reference
ranges, flagging a value), `orders` (placing, reading, listing), `workflow` (the steps from
ordered to verified) and `results` (one order in full, trends, the printed report, the
patient's own results).

An order moves ordered -> collected -> in_progress -> resulted -> verified, or is cancelled
before it is verified; any other move is refused with 409 `invalid_transition`. Results may
be entered in several posts while the order is in progress: it becomes "resulted" once every
analyte has a value, and a value entered again before verification replaces the earlier one.

Each result is flagged against the reference range for the patient's sex and age on the day
of collection (a LabReferenceRange row when one matches, else the analyte's default) and the
analyte's critical limits. A qualitative analyte (urine protein, say) is "normal" when its
text equals the expected text (case-insensitive, e.g. "negative") and "high" otherwise: an
unexpected finding on a dipstick is a positive one.

Results are verified by a second person: the technician who entered (or corrected) a value
is refused with 409 `second_person_required`, unless settings.allow_self_verification (a
one-person lab), when the verification is audited as self-verified.

Who sees what: the lab sees every result as it is entered; doctors, nurses and the front desk
see results once verified; the patient once they are released: when the responsible doctor
acknowledges them (`workflow.acknowledge`) or settings.result_release_hours after
verification, whichever comes first (`orders.released`). A critical value is told at once (CriticalResult) to
the responsible doctor, who may read the critical values, marked preliminary, before
verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.timeline import InboxRow, inbox_order
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.lab.flags import CRITICAL, display_value, summary_flag
from openward.lab.models import LabAnalyte, LabOrder, LabResult
from openward.lab.orders import ordered_tests, result_flags
from openward.lab.workflow import PENDING, RESULT_ENTRY
from openward.patients import service as patients_service

INBOX_DAYS = 30


async def inbox(
    db: AsyncSession, actor: Actor, *, limit: int = 100, to_acknowledge: bool = False
) -> list[InboxRow]:
    """The doctor's results: verified in the last 30 days, critical values still being
    verified and critical results not yet acknowledged (however old); unacknowledged
    critical first, then critical, then the newest. `to_acknowledge`: only the verified
    results the doctor has not acknowledged yet."""
    if actor.id is None:
        return []
    since = utcnow() - timedelta(days=INBOX_DAYS)
    critical = select(LabResult.order_id).where(LabResult.flag.in_(CRITICAL))
    verified = LabOrder.status == "verified"
    unacknowledged = verified & LabOrder.acknowledged_at.is_(None)
    conditions = [
        verified & (LabOrder.verified_at >= since),
        LabOrder.status.in_(("in_progress", "resulted")) & LabOrder.id.in_(critical),
        unacknowledged & LabOrder.id.in_(critical),  # critical stays until acknowledged
    ]
    if to_acknowledge:
        conditions = [unacknowledged]
    orders = list(
        await db.scalars(
            select(LabOrder)
            .where(LabOrder.doctor_user_id == actor.id, or_(*conditions))
            .order_by(LabOrder.id.desc())
            .limit(limit * 2)
        )
    )
    if not orders:
        return []
    ids = [o.id for o in orders]
    flags = await result_flags(db, ids)
    tests = await ordered_tests(db, ids)
    patients = await patients_service.briefs(db, [o.patient_id for o in orders])
    entered: dict[int, datetime] = {}
    for order_id, at in await db.execute(
        select(LabResult.order_id, func.max(LabResult.entered_at))
        .where(LabResult.order_id.in_(ids), LabResult.flag.in_(CRITICAL))
        .group_by(LabResult.order_id)
    ):
        entered[order_id] = at
    acknowledgers = await identity_service.full_names(db, [o.acknowledged_by for o in orders])
    rows = []
    for o in orders:
        patient = patients[o.patient_id]
        all_flags = flags.get(o.id, [])
        shown = all_flags if o.status == "verified" else [f for f in all_flags if f in CRITICAL]
        rows.append(
            InboxRow(
                at=o.verified_at or entered.get(o.id) or o.ordered_at,
                kind="lab",
                order_id=o.id,
                patient_id=o.patient_id,
                patient_name=patient.full_name,
                mrn=patient.mrn,
                title=", ".join(t.name for t in tests.get(o.id, [])) or "Lab order",
                status=o.status,
                flag=summary_flag(shown),
                link=f"/lab/orders/{o.id}",
                acknowledged_at=o.acknowledged_at,
                acknowledged_by_name=acknowledgers.get(o.acknowledged_by)
                if o.acknowledged_by
                else None,
                acknowledge_url=f"/lab/orders/{o.id}/acknowledge"
                if o.status == "verified" and o.acknowledged_at is None
                else None,
            )
        )
    rows.sort(key=inbox_order)
    rows = rows[:limit]
    await audit.record(
        db,
        actor,
        "lab.inbox.read",
        object_type="lab_order",
        detail={"total": len(rows), "patients": sorted({r.patient_id for r in rows})},
    )
    return rows


@dataclass(frozen=True)
class CriticalValue:
    """One critical value entered today, for the technician's list."""

    order_id: int
    patient_id: int
    patient_name: str
    mrn: str
    analyte: str
    value: str
    unit: str
    flag: str
    entered_at: datetime
    order_status: str


async def critical_values_today(
    db: AsyncSession, actor: Actor, *, zone: tzinfo = UTC
) -> list[CriticalValue]:
    """The critical values entered since midnight in the hospital's time zone, newest first
    (what the "Critical values today" card counts); audited with the patients shown."""
    start_of_day = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        await db.execute(
            select(LabResult, LabAnalyte.name, LabOrder.status)
            .join(LabAnalyte, LabAnalyte.id == LabResult.analyte_id)
            .join(LabOrder, LabOrder.id == LabResult.order_id)
            .where(LabResult.flag.in_(CRITICAL), LabResult.entered_at >= start_of_day)
            .order_by(LabResult.entered_at.desc(), LabResult.id.desc())
            .limit(500)
        )
    ).all()
    patients = await patients_service.briefs(db, [r.patient_id for r, _n, _s in rows])
    await audit.record(
        db,
        actor,
        "lab.critical_values.read",
        object_type="lab_order",
        detail={
            "total": len(rows),
            "orders": sorted({r.order_id for r, _n, _s in rows}),
            "patients": sorted(patients),
        },
    )
    return [
        CriticalValue(
            order_id=r.order_id,
            patient_id=r.patient_id,
            patient_name=patients[r.patient_id].full_name,
            mrn=patients[r.patient_id].mrn,
            analyte=name,
            value=display_value(r.value, r.value_text),
            unit=r.unit,
            flag=r.flag,
            entered_at=r.entered_at,
            order_status=status,
        )
        for r, name, status in rows
    ]


async def to_acknowledge_count(db: AsyncSession, actor: Actor) -> int:
    """The doctor's verified lab orders whose results they have not acknowledged yet."""
    return int(
        await db.scalar(
            select(func.count(LabOrder.id)).where(
                LabOrder.doctor_user_id == actor.id,
                LabOrder.status == "verified",
                LabOrder.acknowledged_at.is_(None),
            )
        )
        or 0
    )


async def dashboard_figures(
    db: AsyncSession, actor: Actor, *, zone: tzinfo = UTC
) -> dict[str, int]:
    """Counts for the dashboard: the lab's queue, or a doctor's results waiting. "Today"
    starts at midnight in the hospital's time zone."""
    start_of_day = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if actor.role == "doctor":
        since = utcnow() - timedelta(days=INBOX_DAYS)
        mine = LabOrder.doctor_user_id == actor.id
        pending = await db.scalar(
            select(func.count(LabOrder.id)).where(mine, LabOrder.status.in_(PENDING))
        )
        verified = await db.scalar(
            select(func.count(LabOrder.id)).where(
                mine, LabOrder.status == "verified", LabOrder.verified_at >= since
            )
        )
        critical = await db.scalar(
            select(func.count(func.distinct(LabOrder.id)))
            .join(LabResult, LabResult.order_id == LabOrder.id)
            .where(mine, LabOrder.status.in_(RESULT_ENTRY), LabResult.flag.in_(CRITICAL))
        )
        return {
            "to_acknowledge": await to_acknowledge_count(db, actor),
            "pending_orders": int(pending or 0),
            "results_last_30_days": int(verified or 0),
            "critical_awaiting_verification": int(critical or 0),
        }
    counts = {
        status: int(n)
        for status, n in (
            await db.execute(
                select(LabOrder.status, func.count(LabOrder.id))
                .where(LabOrder.status.in_(PENDING))
                .group_by(LabOrder.status)
            )
        ).all()
    }
    stat = await db.scalar(
        select(func.count(LabOrder.id)).where(
            LabOrder.status.in_(PENDING), LabOrder.priority == "stat"
        )
    )
    critical_today = await db.scalar(
        select(func.count(LabResult.id)).where(
            LabResult.flag.in_(CRITICAL), LabResult.entered_at >= start_of_day
        )
    )
    verified_today = await db.scalar(
        select(func.count(LabOrder.id)).where(
            LabOrder.status == "verified", LabOrder.verified_at >= start_of_day
        )
    )
    return {
        **{status: counts.get(status, 0) for status in PENDING},
        "stat_pending": int(stat or 0),
        "critical_today": int(critical_today or 0),
        "verified_today": int(verified_today or 0),
    }
