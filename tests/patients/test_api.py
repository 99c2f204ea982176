"""Patient records through /api/v1: registration at the front desk with an MRN and a duplicate
check, search, changes that are audited, the patient's own view, what a doctor may read,
the care team, and the history with its CSV export."""

from __future__ import annotations

import csv
import io
import json
import re

from openward.patients.mrn import format_mrn, is_valid_mrn
from tests.scheduling.factories import (
    ENCOUNTER,
    at,
    book,
    code,
    complete,
    doctor_headers,
    field_errors,
    ids,
    local_day,
    new_doctor,
    new_patient,
    new_patient_user,
    patient_body,
)

JOSE = {
    "given_name": "José",
    "family_name": "García",
    "date_of_birth": "1971-06-02",
    "sex": "male",
    "phone": "+34 600 123 456",
}

FULL_RECORD = {
    "given_name": "Amara",
    "family_name": "Okafor",
    "date_of_birth": "1990-11-23",
    "sex": "female",
    "phone": "+44 20 7946 0123",
    "email": "amara.okafor@example.org",
    "address": "12 Harley Street, London",
    "blood_group": "O+",
    "national_id": "QQ123456C",
    "emergency_contact_name": "Chidi Okafor",
    "emergency_contact_phone": "+44 20 7946 0124",
    "notes": "Prefers morning appointments",
}
TOLD = [{"substance": "Penicillin", "reaction": "Hives", "severity": "severe"}]


