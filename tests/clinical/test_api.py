"""The clinical record's JSON contract: encounters with ICD-10 diagnoses, signing and
amendments, vital signs with BMI and flags, allergies, problems, care plans, and access."""

from __future__ import annotations

from openward.core import audit
from openward.db import session_scope
from tests.clinical.helpers import clinic, encounter_body, open_encounter
from tests.scheduling.factories import code, field_errors, new_patient_user

# ---------------------------------------------------------------- ICD-10


async def test_icd10_search_finds_codes_by_words_and_by_code(client, as_role):
    nurse = await as_role("nurse")

    async def codes(q: str, limit: int = 20) -> list[str]:
        response = await client.get("/api/v1/icd10", headers=nurse, params={"q": q, "limit": limit})
        assert response.status_code == 200, response.text
        return [item["code"] for item in response.json()["items"]]

    assert any(c.startswith("E11.") for c in await codes("diabetes"))
    by_code = await client.get("/api/v1/icd10", headers=nurse, params={"q": "E11"})
    first = by_code.json()["items"][0]
    assert first == {"code": "E11", "description": "Type 2 diabetes mellitus", "billable": False}
    assert (await codes("hyperlipid"))[0] == "E78.5"
    assert (await codes("e785"))[0] == "E78.5"
    assert len(await codes("disease", limit=5)) == 5


async def test_icd10_search_is_for_staff_only(client, as_role):
    patient = await as_role("patient")
    response = await client.get("/api/v1/icd10", headers=patient, params={"q": "asthma"})
    assert response.status_code == 403


# ---------------------------------------------------------------- encounters


async def test_a_doctor_opens_an_encounter_from_their_appointment(client, as_role):
    c = await clinic(client, as_role)
    body = await open_encounter(client, c.doctor, c.patient["id"], c.appointment["id"])
    assert body["status"] == "draft"
    assert body["appointment_id"] == c.appointment["id"]
    assert body["doctor_name"] == "Dr Ada Mensah"
    assert body["diagnoses"] == [
        {"code": "E78.5", "description": "Hyperlipidaemia, unspecified", "primary": True},
        {"code": "I10", "description": "Essential (primary) hypertension", "primary": False},
    ]


async def test_codes_are_made_canonical_and_the_first_becomes_primary(client, as_role):
    c = await clinic(client, as_role)
    body = await open_encounter(
        client, c.doctor, c.patient["id"], diagnoses=[{"code": "e119"}, {"code": "I10"}]
    )
    assert [(d["code"], d["primary"]) for d in body["diagnoses"]] == [
        ("E11.9", True),
        ("I10", False),
    ]


async def test_an_unknown_icd10_code_is_refused_naming_it(client, as_role):
    c = await clinic(client, as_role)
    response = await client.post(
        "/api/v1/encounters",
        headers=c.doctor,
        json=encounter_body(c.patient["id"], diagnoses=[{"code": "I10"}, {"code": "X99.99"}]),
    )
    assert response.status_code == 422
    assert code(response) == "unknown_icd10_code"
    assert "X99.99" in field_errors(response)["diagnoses.1.code"]


async def test_two_primary_diagnoses_are_refused(client, as_role):
    c = await clinic(client, as_role)
    response = await client.post(
        "/api/v1/encounters",
        headers=c.doctor,
        json=encounter_body(
            c.patient["id"],
            diagnoses=[{"code": "I10", "primary": True}, {"code": "E78.5", "primary": True}],
        ),
    )
    assert response.status_code == 422
    assert "diagnoses" in field_errors(response)


async def test_one_encounter_per_appointment(client, as_role):
    c = await clinic(client, as_role)
    await open_encounter(client, c.doctor, c.patient["id"], c.appointment["id"])
    again = await client.post(
        "/api/v1/encounters",
        headers=c.doctor,
        json=encounter_body(c.patient["id"], c.appointment["id"]),
    )
    assert again.status_code == 409
    assert code(again) == "encounter_exists"


