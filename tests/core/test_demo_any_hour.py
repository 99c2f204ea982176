"""`openward demo` loads at any hour in any hospital zone: just after local midnight, early,
mid-afternoon and just before midnight, in UTC and in the zones furthest ahead of and
behind it. Nothing it records as done lies in the future, bookings lie ahead, and the
demo logins sign in."""

from __future__ import annotations

import time as stopwatch
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from sqlalchemy import func, select

from openward.app import create_app
from openward.clinical.models import Encounter, EncounterAmendment, VitalSigns
from openward.db import session_scope, utcnow
from openward.demo import load_demo
from openward.identity.models import User
from openward.lab.models import LabOrder, LabResult
from openward.patients.models import Patient
from openward.pharmacy.models import Dispensation, Prescription
from openward.radiology.models import ImagingAttachment, ImagingOrder
from openward.scheduling.models import Appointment
from openward.staff.models import Doctor

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

WEDNESDAY = date(2026, 6, 10)  # a weekday: every doctor works, so the day's figures are fixed
ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Honolulu"]  # UTC, UTC+14, UTC-10
HOURS = [time(0, 5), time(6, 0), time(14, 59), time(23, 55)]
CASES = [
    pytest.param(zone, datetime.combine(WEDNESDAY, hour), id=f"{zone.split('/')[-1]}-{hour:%H%M}")
    for zone in ZONES
    for hour in HOURS
    # Before the clinic opens is checked in UTC; the far zones at midnight, afternoon, late.
    if zone == "UTC" or hour != time(6, 0)
] + [
    # A Sunday that is the 1st of the month (only the weekend doctors work; the charts count
    # back from the 1st), five minutes old in the zone where it is still February in UTC.
    pytest.param("Pacific/Kiritimati", datetime(2026, 3, 1, 0, 5), id="Kiritimati-sunday-1st-0005"),
]

# Moments at which something happened: none may lie after the clock once the demo is loaded.
HAPPENED = [
    VitalSigns.taken_at,
    VitalSigns.created_at,
    Encounter.created_at,
    Encounter.signed_at,
    EncounterAmendment.created_at,
    Prescription.created_at,
    Appointment.created_at,
    Appointment.checked_in_at,
    Appointment.completed_at,
    Appointment.no_show_at,
    Appointment.cancelled_at,
    LabOrder.ordered_at,
    LabOrder.collected_at,
    LabOrder.started_at,
    LabOrder.resulted_at,
    LabOrder.verified_at,
    LabResult.entered_at,
    Dispensation.dispensed_at,
    ImagingOrder.ordered_at,
    ImagingOrder.performed_at,
    ImagingOrder.reported_at,
    ImagingOrder.verified_at,
    ImagingAttachment.uploaded_at,
]


async def _count(db: Any, model: Any, *where: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.mark.parametrize(("zone", "local"), CASES)
async def test_the_demo_loads_at_any_hour_and_records_nothing_in_the_future(
    settings_factory: Any, zone: str, local: datetime
) -> None:
    settings = settings_factory(timezone=zone)
    with time_machine.travel(local.replace(tzinfo=ZoneInfo(zone)), tick=True):
        started = stopwatch.perf_counter()
        logins = await load_demo(settings)
        took = stopwatch.perf_counter() - started
        loaded_at = utcnow()
        today = loaded_at.astimezone(settings.zone).date()
        assert today == local.date()
        app = create_app(settings)
        try:
            async with session_scope(app.state.sessionmaker) as db:
                assert await _count(db, Patient) == 48
                assert await _count(db, Doctor) == 7
                # 15, and a second lab technician and radiologist (a result is verified by a second person)
                assert await _count(db, User) == len(logins) == 17
                statuses = dict(
                    (
                        await db.execute(
                            select(Appointment.status, func.count()).group_by(Appointment.status)
                        )
                    ).all()
                )
                assert statuses["completed"] > 100 and statuses["booked"] > 100

                future = {
                    str(column): n
                    for column in HAPPENED
                    if (n := await _count(db, column.class_, column > loaded_at))
                }
                assert future == {}, f"recorded as done after {loaded_at}"
                seen_ahead = await _count(
                    db,
                    Appointment,
                    Appointment.status.in_(("checked_in", "completed", "no_show")),
                    Appointment.start_at > loaded_at,
                )
                assert seen_ahead == 0

                booked_ahead = await _count(
                    db,
                    Appointment,
                    Appointment.status == "booked",
                    Appointment.start_at > loaded_at,
                )
                exams_ahead = await _count(
                    db,
                    ImagingOrder,
                    ImagingOrder.status == "scheduled",
                    ImagingOrder.scheduled_at > loaded_at,
                )
                assert booked_ahead > 100 and exams_ahead == 2
                start = datetime.combine(today, time.min, tzinfo=settings.zone)
                todays_queue = await _count(
                    db,
                    Appointment,
                    Appointment.start_at >= start,
                    Appointment.start_at < start + timedelta(days=1),
                )
                assert todays_queue >= 6  # today's clinic, booked ahead or already seen
                # Every lab step and chart entry the demo promises is there at any hour.
                assert await _count(db, VitalSigns) == 6 * 7
                charted = await _count(
                    db,
                    Encounter,
                    Encounter.signed_at.is_not(None),
                    Encounter.appointment_id.is_(None),
                )
                assert charted == 6
                # Every visit seen is completed by its signed encounter, none left half-done.
                visits = await _count(
                    db,
                    Encounter,
                    Encounter.status == "signed",
                    Encounter.appointment_id.is_not(None),
                )
                assert visits == statuses["completed"]
                assert set(await db.scalars(select(LabOrder.status).distinct())) == {
                    "ordered",
                    "collected",
                    "in_progress",
                    "resulted",
                    "verified",
                }
                assert await _count(db, Dispensation) > 0
                assert await _count(db, LabOrder, LabOrder.collected_at < LabOrder.ordered_at) == 0

            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
                for _role, username, password in logins:
                    response = await http.post(
                        "/api/v1/auth/login", json={"username": username, "password": password}
                    )
                    assert response.status_code == 200, (username, response.text)
        finally:
            await app.state.engine.dispose()
    print(f"demo loaded in {took:.1f} s")
