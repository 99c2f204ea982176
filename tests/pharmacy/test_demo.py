"""The demo pharmacy: a realistic catalogue, shelves that make every alert show, and a
little activity for the demo patient and doctor; seeding twice changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openward.db import session_scope, utcnow
from openward.pharmacy import demo, stock
from openward.pharmacy.models import Medicine, Prescription, RenewalRequest, StockLot
from tests.scheduling.factories import new_patient_user

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_demo_seed_stocks_the_pharmacy_and_leaves_a_pending_renewal(client, app, make_user):
    await make_user("pharmacist", username="pharmacist")
    await make_user("doctor", username="doctor")
    await new_patient_user(client, username="patient")
    zone = app.state.settings.zone
    now = utcnow()
    today = now.astimezone(zone).date()  # the hospital's day, not UTC's
    async with session_scope(app.state.sessionmaker) as db:
        await demo.seed(db, now=now, zone=zone)
    async with session_scope(app.state.sessionmaker) as db:
        await demo.seed(db, now=now, zone=zone)
        medicines = await db.scalar(select(func.count(Medicine.id)))
        supplies = await db.scalar(select(func.count(Medicine.id)).where(Medicine.is_supply))
        lots = await db.scalar(select(func.count(StockLot.id)))
        alerts = await stock.alerts(db, today=today, days=90)
        statuses = set(await db.scalars(select(Prescription.status)))
        renewals = list(await db.scalars(select(RenewalRequest.status)))
    assert medicines >= 60 and supplies >= 5
    assert lots > medicines
    assert alerts.low_stock and alerts.expiring and len(alerts.expired) == 1
    assert "dispensed" in statuses
    assert renewals == ["pending"]
