"""The nurse's "vital signs recorded today" counts from midnight in the hospital's time zone,
not from midnight in UTC."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from openward.clinical import service as clinical_service
from openward.clinical.models import VitalSigns
from openward.core.actors import Actor
from openward.db import session_scope
from tests.scheduling.factories import new_patient

KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14: its day starts 14 hours before UTC's


async def test_vitals_today_start_at_the_hospitals_midnight(app, client, as_role, make_user):
    nurse = await make_user("nurse")
    headers = await as_role("receptionist")
    patient = await new_patient(client, headers)
    local_midnight = datetime.now(KIRITIMATI).replace(hour=0, minute=0, second=0, microsecond=0)
    async with session_scope(app.state.sessionmaker) as db:
        for minutes in (-1, 1):  # a minute before and a minute after the local midnight
            db.add(
                VitalSigns(
                    patient_id=patient["id"],
                    pulse=72,
                    recorded_by=nurse.id,
                    taken_at=local_midnight + timedelta(minutes=minutes),
                )
            )
        await db.flush()
        await db.execute(update(VitalSigns).values(created_at=VitalSigns.taken_at))
    actor = Actor(id=nurse.id, username=nurse.username, role="nurse")
    async with session_scope(app.state.sessionmaker) as db:
        figures = await clinical_service.dashboard_figures(db, actor, zone=KIRITIMATI)
    assert figures["vitals_recorded_today"] == 1
    assert figures["my_vitals_today"] == 1
