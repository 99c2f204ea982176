"""A patient's visits: every appointment, newest first, read on the actor's behalf (access
checked, the read audited). What was found and done at each is the visit's encounter, which
the clinical domain adds (`clinical.visit_history`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import dates
from openward.core.actors import Actor
from openward.patients import service as patients_service
from openward.patients.service import BannerFact
from openward.scheduling import schemas
from openward.scheduling.access import present
from openward.scheduling.models import Appointment


async def visits(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    zone: ZoneInfo,
    break_glass_reason: str | None = None,
):
    """(the patient, their appointments presented, newest first)."""
    patient = await patients_service.get_for(
        db, actor, patient_id, break_glass_reason=break_glass_reason, action="patient.history"
    )
    rows = list(
        await db.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient.id)
            .order_by(Appointment.start_at.desc(), Appointment.id.desc())
        )
    )
    shown: list[schemas.AppointmentOut] = await present(db, rows, zone)
    return patient, shown


async def banner_facts(db: AsyncSession, patient_id: int, zone: ZoneInfo) -> list[BannerFact]:
    """The banner's visit line: the patient's visit today (hospital zone), if any."""
    today = datetime.now(zone).date()
    start, end = dates.day_bounds(today, today, zone)
    rows = list(
        await db.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.start_at >= start,
                Appointment.start_at < end,
                Appointment.status.in_(("booked", "checked_in", "completed")),
            )
            .order_by(Appointment.start_at)
        )
    )
    if not rows:
        return []
    shown = await present(db, rows, zone)
    current = next((v for v in shown if v.status == "checked_in"), shown[0])
    state = {"booked": "booked", "checked_in": "checked in", "completed": "completed"}
    return [
        BannerFact(
            "visit",
            "Visit today",
            f"{current.start.astimezone(zone):%H:%M} with {current.doctor_name} "
            f"({current.department_name}) — {state[current.status]}",
            "info",
            f"/appointments/{current.id}",
        )
    ]
