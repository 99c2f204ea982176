"""Prescribing through the API: safety warnings, the severe block and its audited override,
who may prescribe and see what, cancelling, the PDF and renewals."""

from __future__ import annotations

import pytest

from tests.pharmacy.factories import (
    add_allergy,
    audit_rows,
    item,
    medicine,
    pharmacy,
    prescribe,
    receive,
    try_prescribe,
)
from tests.scheduling.factories import code, field_errors


@pytest.fixture
async def ph(client, as_role):
    return await pharmacy(client, as_role)


async def test_catalogue_search_matches_name_or_generic_name_in_any_case(client, ph):
    seretide = await medicine(
        client, ph.pharmacist, "fluticasone with salmeterol", name="Seretide 250 Evohaler"
    )
    await medicine(client, ph.pharmacist, "paracetamol")
    by_generic = await client.get(
        "/api/v1/pharmacy/medicines", headers=ph.doctor, params={"q": "SALMETEROL"}
    )
    by_name = await client.get(
        "/api/v1/pharmacy/medicines", headers=ph.doctor, params={"q": "seretide"}
    )
    assert [m["id"] for m in by_generic.json()["items"]] == [seretide["id"]]
    assert [m["id"] for m in by_name.json()["items"]] == [seretide["id"]]
    assert seretide["unit_price"] == "0.50"

    duplicate = await client.post(
        "/api/v1/pharmacy/medicines",
        headers=ph.pharmacist,
        json={k: seretide[k] for k in ("name", "generic_name", "form", "strength", "unit")},
    )
    assert duplicate.status_code == 409
    gone = await client.post(
        f"/api/v1/pharmacy/medicines/{seretide['id']}/deactivate", headers=ph.pharmacist
    )
    assert gone.json()["is_active"] is False
    again = await client.get(
        "/api/v1/pharmacy/medicines", headers=ph.doctor, params={"q": "seretide"}
    )
    assert again.json()["total"] == 0
    assert (
        await client.post("/api/v1/pharmacy/medicines", headers=ph.doctor, json={})
    ).status_code == 403


async def test_prescribing_returns_201_with_items_and_moderate_warnings(client, ph):
    lisinopril = await medicine(client, ph.pharmacist, "lisinopril")
    spironolactone = await medicine(client, ph.pharmacist, "Spironolactone")
    created = await prescribe(
        client, ph.doctor, ph.patient_id, item(lisinopril["id"]), item(spironolactone["id"], 28)
    )
    assert created["status"] == "active"
    assert [i["quantity"] for i in created["items"]] == [10, 28]
    assert created["items"][0]["remaining"] == 10
    assert [(w["type"], w["severity"]) for w in created["warnings"]] == [
        ("interaction", "moderate")
    ]
    assert "hyperkalaemia" in created["warnings"][0]["message"]
    shown = await client.get(f"/api/v1/prescriptions/{created['id']}", headers=ph.patient)
    assert shown.status_code == 200
    assert shown.json()["warnings"] == created["warnings"]


async def test_severe_interaction_blocks_with_409_and_override_succeeds_both_audited(client, ph):
    warfarin = await medicine(client, ph.pharmacist, "warfarin")
    aspirin = await medicine(client, ph.pharmacist, "ASPIRIN")
    items = [item(aspirin["id"]), item(warfarin["id"])]
    blocked = await try_prescribe(client, ph.doctor, ph.patient_id, *items)
    assert blocked.status_code == 409
    body = blocked.json()
    assert body["code"] == "interaction_severe"
    assert body["status"] == 409
    assert any(w["type"] == "interaction" and w["severity"] == "severe" for w in body["warnings"])
    listed = await client.get(
        "/api/v1/prescriptions", headers=ph.doctor, params={"patient_id": ph.patient_id}
    )
    assert listed.json()["total"] == 0, "a blocked prescription must not be written"

    short = await try_prescribe(client, ph.doctor, ph.patient_id, *items, override_reason="ok")
    assert short.status_code == 422
    assert "override_reason" in field_errors(short)

    reason = "Mechanical valve; cardiology advises both, INR weekly"
    allowed = await try_prescribe(client, ph.doctor, ph.patient_id, *items, override_reason=reason)
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["override_reason"] == reason
    assert allowed.json()["warnings"][0]["severity"] == "severe"

    refused = await audit_rows(client, ph.admin, "prescription.blocked")
    assert len(refused) == 1
    assert refused[0]["outcome"] == "denied"
    assert refused[0]["patient_id"] == ph.patient_id
    overridden = await audit_rows(client, ph.admin, "prescription.override")
    assert [(r["reason"], r["object_id"]) for r in overridden] == [
        (reason, str(allowed.json()["id"]))
    ]


