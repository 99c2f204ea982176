"""The requesting doctor acknowledges a verified imaging report (who and when), and a report
is verified by a radiologist other than its author, unless the hospital allows
self-verification for a one-person department, which the audit trail then records."""

from __future__ import annotations

import httpx

from tests.radiology.conftest import Clinic, advance, order, step
from tests.scheduling.factories import book, code, iso

API = "/api/v1/radiology/orders"


async def test_the_requesting_doctor_acknowledges_a_verified_report_with_who_and_when(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "verified")
    before = (await client.get(f"{API}/{created['id']}", headers=clinic.doctor)).json()
    assert before["acknowledged_at"] is None and before["can_acknowledge"] is True

    done = await step(client, clinic.doctor, created["id"], "acknowledge")
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["acknowledged_by"] == clinic.doctor_user_id and body["acknowledged_at"]
    assert body["acknowledged_by_name"] and body["released_at"] == body["acknowledged_at"]

    shown = (await client.get(f"{API}/{created['id']}", headers=clinic.doctor)).json()
    assert shown["acknowledged_by"] == clinic.doctor_user_id
    assert shown["can_acknowledge"] is False and shown["released_to_patient"] is True
    again = await step(client, clinic.doctor, created["id"], "acknowledge")
    assert again.status_code == 200 and again.json() == body

    trail = await client.get(
        "/api/v1/audit", params={"action": "radiology.acknowledge"}, headers=clinic.admin
    )
    events = [e for e in trail.json()["items"] if e["object_id"] == str(created["id"])]
    assert len(events) == 1 and events[0]["actor_id"] == clinic.doctor_user_id


async def test_only_the_requesting_doctor_acknowledges_and_only_once_verified(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "reported")
    early = await step(client, clinic.doctor, created["id"], "acknowledge")
    assert early.status_code == 409 and code(early) == "not_final"
    assert early.json()["current_status"] == "reported"
    await step(client, clinic.second_radiologist, created["id"], "verify")
    for headers in (clinic.nurse, clinic.reception, clinic.radiologist, clinic.patient):
        denied = await step(client, headers, created["id"], "acknowledge")
        assert denied.status_code == 403 and code(denied) == "permission_denied"
    # Another doctor, even one who may read the patient's record, does not acknowledge it.
    stranger = await step(client, clinic.other_doctor, created["id"], "acknowledge")
    assert stranger.status_code == 403
    still = (await client.get(f"{API}/{created['id']}", headers=clinic.doctor)).json()
    assert still["acknowledged_at"] is None
    # Booked with the other doctor too, they may read it: still not theirs to acknowledge.
    other_id = (await client.get("/api/v1/doctors/me", headers=clinic.other_doctor)).json()["id"]
    await book(client, clinic.reception, clinic.patient_id, iso(2, 11), other_id)
    readable = await client.get(f"{API}/{created['id']}", headers=clinic.other_doctor)
    assert readable.status_code == 200
    refused = await step(client, clinic.other_doctor, created["id"], "acknowledge")
    assert refused.status_code == 403 and code(refused) == "not_ordering_doctor"


async def test_the_radiologist_who_wrote_the_report_cannot_verify_it(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "reported")
    refused = await step(client, clinic.radiologist, created["id"], "verify")
    assert refused.status_code == 409 and code(refused) == "second_person_required"
    assert "another radiologist" in refused.json()["detail"]
    shown = (await client.get(f"{API}/{created['id']}", headers=clinic.radiologist)).json()
    assert shown["status"] == "reported"
    # The second reader revising the report becomes its author: a third one signs it off.
    revised = await step(client, clinic.second_radiologist, created["id"], "report")
    assert revised.status_code == 200
    again = await step(client, clinic.second_radiologist, created["id"], "verify")
    assert again.status_code == 409 and code(again) == "second_person_required"
    verified = await step(client, clinic.radiologist, created["id"], "verify")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    trail = await client.get(
        "/api/v1/audit", params={"action": "radiology.verify"}, headers=clinic.admin
    )
    event = next(e for e in trail.json()["items"] if e["object_id"] == str(created["id"]))
    assert event["detail"]["self_verified"] is False


async def test_a_one_person_department_verifies_its_own_report_when_allowed_and_it_is_audited(
    app, client: httpx.AsyncClient, clinic: Clinic
):
    app.state.settings = app.state.settings.model_copy(update={"allow_self_verification": True})
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "reported")
    verified = await step(client, clinic.radiologist, created["id"], "verify")
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["verified_by"] == body["reported_by"]
    trail = await client.get(
        "/api/v1/audit", params={"action": "radiology.verify"}, headers=clinic.admin
    )
    event = next(e for e in trail.json()["items"] if e["object_id"] == str(created["id"]))
    assert event["detail"]["self_verified"] is True and "self-verified" in event["reason"]
