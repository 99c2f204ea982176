"""Migration 0011 on a database written before it: free-text allergy summaries become
structured allergies (unconfirmed, from registration, the text kept), "nil" becomes "no known
allergies", and free-text treatment records become signed encounters marked as migrated,
their text verbatim and a free-text prescription kept as a note, never a medication order.
Nothing is lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from openward.migrate import alembic_config
from tests.pharmacy.factories import item, medicine, try_prescribe
from tests.scheduling.factories import (
    act,
    book,
    bring_to_its_day,
    doctor_headers,
    iso,
    new_doctor,
    new_patient,
)

SUMMARY = "Penicillin (anaphylaxis); latex, Sulfa drugs (rash)"
TREATMENT = {
    "diagnosis": "Community-acquired pneumonia, right lower lobe",
    "treatment_notes": "Chest X-ray in 6 weeks. Return if breathless.",
    "prescription": "Amoxicillin 500 mg three times daily for 7 days",
}


async def _visit(client, desk, doctor_row, patient, hour: int) -> dict:
    visit = await book(client, desk, patient["id"], iso(1, hour), doctor_row["id"])
    await bring_to_its_day(client, desk, visit["id"])
    checked_in = await act(client, desk, visit["id"], "check-in")
    assert checked_in.status_code == 200, checked_in.text
    return checked_in.json()


async def test_free_text_allergies_and_treatment_records_become_the_one_record(
    app, client, as_role, database_url
):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    doctor_row = await new_doctor(client, admin, full_name="Dr Ines Varga")
    doctor = await doctor_headers(client, doctor_row)
    allergic = await new_patient(client, desk, given_name="Olu")
    none_known = await new_patient(client, desk, given_name="Nia")
    visit = await _visit(client, desk, doctor_row, allergic, 9)
    with_encounter = await _visit(client, desk, doctor_row, allergic, 11)
    # The second visit already had a (draft) encounter when its treatment record was written.
    drafted = await client.post(
        "/api/v1/encounters",
        headers=doctor,
        json={
            "patient_id": allergic["id"],
            "appointment_id": with_encounter["id"],
            "chief_complaint": "Cough",
        },
    )
    assert drafted.status_code == 201, drafted.text

    config = alembic_config(database_url)
    await app.state.engine.dispose()
    await asyncio.to_thread(command.downgrade, config, "0010")  # before one record
    written = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    async with app.state.engine.begin() as conn:
        for patient_id, summary in ((allergic["id"], SUMMARY), (none_known["id"], "NKDA")):
            await conn.execute(
                text("UPDATE patients SET allergies_summary = :s WHERE id = :id"),
                {"s": summary, "id": patient_id},
            )
        for appointment in (visit, with_encounter):
            await conn.execute(
                text(
                    "INSERT INTO treatments (appointment_id, patient_id, doctor_id, diagnosis,"
                    " treatment_notes, prescription, next_visit_date, recorded_by, created_at)"
                    " VALUES (:a, :p, :d, :dx, :notes, :rx, NULL, NULL, :at)"
                ),
                {
                    "a": appointment["id"],
                    "p": allergic["id"],
                    "d": doctor_row["id"],
                    "dx": TREATMENT["diagnosis"],
                    "notes": TREATMENT["treatment_notes"],
                    "rx": TREATMENT["prescription"],
                    "at": written,
                },
            )
        await conn.execute(
            text("UPDATE appointments SET status = 'completed' WHERE id = :id"), {"id": visit["id"]}
        )
    await app.state.engine.dispose()
    await asyncio.to_thread(command.upgrade, config, "head")

    allergies = await client.get(f"/api/v1/patients/{allergic['id']}/allergies", headers=doctor)
    assert allergies.status_code == 200, allergies.text
    body = allergies.json()
    entries = {a["substance"]: a for a in body["items"]}
    assert set(entries) == {"Penicillin", "latex", "Sulfa drugs"}
    assert entries["Penicillin"]["reaction"] == "anaphylaxis"
    assert entries["Sulfa drugs"]["reaction"] == "rash"
    for entry in entries.values():
        assert entry["status"] == "active" and entry["severity"] == "unknown"
        assert entry["verification"] == "unconfirmed" and entry["source"] == "registration"
        assert entry["source_text"] == SUMMARY  # the free text, verbatim
    assert body["state"] == "recorded"
    # "NKDA" became "no known allergies" (the doctor reads it once the patient is booked).
    await book(client, desk, none_known["id"], iso(2, 9), doctor_row["id"])
    nil = await client.get(f"/api/v1/patients/{none_known['id']}/allergies", headers=doctor)
    assert nil.json()["items"] == [] and nil.json()["state"] == "no_known_allergies"

    # The prescribing check reads the migrated list: penicillin of unknown severity blocks
    # amoxicillin until the doctor confirms it or gives a reason.
    pharmacist = await as_role("pharmacist")
    amoxicillin = await medicine(client, pharmacist, "amoxicillin")
    blocked = await try_prescribe(client, doctor, allergic["id"], item(amoxicillin["id"]))
    assert blocked.status_code == 409 and blocked.json()["code"] == "allergy_conflict"
    assert "Penicillin" in blocked.json()["detail"]

    history = await client.get(f"/api/v1/patients/{allergic['id']}/history", headers=doctor)
    items = {i["id"]: i for i in history.json()["items"]}
    migrated = items[visit["id"]]["encounter"]
    assert migrated["origin"] == "migrated" and migrated["status"] == "signed"
    assert migrated["assessment"] == TREATMENT["diagnosis"]
    assert migrated["plan"] == TREATMENT["treatment_notes"]
    assert migrated["prescription_note"] == TREATMENT["prescription"]
    assert migrated["prescriptions"] == []  # a note, never a medication order
    assert items[visit["id"]]["status"] == "completed"
    prescriptions = await client.get(
        "/api/v1/prescriptions", headers=doctor, params={"patient_id": allergic["id"]}
    )
    assert prescriptions.status_code == 200 and prescriptions.json()["total"] == 0

    # The visit that already had an encounter keeps it; the treatment record is an amendment.
    kept = await client.get(f"/api/v1/encounters/{drafted.json()['id']}", headers=doctor)
    [amendment] = kept.json()["amendments"]
    for value in TREATMENT.values():
        assert value in amendment["text"]

    exported = await client.get(f"/api/v1/patients/{allergic['id']}/treatments.csv", headers=doctor)
    assert TREATMENT["diagnosis"] in exported.text and TREATMENT["prescription"] in exported.text