async def test_severe_allergy_to_a_drug_class_blocks_with_allergy_conflict(client, app, ph):
    await add_allergy(app, ph.patient_id, "Penicillins", "life_threatening")
    await add_allergy(app, ph.patient_id, "sulfa drugs", "mild")
    amoxicillin = await medicine(client, ph.pharmacist, "amoxicillin")
    cotrimoxazole = await medicine(client, ph.pharmacist, "sulfamethoxazole", name="Co-trimoxazole")
    blocked = await try_prescribe(client, ph.doctor, ph.patient_id, item(amoxicillin["id"]))
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "allergy_conflict"
    [warning] = blocked.json()["warnings"]
    assert warning["type"] == "allergy" and warning["severity"] == "severe"
    assert "penicillin" in warning["message"].lower()

    mild = await prescribe(client, ph.doctor, ph.patient_id, item(cotrimoxazole["id"]))
    assert [(w["type"], w["severity"]) for w in mild["warnings"]] == [("allergy", "minor")]


async def test_duplicate_therapy_is_warned_within_a_prescription_and_against_recent_ones(
    client, ph
):
    omeprazole = await medicine(client, ph.pharmacist, "omeprazole")
    omeprazole_40 = await medicine(client, ph.pharmacist, "Omeprazole", strength="40 mg")
    twice = await prescribe(
        client, ph.doctor, ph.patient_id, item(omeprazole["id"]), item(omeprazole_40["id"])
    )
    assert [(w["type"], w["severity"]) for w in twice["warnings"]] == [("duplicate", "moderate")]
    again = await prescribe(client, ph.doctor, ph.patient_id, item(omeprazole_40["id"]))
    assert [w["type"] for w in again["warnings"]] == ["duplicate"]
    assert "already prescribed" in again["warnings"][0]["message"]


async def test_bad_references_answer_422_naming_the_field(client, ph, as_role):
    paracetamol = await medicine(client, ph.pharmacist, "paracetamol")
    unknown = await try_prescribe(
        client, ph.doctor, ph.patient_id, item(paracetamol["id"]), item(999_999)
    )
    assert unknown.status_code == 422
    assert "items.1.medicine_id" in field_errors(unknown)
    encounter = await try_prescribe(
        client, ph.doctor, ph.patient_id, item(paracetamol["id"]), encounter_id=999_999
    )
    assert encounter.status_code == 422
    assert code(encounter) == "encounter_mismatch"
    assert "encounter_id" in field_errors(encounter)
    empty = await try_prescribe(client, ph.doctor, ph.patient_id)
    assert empty.status_code == 422


async def test_only_a_doctor_caring_for_the_patient_prescribes(client, ph):
    paracetamol = await medicine(client, ph.pharmacist, "paracetamol")
    nurse = await try_prescribe(client, ph.nurse, ph.patient_id, item(paracetamol["id"]))
    assert nurse.status_code == 403
    stranger = await try_prescribe(client, ph.stranger, ph.patient_id, item(paracetamol["id"]))
    assert stranger.status_code == 403
    assert code(stranger) == "not_your_patient"
    glass = await client.post(
        "/api/v1/prescriptions",
        headers={**ph.stranger, "X-Break-Glass-Reason": "Out-of-hours emergency cover"},
        json={"patient_id": ph.patient_id, "items": [item(paracetamol["id"])]},
    )
    assert glass.status_code == 201


async def test_lists_are_scoped_patients_see_only_their_own(client, ph):
    from tests.scheduling.factories import new_patient_user

    paracetamol = await medicine(client, ph.pharmacist, "paracetamol")
    mine = await prescribe(client, ph.doctor, ph.patient_id, item(paracetamol["id"]))
    other_headers, _other = await new_patient_user(client)
    seen = await client.get("/api/v1/prescriptions", headers=ph.patient)
    assert [p["id"] for p in seen.json()["items"]] == [mine["id"]]
    assert (await client.get("/api/v1/prescriptions", headers=other_headers)).json()["total"] == 0
    peek = await client.get(f"/api/v1/prescriptions/{mine['id']}", headers=other_headers)
    assert peek.status_code == 403
    doctors = await client.get("/api/v1/prescriptions", headers=ph.doctor)
    assert [p["id"] for p in doctors.json()["items"]] == [mine["id"]]
    assert (await client.get("/api/v1/prescriptions", headers=ph.stranger)).json()["total"] == 0
    active = await client.get(
        "/api/v1/prescriptions", headers=ph.doctor, params={"status": "dispensed"}
    )
    assert active.json()["total"] == 0


