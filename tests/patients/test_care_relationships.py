"""Who may open a patient's record is decided by patients alone, from the care team and the
care relationships appointments feed: booking puts the doctor in the patient's care,
cancelling takes that reason away, and the migration gave every existing appointment its row."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import select

from openward.db import session_scope
from openward.migrate import alembic_config
from openward.patients.models import CareRelationship
from tests.scheduling.factories import act, book, code, doctor_headers, iso, new_doctor, new_patient


async def _doctor_sees(client, headers, patient_id) -> bool:
    record = await client.get(f"/api/v1/patients/{patient_id}", headers=headers)
    listed = await client.get("/api/v1/patients", headers=headers)
    assert listed.status_code == 200
    in_list = patient_id in [p["id"] for p in listed.json()["items"]]
    if record.status_code == 403:
        assert code(record) == "not_your_patient"
        assert not in_list
        return False
    assert record.status_code == 200, record.text
    assert in_list
    return True


async def test_a_booking_opens_the_record_to_its_doctor_and_cancelling_closes_it(client, as_role):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    headers = await doctor_headers(client, doctor)
    patient = await new_patient(client, desk)
    assert not await _doctor_sees(client, headers, patient["id"])

    first = await book(client, desk, patient["id"], iso(1, 9), doctor["id"])
    second = await book(client, desk, patient["id"], iso(2, 9), doctor["id"])
    assert await _doctor_sees(client, headers, patient["id"])

    assert (await act(client, desk, first["id"], "cancel")).status_code == 200
    assert await _doctor_sees(client, headers, patient["id"])  # the other visit still counts
    assert (await act(client, desk, second["id"], "cancel")).status_code == 200
    assert not await _doctor_sees(client, headers, patient["id"])

    # The care team is the other way in, and does not depend on any appointment.
    joined = await client.post(
        f"/api/v1/patients/{patient['id']}/care-team",
        headers=desk,
        json={"doctor_id": doctor["id"]},
    )
    assert joined.status_code in (200, 201), joined.text
    assert await _doctor_sees(client, headers, patient["id"])


async def test_the_migration_gives_every_existing_appointment_its_care_relationship(
    app, client, as_role, database_url
):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    patient = await new_patient(client, desk)
    kept = await book(client, desk, patient["id"], iso(1, 10), doctor["id"])
    cancelled = await book(client, desk, patient["id"], iso(1, 11), doctor["id"])
    assert (await act(client, desk, cancelled["id"], "cancel")).status_code == 200

    config = alembic_config(database_url)
    await app.state.engine.dispose()  # no pooled connection may hold a lock on the table
    await asyncio.to_thread(command.downgrade, config, "0006")  # before care relationships
    await asyncio.to_thread(command.upgrade, config, "head")

    async with session_scope(app.state.sessionmaker) as db:
        rows = {
            r.source_id: r
            for r in await db.scalars(
                select(CareRelationship).where(CareRelationship.patient_id == patient["id"])
            )
        }
    assert set(rows) == {kept["id"], cancelled["id"]}
    assert {r.source for r in rows.values()} == {"appointment"}
    assert {r.doctor_id for r in rows.values()} == {doctor["id"]}
    assert rows[kept["id"]].is_active and rows[kept["id"]].ended_at is None
    assert not rows[cancelled["id"]].is_active and rows[cancelled["id"]].ended_at is not None
    # The doctor keeps the access the appointment gave, through the migrated row.
    headers = await doctor_headers(client, doctor)
    assert await _doctor_sees(client, headers, patient["id"])
