"""Reference ranges by sex and age, and the demo data's promises."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from openward.db import session_scope
from openward.lab import catalogue as lab_catalogue
from openward.lab import demo
from openward.lab import flags as lab_flags
from openward.lab.models import LabAnalyte, LabOrder, LabReferenceRange
from tests.scheduling.factories import new_patient


def test_most_specific_reference_range_wins():
    analyte = LabAnalyte(code="HGB", name="Haemoglobin", low=Decimal(120), high=Decimal(170))
    ranges = [
        LabReferenceRange(sex="male", age_min_years=16, low=Decimal(130), high=Decimal(175)),
        LabReferenceRange(age_min_years=1, age_max_years=16, low=Decimal(110), high=Decimal(145)),
        LabReferenceRange(sex="male", low=Decimal(125), high=Decimal(180)),
    ]
    assert lab_flags.reference_range(analyte, ranges, "male", 40) == (130, 175)
    assert lab_flags.reference_range(analyte, ranges, "male", 10) == (125, 180)
    assert lab_flags.reference_range(analyte, ranges, "female", 10) == (110, 145)
    assert lab_flags.reference_range(analyte, ranges, "female", 40) == (120, 170)


def test_age_counts_whole_years_on_the_day_of_collection():
    assert lab_flags.age_in_years(date(2010, 6, 15), date(2026, 6, 14)) == 15
    assert lab_flags.age_in_years(date(2010, 6, 15), date(2026, 6, 15)) == 16


async def test_catalogue_seeding_is_idempotent(app):
    async with session_scope(app.state.sessionmaker) as db:
        assert await demo.seed_catalogue(db) == 0  # the fixture loaded it already
        tests = await lab_catalogue.list_tests(db)
    lipid = next(t for t in tests if t.code == "LIPID")
    assert any(a.critical_high is not None for a in lipid.analytes)
    assert len({a.code for t in tests for a in t.analytes}) == sum(len(t.analytes) for t in tests)


async def test_demo_seed_makes_orders_in_every_status_once(app, client, as_role, make_user):
    await make_user("doctor", username="doctor")
    await make_user("lab_technician", username="labtech")
    await make_user("lab_technician", username="labtech2")  # verifies what labtech enters
    desk = await as_role("receptionist")
    for _ in range(3):
        await new_patient(client, desk)
    async with session_scope(app.state.sessionmaker) as db:
        now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # a demo dated another day
        made = await demo.seed(db, now=now, zone=UTC)
        again = await demo.seed(db, now=now, zone=UTC)
        statuses = set(await db.scalars(select(LabOrder.status).distinct()))
        total = await db.scalar(select(func.count(LabOrder.id)))
    assert made == total and again == 0
    assert statuses == {"ordered", "collected", "in_progress", "resulted", "verified"}