async def _search(client, headers, q: str, **params) -> dict:
    response = await client.get("/api/v1/patients", headers=headers, params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def _audit(client, admin, **params) -> list[dict]:
    response = await client.get("/api/v1/audit", headers=admin, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


# ---------------------------------------------------------------- create


async def test_registering_a_patient_returns_201_with_every_field_and_a_valid_mrn(client, as_role):
    receptionist = await as_role("receptionist")
    response = await client.post(
        "/api/v1/patients", headers=receptionist, json={**FULL_RECORD, "allergies": TOLD}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["id"], int)
    assert re.fullmatch(r"\d{10}", body["mrn"]), body["mrn"]
    assert is_valid_mrn(body["mrn"])
    assert {k: body[k] for k in FULL_RECORD} == FULL_RECORD
    assert body["full_name"] == "Amara Okafor"
    assert body["is_active"] is True and body["deactivated_reason"] is None

    fetched = await client.get(f"/api/v1/patients/{body['id']}", headers=receptionist)
    assert fetched.status_code == 200 and fetched.json()["mrn"] == body["mrn"]


async def test_every_patient_gets_a_different_mrn(client, as_role):
    nurse = await as_role("nurse")
    mrns = {(await new_patient(client, nurse))["mrn"] for _ in range(5)}
    assert len(mrns) == 5 and all(is_valid_mrn(m) for m in mrns)


async def test_a_date_of_birth_in_the_future_returns_422_naming_date_of_birth(client, as_role):
    receptionist = await as_role("receptionist")
    body = patient_body(date_of_birth=local_day(30).isoformat())
    response = await client.post("/api/v1/patients", headers=receptionist, json=body)
    assert response.status_code == 422
    assert "date_of_birth" in field_errors(response)


async def test_an_unknown_blood_group_or_sex_returns_422_naming_the_field(client, as_role):
    receptionist = await as_role("receptionist")
    for change, field in [({"blood_group": "C+"}, "blood_group"), ({"sex": "robot"}, "sex")]:
        response = await client.post(
            "/api/v1/patients", headers=receptionist, json=patient_body(**change)
        )
        assert response.status_code == 422, change
        assert field in field_errors(response), change


async def test_same_name_and_birth_date_returns_409_possible_duplicate_listing_the_match(
    client, as_role
):
    receptionist = await as_role("receptionist")
    first = await new_patient(client, receptionist, **JOSE)
    again = {**JOSE, "phone": None}
    response = await client.post("/api/v1/patients", headers=receptionist, json=again)
    assert response.status_code == 409 and code(response) == "possible_duplicate"
    duplicates = response.json()["duplicates"]
    assert ids(duplicates) == [first["id"]]
    assert duplicates[0]["mrn"] == first["mrn"] and duplicates[0]["full_name"] == "José García"
    listed = await _search(client, receptionist, "garcia")
    assert listed["total"] == 1

    saved = await client.post(
        "/api/v1/patients", headers=receptionist, json={**again, "allow_duplicate": True}
    )
    assert saved.status_code == 201, saved.text
    assert saved.json()["id"] != first["id"] and saved.json()["mrn"] != first["mrn"]
    assert (await _search(client, receptionist, "garcia"))["total"] == 2


async def test_the_same_phone_in_another_format_returns_409_possible_duplicate(client, as_role):
    receptionist = await as_role("receptionist")
    first = await new_patient(client, receptionist, phone="+44 20 7946 0555")
    response = await client.post(
        "/api/v1/patients",
        headers=receptionist,
        json=patient_body(given_name="Other", phone="+44 (20) 7946-0555"),
    )
    assert response.status_code == 409 and code(response) == "possible_duplicate"
    assert ids(response.json()["duplicates"]) == [first["id"]]


async def test_the_duplicates_endpoint_shows_matches_before_saving(client, as_role):
    receptionist = await as_role("receptionist")
    first = await new_patient(client, receptionist, **JOSE)
    await new_patient(client, receptionist)
    response = await client.get(
        "/api/v1/patients/duplicates",
        headers=receptionist,
        params={"given_name": "José", "family_name": "García", "date_of_birth": "1971-06-02"},
    )
    assert response.status_code == 200, response.text
    assert ids(response.json()["items"]) == [first["id"]]


async def test_a_taken_national_id_returns_409_national_id_taken_even_when_duplicates_allowed(
    client, as_role
):
    receptionist = await as_role("receptionist")
    await new_patient(client, receptionist, national_id="AB123456C")
    for allow in (False, True):
        response = await client.post(
            "/api/v1/patients",
            headers=receptionist,
            json=patient_body(national_id="AB123456C", allow_duplicate=allow),
        )
        assert response.status_code == 409 and code(response) == "national_id_taken", allow
    assert (await _search(client, receptionist, "AB123456C"))["total"] == 1


async def test_doctors_and_patients_cannot_register_patients_403_permission_denied(client, as_role):
    for role in ("doctor", "patient", "pharmacist"):
        headers = await as_role(role)
        response = await client.post("/api/v1/patients", headers=headers, json=patient_body())
        assert response.status_code == 403 and code(response) == "permission_denied", role


async def test_an_unknown_patient_returns_404_patient_not_found(client, as_role):
    nurse = await as_role("nurse")
    response = await client.get("/api/v1/patients/999999", headers=nurse)
    assert response.status_code == 404 and code(response) == "patient_not_found"


# ---------------------------------------------------------------- search


async def test_search_finds_name_fragments_in_any_order_ignoring_case_and_accents(client, as_role):
    receptionist = await as_role("receptionist")
    jose = await new_patient(client, receptionist, **JOSE)
    await new_patient(client, receptionist, given_name="Maria", family_name="Lopez")
    for q in ("garcia jose", "José García", "JOSE GAR", "gar jos", "García"):
        found = await _search(client, receptionist, q)
        assert ids(found["items"]) == [jose["id"]], q
        assert found["total"] == 1, q
    assert (await _search(client, receptionist, "garcia maria"))["total"] == 0


async def test_search_finds_a_patient_by_mrn_with_or_without_dashes(client, as_role):
    receptionist = await as_role("receptionist")
    patient = await new_patient(client, receptionist)
    await new_patient(client, receptionist)
    for q in (patient["mrn"], format_mrn(patient["mrn"])):
        found = await _search(client, receptionist, q)
        assert ids(found["items"])[0] == patient["id"], q
        assert found["total"] == 1, q


async def test_search_finds_a_patient_by_phone_digits(client, as_role):
    receptionist = await as_role("receptionist")
    patient = await new_patient(client, receptionist, phone="+44 20 7946 0958")
    await new_patient(client, receptionist, phone="+44 20 7946 0111")
    for q in ("442079460958", "+44 20 7946 0958", "+44-20-7946-0958"):
        found = await _search(client, receptionist, q)
        assert ids(found["items"]) == [patient["id"]], q


async def test_search_finds_a_patient_by_national_id(client, as_role):
    receptionist = await as_role("receptionist")
    patient = await new_patient(client, receptionist, national_id="ZX987654A")
    await new_patient(client, receptionist, national_id="ZX111111A")
    found = await _search(client, receptionist, "ZX987654A")
    assert ids(found["items"]) == [patient["id"]]


async def test_search_puts_the_best_match_first(client, as_role):
    receptionist = await as_role("receptionist")
    partial = await new_patient(client, receptionist, given_name="Anabel", family_name="Silvano")
    exact = await new_patient(client, receptionist, given_name="Ana", family_name="Silva")
    found = await _search(client, receptionist, "ana silva")
    assert ids(found["items"])[0] == exact["id"]
    assert partial["id"] in ids(found["items"])


async def test_search_rows_are_brief_and_paged(client, as_role):
    receptionist = await as_role("receptionist")
    for index in range(3):
        await new_patient(client, receptionist, given_name="Pager", family_name=f"Family{index}")
    first_page = await _search(client, receptionist, "pager", limit=2, offset=0)
    second_page = await _search(client, receptionist, "pager", limit=2, offset=2)
    assert first_page["total"] == 3 and len(first_page["items"]) == 2
    assert len(second_page["items"]) == 1
    assert not set(ids(first_page["items"])) & set(ids(second_page["items"]))
    row = first_page["items"][0]
    assert set(row) >= {
        "id",
        "mrn",
        "full_name",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "phone",
        "is_active",
    }
    assert "notes" not in row and "allergies_summary" not in row


# ---------------------------------------------------------------- change and deactivate


async def test_changing_a_patient_is_audited_with_the_fields_changed(client, as_role):
    receptionist = await as_role("receptionist")
    admin = await as_role("admin")
    patient = await new_patient(client, receptionist, phone="+44 20 7946 0001")
    response = await client.patch(
        f"/api/v1/patients/{patient['id']}",
        headers=receptionist,
        json={"phone": "+44 20 7946 0002", "address": "3 New Road", "given_name": "Test"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "+44 20 7946 0002"
    assert response.json()["address"] == "3 New Road"
    assert response.json()["family_name"] == patient["family_name"]

    events = await _audit(client, admin, action="patient.update", patient_id=patient["id"])
    assert len(events) == 1
    fields = events[0]["detail"]["fields"]
    assert set(fields) >= {"phone", "address"}
    assert "family_name" not in fields and "date_of_birth" not in fields
    assert "given_name" not in fields  # sent, but the same as before


async def test_changing_the_national_id_to_a_taken_one_returns_409_national_id_taken(
    client, as_role
):
    receptionist = await as_role("receptionist")
    await new_patient(client, receptionist, national_id="NI-1")
    other = await new_patient(client, receptionist)
    response = await client.patch(
        f"/api/v1/patients/{other['id']}", headers=receptionist, json={"national_id": "NI-1"}
    )
    assert response.status_code == 409 and code(response) == "national_id_taken"


async def test_a_deactivated_patient_is_hidden_from_search_unless_asked_for(client, as_role):
    receptionist = await as_role("receptionist")
    patient = await new_patient(client, receptionist, given_name="Gone", family_name="Away")
    response = await client.post(
        f"/api/v1/patients/{patient['id']}/deactivate",
        headers=receptionist,
        json={"reason": "Registered twice"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert response.json()["deactivated_reason"] == "Registered twice"
    assert (await _search(client, receptionist, "gone away"))["total"] == 0
    everything = await _search(client, receptionist, "gone away", include_inactive=True)
    assert ids(everything["items"]) == [patient["id"]]
    assert everything["items"][0]["is_active"] is False


# ---------------------------------------------------------------- the patient's own record


async def test_a_patient_sees_their_own_record_at_me_patient(client):
    headers, registered = await new_patient_user(client, "paula")
    response = await client.get("/api/v1/me/patient", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == registered["patient_id"]
    assert body["mrn"].replace("-", "") == registered["mrn"]
    assert body["date_of_birth"] == "1984-03-14"


async def test_a_patient_changes_their_contact_details_at_me_patient(client):
    headers, _ = await new_patient_user(client, "paula")
    change = {
        "phone": "+44 20 7946 0777",
        "email": "paula.new@example.org",
        "address": "5 Elm Close",
        "emergency_contact_name": "Franz Fischer",
        "emergency_contact_phone": "+44 20 7946 0778",
    }
    response = await client.patch("/api/v1/me/patient", headers=headers, json=change)
    assert response.status_code == 200, response.text
    body = (await client.get("/api/v1/me/patient", headers=headers)).json()
    assert {k: body[k] for k in change} == change


async def test_a_patient_cannot_change_their_name_or_birth_date_422(client):
    headers, _ = await new_patient_user(client, "paula")
    for change, field in [
        ({"given_name": "Pauline"}, "given_name"),
        ({"date_of_birth": "1990-01-01"}, "date_of_birth"),
        ({"allergies": []}, "allergies"),
    ]:
        response = await client.patch("/api/v1/me/patient", headers=headers, json=change)
        assert response.status_code == 422, change
        assert field in field_errors(response), change
    body = (await client.get("/api/v1/me/patient", headers=headers)).json()
    assert body["date_of_birth"] == "1984-03-14" and body["given_name"] != "Pauline"


async def test_a_patient_cannot_read_another_patients_record_403(client, as_role):
    receptionist = await as_role("receptionist")
    other = await new_patient(client, receptionist)
    headers, _ = await new_patient_user(client, "paula")
    response = await client.get(f"/api/v1/patients/{other['id']}", headers=headers)
    assert response.status_code == 403 and code(response) == "permission_denied"
    listing = await client.get("/api/v1/patients", headers=headers)
    assert listing.status_code == 403
    history = await client.get(f"/api/v1/patients/{other['id']}/history", headers=headers)
    assert history.status_code == 403


async def test_staff_have_no_me_patient_record(client, as_role):
    nurse = await as_role("nurse")
    response = await client.get("/api/v1/me/patient", headers=nurse)
    assert response.status_code == 403 and code(response) == "permission_denied"


# ---------------------------------------------------------------- doctors and their patients


async def test_a_doctor_cannot_read_a_patient_who_is_not_theirs_403_not_your_patient(
    client, as_role
):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    doctor = await doctor_headers(client, await new_doctor(client, admin))
    patient = await new_patient(client, nurse)
    response = await client.get(f"/api/v1/patients/{patient['id']}", headers=doctor)
    assert response.status_code == 403 and code(response) == "not_your_patient"
    history = await client.get(f"/api/v1/patients/{patient['id']}/history", headers=doctor)
    assert history.status_code == 403 and code(history) == "not_your_patient"


async def test_break_the_glass_lets_a_doctor_read_any_patient_and_is_audited(client, as_role):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    doctor_profile = await new_doctor(client, admin)
    doctor = await doctor_headers(client, doctor_profile)
    patient = await new_patient(client, nurse)
    reason = "Unconscious in A&E, need allergies"
    response = await client.get(
        f"/api/v1/patients/{patient['id']}",
        headers={**doctor, "X-Break-Glass-Reason": reason},
    )
    assert response.status_code == 200, response.text
    assert response.json()["mrn"] == patient["mrn"]

    events = await _audit(client, admin, action="patient.break_glass", patient_id=patient["id"])
    assert len(events) == 1
    assert events[0]["actor_username"] == doctor_profile["username"]
    assert reason in (events[0]["reason"] or "") + json.dumps(events[0]["detail"] or {})


async def test_a_doctor_reads_patients_on_their_care_team(client, as_role):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    profile = await new_doctor(client, admin, specialization="Cardiology")
    doctor = await doctor_headers(client, profile)
    patient = await new_patient(client, nurse)

    added = await client.post(
        f"/api/v1/patients/{patient['id']}/care-team",
        headers=nurse,
        json={"doctor_id": profile["id"]},
    )
    assert added.status_code == 201, added.text
    [member] = added.json()["items"]
    assert member["doctor_id"] == profile["id"]
    assert member["doctor_name"] == profile["full_name"]
    assert member["department_name"] == profile["department_name"]
    assert member["specialization"] == "Cardiology" and member["assigned_at"]

    read = await client.get(f"/api/v1/patients/{patient['id']}", headers=doctor)
    assert read.status_code == 200, read.text
    listed = await client.get(f"/api/v1/patients/{patient['id']}/care-team", headers=doctor)
    assert [m["doctor_id"] for m in listed.json()["items"]] == [profile["id"]]


async def test_removing_a_doctor_from_the_care_team_ends_their_access(client, as_role):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    profile = await new_doctor(client, admin)
    other = await new_doctor(client, admin)
    doctor = await doctor_headers(client, profile)
    patient = await new_patient(client, nurse)
    for doctor_id in (profile["id"], other["id"]):
        added = await client.post(
            f"/api/v1/patients/{patient['id']}/care-team",
            headers=nurse,
            json={"doctor_id": doctor_id},
        )
        assert added.status_code == 201, added.text
    assert len(added.json()["items"]) == 2

    removed = await client.delete(
        f"/api/v1/patients/{patient['id']}/care-team/{profile['id']}", headers=nurse
    )
    assert removed.status_code == 200, removed.text
    assert [m["doctor_id"] for m in removed.json()["items"]] == [other["id"]]
    read = await client.get(f"/api/v1/patients/{patient['id']}", headers=doctor)
    assert read.status_code == 403 and code(read) == "not_your_patient"


async def test_a_doctor_adds_colleagues_to_their_patients_care_team_not_themself_to_strangers(
    client, as_role
):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    profile = await new_doctor(client, admin)
    colleague = await new_doctor(client, admin)
    doctor = await doctor_headers(client, profile)
    mine = await new_patient(client, receptionist)
    stranger = await new_patient(client, receptionist)
    await book(client, receptionist, mine["id"], at(1, 9), profile["id"])

    added = await client.post(
        f"/api/v1/patients/{mine['id']}/care-team",
        headers=doctor,
        json={"doctor_id": colleague["id"]},
    )
    assert added.status_code == 201, added.text
    assert [m["doctor_id"] for m in added.json()["items"]] == [colleague["id"]]

    refused = await client.post(
        f"/api/v1/patients/{stranger['id']}/care-team",
        headers=doctor,
        json={"doctor_id": profile["id"]},
    )
    assert refused.status_code == 403 and code(refused) == "not_your_patient"
    still = await client.get(f"/api/v1/patients/{stranger['id']}", headers=doctor)
    assert still.status_code == 403


async def test_a_doctors_patient_list_is_their_care_team_and_appointment_patients(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    profile = await new_doctor(client, admin)
    doctor = await doctor_headers(client, profile)
    followed = await new_patient(client, receptionist, given_name="Followed")
    booked = await new_patient(client, receptionist, given_name="Booked")
    stranger = await new_patient(client, receptionist, given_name="Stranger")
    added = await client.post(
        f"/api/v1/patients/{followed['id']}/care-team",
        headers=receptionist,
        json={"doctor_id": profile["id"]},
    )
    assert added.status_code == 201, added.text
    await book(client, receptionist, booked["id"], at(1, 9), profile["id"])

    listing = await client.get("/api/v1/patients", headers=doctor)
    assert listing.status_code == 200, listing.text
    assert set(ids(listing.json()["items"])) == {followed["id"], booked["id"]}
    assert listing.json()["total"] == 2
    assert (await client.get(f"/api/v1/patients/{booked['id']}", headers=doctor)).status_code == 200
    stranger_read = await client.get(f"/api/v1/patients/{stranger['id']}", headers=doctor)
    assert stranger_read.status_code == 403

    everyone = await client.get("/api/v1/patients", headers=receptionist)
    assert everyone.json()["total"] == 3


# ---------------------------------------------------------------- history and export


async def test_history_lists_visits_newest_first_with_their_encounter(client, as_role):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    profile = await new_doctor(client, admin)
    doctor = await doctor_headers(client, profile)
    patient = await new_patient(client, nurse)
    earlier = await book(client, nurse, patient["id"], at(1, 9), profile["id"])
    later = await book(client, nurse, patient["id"], at(3, 10), profile["id"])
    await complete(client, nurse, doctor, earlier["id"])

    response = await client.get(f"/api/v1/patients/{patient['id']}/history", headers=doctor)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["patient"]["id"] == patient["id"] and body["patient"]["mrn"] == patient["mrn"]
    assert body["total"] == 2
    assert ids(body["items"]) == [later["id"], earlier["id"]]
    assert body["items"][0]["status"] == "booked" and body["items"][0]["encounter"] is None
    record = body["items"][1]["encounter"]
    assert body["items"][1]["status"] == "completed"
    assert record["status"] == "signed" and record["origin"] == "recorded"
    assert [(d["code"], d["primary"]) for d in record["diagnoses"]] == [("J30.1", True)]
    assert record["assessment"] == ENCOUNTER["assessment"]
    assert record["plan"] == ENCOUNTER["plan"]
    assert record["prescriptions"] == [] and record["prescription_note"] is None
    assert record["signed_at"] and record["signed_by_name"] == profile["full_name"]


async def test_a_patient_reads_their_own_history(client, as_role):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    profile = await new_doctor(client, admin)
    headers, registered = await new_patient_user(client, "paula")
    visit = await book(client, nurse, registered["patient_id"], at(1, 11), profile["id"])
    await complete(client, nurse, await doctor_headers(client, profile), visit["id"])
    response = await client.get(
        f"/api/v1/patients/{registered['patient_id']}/history", headers=headers
    )
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["id"] == visit["id"]
    assert item["encounter"]["assessment"] == ENCOUNTER["assessment"]


async def test_treatments_csv_has_the_header_and_a_row_per_visit(client, as_role):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    profile = await new_doctor(client, admin)
    doctor = await doctor_headers(client, profile)
    patient = await new_patient(client, nurse)
    visit = await book(client, nurse, patient["id"], at(1, 9), profile["id"], reason="Hay fever")
    await complete(client, nurse, doctor, visit["id"])

    response = await client.get(f"/api/v1/patients/{patient['id']}/treatments.csv", headers=nurse)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers.get("content-disposition", "")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "date",
        "time",
        "doctor",
        "department",
        "status",
        "reason",
        "diagnoses",
        "assessment",
        "plan",
        "prescriptions",
        "next_visit_date",
        "encounter",
    ]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["date"] == local_day(0).isoformat()  # seen on its day (moved to today)
    assert row["time"].startswith("09:00")
    assert row["doctor"] == profile["full_name"]
    assert row["department"] == profile["department_name"]
    assert row["status"] == "completed" and row["reason"] == "Hay fever"
    assert row["diagnoses"] == "J30.1 Allergic rhinitis due to pollen"
    assert row["assessment"] == ENCOUNTER["assessment"] and row["plan"] == ENCOUNTER["plan"]
    assert row["encounter"].startswith("signed #")
