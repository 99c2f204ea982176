"""One allergy list: what the front desk (or the patient online) is told at registration
joins the chart's structured list, unconfirmed until a clinician confirms it, and every
check reads it; "no known allergies" says who asked and when, apart from "not yet
recorded"; the free-text summary is gone."""

from __future__ import annotations

from tests.clinical.helpers import clinic
from tests.pharmacy.factories import item, medicine, try_prescribe
from tests.scheduling.factories import (
    book,
    code,
    doctor_headers,
    field_errors,
    iso,
    new_doctor,
    new_patient,
    new_patient_user,
    patient_body,
)

PENICILLIN = {"substance": "Penicillin", "reaction": "Hives", "severity": "severe"}


async def _doctor_for(client, admin, desk, patient_id) -> dict[str, str]:
    """A doctor the patient is booked with (so the chart is theirs to read)."""
    row = await new_doctor(client, admin)
    await book(client, desk, patient_id, iso(1, 9), row["id"])
    return await doctor_headers(client, row)


async def test_allergies_told_at_the_desk_are_entries_of_the_one_list(client, as_role):
    admin = await as_role("admin")
    desk = await as_role("receptionist", full_name="Rita Mendes")
    patient = await new_patient(client, desk, allergies=[PENICILLIN, {"substance": "Latex"}])
    doctor = await _doctor_for(client, admin, desk, patient["id"])

    response = await client.get(f"/api/v1/patients/{patient['id']}/allergies", headers=doctor)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "recorded" and body["total"] == 2
    entries = {a["substance"]: a for a in body["items"]}
    assert entries["Penicillin"]["reaction"] == "Hives"
    assert entries["Penicillin"]["severity"] == "severe"
    assert entries["Latex"]["severity"] == "unknown"  # the patient could not say
    for entry in entries.values():
        assert entry["verification"] == "unconfirmed" and entry["source"] == "registration"
        assert entry["recorded_by_name"] == "Rita Mendes" and entry["status"] == "active"


async def test_an_allergy_typed_at_registration_blocks_the_matching_prescription(client, as_role):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    pharmacist = await as_role("pharmacist")
    patient = await new_patient(client, desk, allergies=[PENICILLIN])
    doctor = await _doctor_for(client, admin, desk, patient["id"])
    amoxicillin = await medicine(client, pharmacist, "amoxicillin")
    paracetamol = await medicine(client, pharmacist, "paracetamol")

    blocked = await try_prescribe(client, doctor, patient["id"], item(amoxicillin["id"]))
    assert blocked.status_code == 409 and code(blocked) == "allergy_conflict"
    assert "Penicillin" in blocked.json()["detail"]
    fine = await try_prescribe(client, doctor, patient["id"], item(paracetamol["id"]))
    assert fine.status_code == 201, fine.text


async def test_no_known_allergies_is_recorded_with_who_and_when_apart_from_not_asked(
    client, as_role
):
    admin = await as_role("admin")
    desk = await as_role("receptionist", full_name="Rita Mendes")
    asked = await new_patient(client, desk, no_known_allergies=True)
    not_asked = await new_patient(client, desk)
    for patient, state in ((asked, "no_known_allergies"), (not_asked, "not_recorded")):
        doctor = await _doctor_for(client, admin, desk, patient["id"])
        body = (
            await client.get(f"/api/v1/patients/{patient['id']}/allergies", headers=doctor)
        ).json()
        assert body["items"] == [] and body["state"] == state
        assert body["no_known_allergies"] is (state == "no_known_allergies")
        if state == "no_known_allergies":
            assert body["assessment"]["assessed_by_name"] == "Rita Mendes"
            assert body["assessment"]["assessed_at"]
        else:
            assert body["assessment"]["assessed_by_name"] is None


async def test_the_free_text_summary_and_a_contradiction_are_refused_naming_the_field(
    client, as_role
):
    desk = await as_role("receptionist")
    old = await client.post(
        "/api/v1/patients", headers=desk, json=patient_body(allergies_summary="Penicillin")
    )
    assert old.status_code == 422 and "allergies_summary" in field_errors(old)
    both = await client.post(
        "/api/v1/patients",
        headers=desk,
        json=patient_body(allergies=[PENICILLIN], no_known_allergies=True),
    )
    assert both.status_code == 422 and "no_known_allergies" in field_errors(both)
    blank = await client.post(
        "/api/v1/patients", headers=desk, json=patient_body(allergies=[{"substance": ""}])
    )
    assert blank.status_code == 422 and "allergies.0.substance" in field_errors(blank)
    listed = await client.get("/api/v1/patients", headers=desk)
    assert listed.json()["total"] == 0  # nothing half-written


async def test_a_patient_registering_online_tells_their_allergies(client):
    headers, registered = await new_patient_user(client, allergies=[PENICILLIN])
    mine = await client.get(
        f"/api/v1/patients/{registered['patient_id']}/allergies", headers=headers
    )
    assert mine.status_code == 200, mine.text
    [entry] = mine.json()["items"]
    assert (entry["substance"], entry["verification"]) == ("Penicillin", "unconfirmed")


async def test_a_clinician_confirms_an_entry_and_none_known_is_refused_while_one_is_active(
    client, as_role
):
    c = await clinic(client, as_role)
    pid = c.patient["id"]
    url = f"/api/v1/patients/{pid}/allergies"
    none = await client.post(f"{url}/none-known", headers=c.nurse)
    assert none.status_code == 200 and none.json()["state"] == "no_known_allergies"
    added = await client.post(url, headers=c.doctor, json={"substance": "Codeine"})
    assert added.status_code == 201, added.text
    assert added.json()["verification"] == "confirmed"  # recorded by a clinician
    assert (await client.get(url, headers=c.doctor)).json()["state"] == "recorded"
    again = await client.post(f"{url}/none-known", headers=c.nurse)
    assert again.status_code == 409 and code(again) == "allergies_recorded"

    desk = await as_role("receptionist")
    told = await client.post(
        "/api/v1/patients", headers=desk, json=patient_body(allergies=[PENICILLIN])
    )
    await book(client, desk, told.json()["id"], iso(2, 9), c.doctor_row["id"])
    entry = (
        await client.get(f"/api/v1/patients/{told.json()['id']}/allergies", headers=c.doctor)
    ).json()["items"][0]
    confirmed = await client.patch(
        f"/api/v1/allergies/{entry['id']}", headers=c.doctor, json={"verification": "confirmed"}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["verification"] == "confirmed"
    assert confirmed.json()["verified_by_name"] == "Dr Ada Mensah"
    assert confirmed.json()["verified_at"]
