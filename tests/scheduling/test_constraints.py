"""The database itself refuses overlapping active appointments, whoever writes the row:
an exclusion constraint on PostgreSQL, a trigger on SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from openward.core.actors import Actor
from openward.db import session_scope
from openward.patients import service as patients_service
from openward.scheduling.models import Appointment
from openward.staff import schemas as staff_schemas
from openward.staff import service as staff_service
from tests.conftest import STRONG_PASSWORD

SYSTEM = Actor.system("test")
START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


async def _clinic(app):
    async with session_scope(app.state.sessionmaker) as db:
        department = await staff_service.create_department(
            db, SYSTEM, staff_schemas.DepartmentCreate(name="Cardiology")
        )
        doctors = []
        for n in range(2):
            view = await staff_service.create_doctor(
                db,
                SYSTEM,
                staff_schemas.DoctorCreate(
                    username=f"dr{n}",
                    password=STRONG_PASSWORD,
                    full_name=f"Doctor {n}",
                    email=f"dr{n}@example.org",
                    department_id=department.id,
                    specialization="Cardiology",
                    consultation_fee=Decimal(10),
                    license_number=f"L{n}",
                ),
            )
            doctors.append(view.doctor.id)
        patients = []
        for n in range(2):
            patient = await patients_service.create(
                db,
                SYSTEM,
                given_name="Pat",
                family_name=f"Number{n}",
                date_of_birth=date(1980, 1, 1),
                sex="other",
            )
            patients.append(patient.id)
    return department.id, doctors, patients


def _row(department_id, doctor_id, patient_id, start, minutes=30, status="booked"):
    return Appointment(
        patient_id=patient_id,
        doctor_id=doctor_id,
        department_id=department_id,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        status=status,
    )


async def _insert(app, *rows):
    async with session_scope(app.state.sessionmaker) as db:
        db.add_all(rows)


async def test_the_database_refuses_a_doctor_double_booking(app):
    dept, (d1, _d2), (p1, p2) = await _clinic(app)
    await _insert(app, _row(dept, d1, p1, START))
    with pytest.raises(IntegrityError, match="overlap"):
        await _insert(app, _row(dept, d1, p2, START + timedelta(minutes=15)))


async def test_the_database_refuses_a_patient_in_two_places_at_once(app):
    dept, (d1, d2), (p1, _p2) = await _clinic(app)
    await _insert(app, _row(dept, d1, p1, START))
    with pytest.raises(IntegrityError, match="overlap"):
        await _insert(app, _row(dept, d2, p1, START))


async def test_cancelled_visits_do_not_hold_time_and_back_to_back_visits_are_fine(app):
    dept, (d1, _d2), (p1, p2) = await _clinic(app)
    await _insert(app, _row(dept, d1, p1, START, status="cancelled"))
    await _insert(app, _row(dept, d1, p2, START))  # the cancelled slot is free again
    await _insert(app, _row(dept, d1, p1, START + timedelta(minutes=30)))  # touching, no overlap


async def test_reviving_a_cancelled_visit_over_a_new_booking_is_refused(app):
    dept, (d1, _d2), (p1, p2) = await _clinic(app)
    cancelled = _row(dept, d1, p1, START, status="cancelled")
    await _insert(app, cancelled, _row(dept, d1, p2, START))
    async with app.state.sessionmaker() as db:
        row = await db.get(Appointment, cancelled.id)
        row.status = "booked"
        with pytest.raises(IntegrityError, match="overlap"):
            await db.flush()
        await db.rollback()
