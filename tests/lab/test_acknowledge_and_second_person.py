"""The ordering doctor acknowledges verified lab results (who and when), and results are
verified by someone other than the technician who entered them, unless the hospital allows
self-verification for a one-person lab, which the audit trail then records."""

from __future__ import annotations

from typing import Any

import httpx

from tests.lab.factories import LIPID_NORMAL, order, results, step, through, ward
from tests.scheduling.factories import code, doctor_headers, new_doctor

API = "/api/v1/lab/orders"


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    return (await client.get("/api/v1/auth/me", headers=headers)).json()


async def test_the_ordering_doctor_acknowledges_verified_results_with_who_and_when(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, placed["id"], LIPID_NORMAL)
    before = (await client.get(f"{API}/{placed['id']}", headers=w.doctor)).json()
    assert before["acknowledged_at"] is None and before["can_acknowledge"] is True

    done = await client.post(f"{API}/{placed['id']}/acknowledge", headers=w.doctor)
    assert done.status_code == 200, done.text
    body = done.json()
    doctor = await _me(client, w.doctor)
    assert body["acknowledged_by"] == doctor["id"] and body["acknowledged_at"]
    assert body["acknowledged_by_name"] == doctor["full_name"]
    assert body["released_at"] == body["acknowledged_at"]  # the patient may read them now

    shown = (await client.get(f"{API}/{placed['id']}", headers=w.doctor)).json()
    assert shown["acknowledged_at"] == body["acknowledged_at"]
    assert shown["acknowledged_by_name"] == doctor["full_name"]
    assert shown["can_acknowledge"] is False and shown["released_to_patient"] is True
    assert [s["step"] for s in shown["steps"]][-1] == "acknowledged"

    again = await client.post(f"{API}/{placed['id']}/acknowledge", headers=w.doctor)
    assert again.status_code == 200 and again.json() == body  # the first one stands

    trail = await client.get(
        "/api/v1/audit", params={"action": "lab.order.acknowledge"}, headers=w.admin
    )
    events = [e for e in trail.json()["items"] if e["object_id"] == str(placed["id"])]
    assert len(events) == 1 and events[0]["actor_id"] == doctor["id"]


async def test_only_the_ordering_doctor_acknowledges(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, placed["id"], LIPID_NORMAL)
    colleague_row = await new_doctor(client, w.admin, department_id=w.doctor_row["department_id"])
    await client.post(
        f"/api/v1/patients/{w.patient['id']}/care-team",
        headers=w.desk,
        json={"doctor_id": colleague_row["id"]},
    )
    colleague = await doctor_headers(client, colleague_row)
    # A colleague caring for the same patient reads the results but does not acknowledge them.
    assert (await client.get(f"{API}/{placed['id']}", headers=colleague)).status_code == 200
    refused = await client.post(f"{API}/{placed['id']}/acknowledge", headers=colleague)
    assert refused.status_code == 403 and code(refused) == "not_ordering_doctor"
    nurse = await as_role("nurse")
    for headers in (nurse, w.lab, w.desk):
        denied = await client.post(f"{API}/{placed['id']}/acknowledge", headers=headers)
        assert denied.status_code == 403 and code(denied) == "permission_denied"
    still = (await client.get(f"{API}/{placed['id']}", headers=w.doctor)).json()
    assert still["acknowledged_at"] is None


async def test_results_are_acknowledged_only_once_verified(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    early = await client.post(f"{API}/{placed['id']}/acknowledge", headers=w.doctor)
    assert early.status_code == 409 and code(early) == "not_final", early.text
    assert early.json()["current_status"] == "ordered"
    await through(client, w.lab, placed["id"], LIPID_NORMAL, upto="resulted")
    early = await client.post(f"{API}/{placed['id']}/acknowledge", headers=w.doctor)
    assert early.status_code == 409 and code(early) == "not_final"
    assert early.json()["current_status"] == "resulted"
    missing = await client.post(f"{API}/999999/acknowledge", headers=w.doctor)
    assert missing.status_code == 404 and code(missing) == "lab_order_not_found"


async def test_the_technician_who_entered_the_results_cannot_verify_them(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, placed["id"], LIPID_NORMAL, upto="resulted")
    refused = await step(client, w.lab, placed["id"], "verify")
    assert refused.status_code == 409 and code(refused) == "second_person_required"
    assert "another technician" in refused.json()["detail"]
    assert (await client.get(f"{API}/{placed['id']}", headers=w.lab)).json()["status"] == (
        "resulted"
    )
    # A colleague who corrected one value has entered results too.
    corrected = await results(client, w.verifier, placed["id"], {"LDL": 2.6})
    assert corrected.status_code == 200
    again = await step(client, w.verifier, placed["id"], "verify")
    assert again.status_code == 409 and code(again) == "second_person_required"
    third = await as_role("lab_technician")
    verified = await step(client, third, placed["id"], "verify")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    trail = await client.get(
        "/api/v1/audit", params={"action": "lab.order.verify"}, headers=w.admin
    )
    event = next(e for e in trail.json()["items"] if e["object_id"] == str(placed["id"]))
    assert event["detail"]["self_verified"] is False and event["reason"] is None


async def test_a_one_person_lab_verifies_its_own_results_when_allowed_and_it_is_audited(
    app, client, as_role
):
    app.state.settings = app.state.settings.model_copy(update={"allow_self_verification": True})
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, placed["id"], LIPID_NORMAL, upto="resulted")
    verified = await step(client, w.lab, placed["id"], "verify")
    assert verified.status_code == 200, verified.text
    lab = await _me(client, w.lab)
    assert verified.json()["verified_by"] == lab["id"] == verified.json()["resulted_by"]
    trail = await client.get(
        "/api/v1/audit", params={"action": "lab.order.verify"}, headers=w.admin
    )
    event = next(e for e in trail.json()["items"] if e["object_id"] == str(placed["id"]))
    assert event["actor_id"] == lab["id"]
    assert event["detail"]["self_verified"] is True
    assert "self-verified" in event["reason"]