async def test_an_appointment_must_be_the_patients_and_the_doctors_own(client, as_role):
    c = await clinic(client, as_role)
    other_patient = await client.post(
        "/api/v1/patients",
        headers=c.nurse,
        json={
            "given_name": "Ola",
            "family_name": "Berg",
            "date_of_birth": "1970-02-02",
            "sex": "male",
        },
    )
    wrong_patient = await client.post(
        "/api/v1/encounters",
        headers=c.doctor,
        json=encounter_body(other_patient.json()["id"], c.appointment["id"]),
    )
    # The doctor has no relationship with the other patient at all: refused before anything.
    assert wrong_patient.status_code == 403
    wrong_doctor = await client.post(
        "/api/v1/encounters",
        headers={**c.stranger, "X-Break-Glass-Reason": "Covering the clinic today"},
        json=encounter_body(c.patient["id"], c.appointment["id"]),
    )
    assert wrong_doctor.status_code == 403
    assert code(wrong_doctor) == "not_your_appointment"


async def test_signed_encounters_are_amended_not_edited(client, as_role):
    c = await clinic(client, as_role)
    encounter = await open_encounter(client, c.doctor, c.patient["id"], c.appointment["id"])
    url = f"/api/v1/encounters/{encounter['id']}"
    early_amendment = await client.post(f"{url}/amendments", headers=c.doctor, json={"text": "x y"})
    assert early_amendment.status_code == 409
    edited = await client.patch(
        url, headers=c.doctor, json={"assessment": "Familial hyperlipidaemia"}
    )
    assert edited.status_code == 200 and edited.json()["assessment"] == "Familial hyperlipidaemia"
    signed = await client.post(f"{url}/sign", headers=c.doctor)
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed" and signed.json()["signed_by_name"]
    refused = await client.patch(url, headers=c.doctor, json={"plan": "Changed my mind"})
    assert refused.status_code == 409
    assert code(refused) == "encounter_signed"
    twice = await client.post(f"{url}/sign", headers=c.doctor)
    assert code(twice) == "invalid_transition"
    amended = await client.post(
        f"{url}/amendments", headers=c.doctor, json={"text": "LDL result 5.9 mmol/L arrived."}
    )
    assert amended.status_code == 201
    assert amended.json()["author_name"] == "Dr Ada Mensah"
    shown = (await client.get(url, headers=c.nurse)).json()
    assert shown["assessment"] == "Familial hyperlipidaemia"  # the signed text is unchanged
    assert [a["text"] for a in shown["amendments"]] == ["LDL result 5.9 mmol/L arrived."]


async def test_only_the_author_edits_or_signs_a_draft(client, as_role):
    c = await clinic(client, as_role)
    encounter = await open_encounter(client, c.doctor, c.patient["id"])
    url = f"/api/v1/encounters/{encounter['id']}"
    glass = {**c.stranger, "X-Break-Glass-Reason": "Covering the clinic today"}
    assert (await client.get(url, headers=glass)).status_code == 200
    edit = await client.patch(url, headers=glass, json={"plan": "Mine now"})
    assert edit.status_code in (403, 409)
    sign = await client.post(f"{url}/sign", headers=glass)
    assert code(sign) in ("not_encounter_author", "not_your_patient")


async def test_diagnoses_can_be_replaced_on_a_draft(client, as_role):
    c = await clinic(client, as_role)
    encounter = await open_encounter(client, c.doctor, c.patient["id"])
    response = await client.patch(
        f"/api/v1/encounters/{encounter['id']}",
        headers=c.doctor,
        json={"diagnoses": [{"code": "J45.9", "primary": True}]},
    )
    assert [d["code"] for d in response.json()["diagnoses"]] == ["J45.9"]
    bad = await client.patch(
        f"/api/v1/encounters/{encounter['id']}",
        headers=c.doctor,
        json={"diagnoses": [{"code": "NOPE"}]},
    )
    assert bad.status_code == 422 and "diagnoses.0.code" in field_errors(bad)


async def test_patients_list_of_encounters_and_audit(client, as_role, app):
    c = await clinic(client, as_role)
    await open_encounter(client, c.doctor, c.patient["id"])
    listed = await client.get(f"/api/v1/patients/{c.patient['id']}/encounters", headers=c.doctor)
    assert listed.status_code == 200 and listed.json()["total"] == 1
    async with session_scope(app.state.sessionmaker) as db:
        events, _ = await audit.search(db, patient_id=c.patient["id"], action="encounter.*")
    assert {"encounter.create", "encounter.list"} <= {e.action for e in events}


