"""Migration 0013 gives every patient registered before it the E.164 form of their phone, so
the front desk finds them by the other way of writing the number too."""

from __future__ import annotations

import asyncio

from alembic import command

from openward.migrate import alembic_config
from tests.scheduling.factories import book, ids, iso, new_doctor, new_patient


async def test_patients_registered_before_the_migration_are_found_by_either_form_after_it(
    app, client, as_role, database_url
):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    national = await new_patient(client, desk, phone="07700 900777")
    international = await new_patient(client, desk, phone="+44 20 7946 0777")
    no_number = await new_patient(client, desk, phone="12")
    doctor = await new_doctor(client, admin)
    await book(client, desk, national["id"], iso(1, 10), doctor["id"])  # rows that refer to it

    config = alembic_config(database_url)
    await app.state.engine.dispose()  # no pooled connection may hold a lock on the table
    await asyncio.to_thread(command.downgrade, config, "0012")  # before phone_e164
    await asyncio.to_thread(command.upgrade, config, "head")

    for q, patient in [
        ("+44 7700 900777", national),
        ("07700 900777", national),
        ("020 7946 0777", international),
        ("0044 20 7946 0777", international),
    ]:
        response = await client.get("/api/v1/patients", headers=desk, params={"q": q})
        assert response.status_code == 200, response.text
        assert ids(response.json()["items"]) == [patient["id"]], q
    fetched = await client.get(f"/api/v1/patients/{no_number['id']}", headers=desk)
    assert fetched.status_code == 200 and fetched.json()["phone"] == "12"
