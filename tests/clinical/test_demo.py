"""The demo chart: built on the demo hospital, idempotent, and visible to Paula."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openward.clinical import demo
from openward.clinical.models import Allergy, Encounter, VitalSigns
from openward.db import session_scope, utcnow
from openward.demo import load_demo

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_demo_seed_builds_charts_once(app, settings):
    await load_demo(settings)
    now = utcnow()
    async with session_scope(app.state.sessionmaker) as db:
        await demo.seed(db, now=now, zone=settings.zone)
    async with session_scope(app.state.sessionmaker) as db:
        await demo.seed(db, now=now, zone=settings.zone)  # a second run adds nothing
        encounters = await db.scalar(select(func.count(Encounter.id)))
        signed = await db.scalar(
            select(func.count(Encounter.id)).where(Encounter.status == "signed")
        )
        vitals = await db.scalar(select(func.count(VitalSigns.id)))
        allergies = await db.scalar(select(func.count(Allergy.id)))
    # Six charted patients (one draft left to sign), and every past visit seen at the demo
    # clinic recorded as its signed encounter (clinical.demo_visits).
    async with session_scope(app.state.sessionmaker) as db:
        visits = await db.scalar(
            select(func.count(Encounter.id)).where(Encounter.appointment_id.is_not(None))
        )
    assert visits > 100
    assert signed == 6 + visits and encounters == 7 + visits
    assert vitals == 6 * 7 and allergies >= 1