async def test_a_doctor_without_a_relationship_needs_to_break_the_glass(client, as_role, app):
    c = await clinic(client, as_role)
    url = f"/api/v1/patients/{c.patient['id']}/vitals"
    denied = await client.get(url, headers=c.stranger)
    assert denied.status_code == 403 and code(denied) == "not_your_patient"
    allowed = await client.get(
        url, headers={**c.stranger, "X-Break-Glass-Reason": "Unconscious in the emergency room"}
    )
    assert allowed.status_code == 200
    async with session_scope(app.state.sessionmaker) as db:
        events, _ = await audit.search(db, patient_id=c.patient["id"], action="patient.break_glass")
    assert len(events) == 1


# ---------------------------------------------------------------- vital signs


async def test_vitals_compute_bmi_and_flag_out_of_range_values(client, as_role):
    c = await clinic(client, as_role)
    url = f"/api/v1/patients/{c.patient['id']}/vitals"
    response = await client.post(
        url,
        headers=c.nurse,
        json={
            "systolic": 152,
            "diastolic": 95,
            "pulse": 72,
            "temperature": 36.8,
            "spo2": 97,
            "weight_kg": 92.5,
            "height_cm": 175,
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["bmi"] == 30.2
    assert body["flags"] == ["systolic", "diastolic", "bmi"]
    assert body["recorded_by_name"] == "Nadia Haddad"


async def test_bmi_uses_the_latest_height_when_only_weight_is_given(client, as_role):
    c = await clinic(client, as_role)
    url = f"/api/v1/patients/{c.patient['id']}/vitals"
    await client.post(url, headers=c.nurse, json={"height_cm": 180, "weight_kg": 80})
    later = await client.post(url, headers=c.doctor, json={"weight_kg": 70.0})
    assert later.json()["bmi"] == 21.6 and later.json()["flags"] == []
    pulse_only = await client.post(url, headers=c.nurse, json={"pulse": 120})
    assert pulse_only.json()["bmi"] is None and pulse_only.json()["flags"] == ["pulse"]
    listed = (await client.get(url, headers=c.doctor)).json()
    assert listed["total"] == 3
    assert [v["pulse"] for v in listed["items"]] == [120, None, None]  # newest first


async def test_impossible_or_empty_vitals_are_refused_naming_the_field(client, as_role):
    c = await clinic(client, as_role)
    url = f"/api/v1/patients/{c.patient['id']}/vitals"
    for body, field in (
        ({"systolic": -10}, "systolic"),
        ({"pulse": 5000}, "pulse"),
        ({"spo2": 101}, "spo2"),
        ({"temperature": 60}, "temperature"),
        ({}, "systolic"),
        ({"systolic": 80, "diastolic": 120}, "diastolic"),
    ):
        response = await client.post(url, headers=c.nurse, json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in field_errors(response), (body, response.text)


async def test_vitals_are_recorded_by_nurses_and_doctors_only(client, as_role):
    c = await clinic(client, as_role)
    reception = await as_role("receptionist")
    response = await client.post(
        f"/api/v1/patients/{c.patient['id']}/vitals", headers=reception, json={"pulse": 70}
    )
    assert response.status_code == 403


# ---------------------------------------------------------------- allergies, problems, plans


async def test_allergies_are_added_changed_and_never_deleted(client, as_role):
    c = await clinic(client, as_role)
    url = f"/api/v1/patients/{c.patient['id']}/allergies"
    added = await client.post(
        url,
        headers=c.nurse,
        json={"substance": "Penicillin", "reaction": "Hives", "severity": "severe"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "active"
    twice = await client.post(url, headers=c.doctor, json={"substance": "penicillin"})
    assert twice.status_code == 409 and code(twice) == "allergy_exists"
    bad = await client.post(url, headers=c.nurse, json={"substance": "Latex", "severity": "awful"})
    assert bad.status_code == 422 and "severity" in field_errors(bad)
    changed = await client.patch(
        f"/api/v1/allergies/{added.json()['id']}",
        headers=c.doctor,
        json={"status": "refuted", "severity": "mild"},
    )
    assert changed.status_code == 200
    assert (changed.json()["status"], changed.json()["severity"]) == ("refuted", "mild")
    listed = (await client.get(url, headers=c.nurse)).json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "refuted"


async def test_problems_take_an_optional_icd10_code_and_resolve(client, as_role):
    c = await clinic(client, as_role)
    url = f"/api/v1/patients/{c.patient['id']}/problems"
    coded = await client.post(
        url, headers=c.doctor, json={"code": "i10", "onset_date": "2019-05-01"}
    )
    assert coded.status_code == 201, coded.text
    assert coded.json()["code"] == "I10"
    assert coded.json()["description"] == "Essential (primary) hypertension"
    history = await client.post(
        url, headers=c.nurse, json={"kind": "history", "description": "Appendectomy 1998"}
    )
    assert history.status_code == 201 and history.json()["kind"] == "history"
    unknown = await client.post(url, headers=c.doctor, json={"code": "Q99.99"})
    assert unknown.status_code == 422 and "code" in field_errors(unknown)
    resolved = await client.patch(
        f"/api/v1/problems/{coded.json()['id']}", headers=c.doctor, json={"status": "resolved"}
    )
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_date"]
    only_history = await client.get(url, headers=c.doctor, params={"kind": "history"})
    assert [p["description"] for p in only_history.json()["items"]] == ["Appendectomy 1998"]


async def test_care_plans_move_through_their_statuses(client, as_role, make_user):
    c = await clinic(client, as_role)
    nurse_user = await make_user("nurse", full_name="Nina Lopez")
    url = f"/api/v1/patients/{c.patient['id']}/care-plans"
    created = await client.post(
        url,
        headers=c.doctor,
        json={
            "title": "Cardiovascular risk reduction",
            "goals": "LDL below 3.0 mmol/L; BP below 135/85",
            "activities": "Statin; diet advice; home BP readings",
            "responsible_user_id": nurse_user.id,
            "review_date": "2030-01-15",
        },
    )
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["status"] == "active" and plan["responsible_name"] == "Nina Lopez"
    patch = f"/api/v1/care-plans/{plan['id']}"
    held = await client.patch(patch, headers=c.nurse, json={"status": "on_hold"})
    assert held.json()["status"] == "on_hold"
    done = await client.patch(patch, headers=c.nurse, json={"status": "completed"})
    assert done.json()["status"] == "completed"
    again = await client.patch(patch, headers=c.nurse, json={"status": "active"})
    assert again.status_code == 409 and code(again) == "invalid_transition"
    patient_as_staff = await client.post(
        url,
        headers=c.doctor,
        json={"title": "Plan", "goals": "Goals", "responsible_user_id": 999999},
    )
    assert patient_as_staff.status_code == 422
    assert "responsible_user_id" in field_errors(patient_as_staff)


# ---------------------------------------------------------------- patients


async def test_a_patient_reads_only_their_own_chart(client, as_role):
    c = await clinic(client, as_role)
    headers, me = await new_patient_user(client)
    mine = me["patient_id"]
    await client.post(
        f"/api/v1/patients/{mine}/allergies", headers=c.nurse, json={"substance": "Latex"}
    )
    own = await client.get(f"/api/v1/patients/{mine}/allergies", headers=headers)
    assert own.status_code == 200 and own.json()["items"][0]["substance"] == "Latex"
    other = await client.get(f"/api/v1/patients/{c.patient['id']}/allergies", headers=headers)
    assert other.status_code == 403
    write = await client.post(
        f"/api/v1/patients/{mine}/allergies", headers=headers, json={"substance": "Nuts"}
    )
    assert write.status_code == 403


async def test_a_patient_sees_signed_encounters_but_not_drafts(client, as_role):
    c = await clinic(client, as_role)
    headers, me = await new_patient_user(client)
    from tests.scheduling.factories import book, iso

    await book(client, c.nurse, me["patient_id"], iso(2, 11), c.doctor_row["id"])
    draft = await open_encounter(client, c.doctor, me["patient_id"])
    signed = await open_encounter(client, c.doctor, me["patient_id"])
    await client.post(f"/api/v1/encounters/{signed['id']}/sign", headers=c.doctor)
    listed = await client.get(f"/api/v1/patients/{me['patient_id']}/encounters", headers=headers)
    assert [e["id"] for e in listed.json()["items"]] == [signed["id"]]
    hidden = await client.get(f"/api/v1/encounters/{draft['id']}", headers=headers)
    assert hidden.status_code == 404