async def test_cancel_is_refused_once_dispensing_started(client, ph):
    paracetamol = await medicine(client, ph.pharmacist, "paracetamol")
    await receive(client, ph.pharmacist, paracetamol["id"], 4)
    first = await prescribe(client, ph.doctor, ph.patient_id, item(paracetamol["id"], 10))
    second = await prescribe(client, ph.doctor, ph.patient_id, item(paracetamol["id"], 2))
    url = "/api/v1/prescriptions/{}/cancel"
    done = await client.post(
        url.format(second["id"]), headers=ph.doctor, json={"reason": "Not needed"}
    )
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    again = await client.post(url.format(second["id"]), headers=ph.doctor, json={"reason": "Twice"})
    assert again.status_code == 409 and code(again) == "invalid_transition"
    no_dispense = await client.post(
        f"/api/v1/prescriptions/{second['id']}/dispense", headers=ph.pharmacist
    )
    assert no_dispense.status_code == 409 and code(no_dispense) == "invalid_transition"

    partly = await client.post(
        f"/api/v1/prescriptions/{first['id']}/dispense", headers=ph.pharmacist
    )
    assert partly.json()["status"] == "partially_dispensed"
    late = await client.post(url.format(first["id"]), headers=ph.doctor, json={"reason": "Stop"})
    assert late.status_code == 409 and code(late) == "invalid_transition"


async def test_prescription_prints_as_a_pdf_naming_the_patient(client, ph):
    atorvastatin = await medicine(client, ph.pharmacist, "atorvastatin")
    created = await prescribe(client, ph.doctor, ph.patient_id, item(atorvastatin["id"], 28))
    response = await client.get(f"/api/v1/prescriptions/{created['id']}/pdf", headers=ph.patient)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # The page text is subset-font glyphs; the document's metadata names whose it is.
    assert b"Prescription for Paula Fischer" in response.content
    assert b"Dr Ada Mensah" in response.content
    assert f"Prescription #{created['id']}".encode() in response.content
    assert len(response.content) > 5000
    assert len(await audit_rows(client, ph.admin, "prescription.print")) == 1


async def test_renewal_request_approve_and_decline(client, ph):
    metformin = await medicine(client, ph.pharmacist, "metformin")
    original = await prescribe(client, ph.doctor, ph.patient_id, item(metformin["id"], 56))
    url = f"/api/v1/prescriptions/{original['id']}/renewal-requests"
    asked = await client.post(url, headers=ph.patient, json={"note": "Running out next week"})
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    twice = await client.post(url, headers=ph.patient, json={})
    assert twice.status_code == 409 and code(twice) == "renewal_pending"
    assert (await client.post(url, headers=ph.doctor, json={})).status_code == 403

    inbox = await client.get("/api/v1/renewal-requests", headers=ph.doctor)
    assert [r["id"] for r in inbox.json()["items"]] == [asked.json()["id"]]
    request_id = asked.json()["id"]
    no_note = await client.post(
        f"/api/v1/renewal-requests/{request_id}/decline", headers=ph.doctor, json={}
    )
    assert no_note.status_code == 422
    approved = await client.post(
        f"/api/v1/renewal-requests/{request_id}/approve", headers=ph.doctor, json={}
    )
    assert approved.status_code == 200, approved.text
    new_id = approved.json()["new_prescription_id"]
    renewed = (await client.get(f"/api/v1/prescriptions/{new_id}", headers=ph.patient)).json()
    assert renewed["renewed_from_id"] == original["id"]
    assert [(i["medicine_id"], i["quantity"]) for i in renewed["items"]] == [(metformin["id"], 56)]
    assert renewed["warnings"] == [], "the prescription it renews is not a duplicate"
    decided = await client.post(
        f"/api/v1/renewal-requests/{request_id}/decline",
        headers=ph.doctor,
        json={"note": "Not now"},
    )
    assert decided.status_code == 409 and code(decided) == "invalid_transition"

    second = await client.post(url, headers=ph.patient, json={"note": "Again please"})
    declined = await client.post(
        f"/api/v1/renewal-requests/{second.json()['id']}/decline",
        headers=ph.doctor,
        json={"note": "Please book a review first"},
    )
    assert declined.json()["status"] == "declined"
    mine = await client.get("/api/v1/renewal-requests", headers=ph.patient)
    assert [r["status"] for r in mine.json()["items"]] == ["declined", "approved"]
    notified = await client.get("/api/v1/notifications", headers=ph.patient)
    if notified.status_code == 200:  # the lead's notifications react to our events
        assert notified.json()["total"] >= 1


async def test_renewal_approval_reruns_the_checks_and_needs_an_override_when_severe(
    client, ph, app
):
    amoxicillin = await medicine(client, ph.pharmacist, "amoxicillin")
    original = await prescribe(client, ph.doctor, ph.patient_id, item(amoxicillin["id"]))
    asked = await client.post(
        f"/api/v1/prescriptions/{original['id']}/renewal-requests", headers=ph.patient, json={}
    )
    await add_allergy(app, ph.patient_id, "penicillin", "severe")
    url = f"/api/v1/renewal-requests/{asked.json()['id']}/approve"
    blocked = await client.post(url, headers=ph.doctor, json={})
    assert blocked.status_code == 409 and code(blocked) == "allergy_conflict"
    ok = await client.post(
        url, headers=ph.doctor, json={"override_reason": "Tolerated this course without reaction"}
    )
    assert ok.status_code == 200, ok.text
