"""Imaging orders through the API: the catalogue, ordering, every step and who may take it,
the worklist's order, and who reads a report when."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from openward.core import events
from openward.radiology.events import ReportReady
from tests.radiology.conftest import REPORT, Clinic, advance, order, step
from tests.scheduling.factories import code, field_errors, iso

API = "/api/v1/radiology"


# ---------------------------------------------------------------- catalogue


async def test_the_catalogue_lists_modalities_by_dicom_code_and_exams_with_preparation(
    client: httpx.AsyncClient, as_role: Any, catalogue: None
):
    patient = await as_role("patient")
    modalities = (await client.get(f"{API}/modalities", headers=patient)).json()
    codes = {m["code"] for m in modalities["items"]}
    assert {"CR", "DX", "CT", "MR", "US", "MG", "NM", "XA"} <= codes
    ct = (await client.get(f"{API}/exams", headers=patient, params={"modality": "ct"})).json()
    names = {e["name"]: e for e in ct["items"]}
    assert "CT head without contrast" in names
    contrast = names["CT abdomen/pelvis with contrast"]
    assert "4 hours" in contrast["preparation"] and "creatinine" in contrast["preparation"]
    assert {e["modality_code"] for e in ct["items"]} == {"CT"}
    found = (await client.get(f"{API}/exams", headers=patient, params={"q": "ultrasound"})).json()
    assert {"Abdominal ultrasound", "Pelvic ultrasound"} <= {e["name"] for e in found["items"]}


# ---------------------------------------------------------------- ordering


async def test_a_doctor_orders_an_exam_with_the_price_of_the_day(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(
        client,
        clinic.doctor,
        clinic.patient_id,
        exam_code="ct-head",
        priority="stat",
        clinical_notes="Fall, on anticoagulants",
    )
    assert created["status"] == "ordered"
    assert created["exam_name"] == "CT head without contrast"
    assert created["modality_code"] == "CT"
    assert created["price"] == "180.00"
    assert created["priority"] == "stat"
    assert created["doctor_user_id"] == clinic.doctor_user_id  # a doctor requests for themselves


@pytest.mark.parametrize("role", ["reception", "nurse"])
async def test_the_front_desk_and_nurses_order_on_behalf_of_a_doctor(
    client: httpx.AsyncClient, clinic: Clinic, role: str
):
    created = await order(
        client,
        getattr(clinic, role),
        clinic.patient_id,
        exam_id=None,
        exam_code="US-ABD",
        doctor_user_id=clinic.doctor_user_id,
    )
    assert created["doctor_name"].startswith("Dr Test")
    assert created["preparation"].startswith("Fasting 6 hours")


async def test_an_unknown_exam_is_refused_naming_it(client: httpx.AsyncClient, clinic: Clinic):
    response = await client.post(
        f"{API}/orders",
        headers=clinic.doctor,
        json={"patient_id": clinic.patient_id, "exam_code": "XR-UNICORN"},
    )
    assert response.status_code == 422
    assert code(response) == "unknown_exam"
    assert "XR-UNICORN" in field_errors(response)["exam_code"]
    by_id = await client.post(
        f"{API}/orders",
        headers=clinic.doctor,
        json={"patient_id": clinic.patient_id, "exam_id": 99999},
    )
    assert by_id.status_code == 422 and "exam_id" in field_errors(by_id)


async def test_an_order_needs_exactly_one_way_to_name_the_exam_and_a_known_patient(
    client: httpx.AsyncClient, clinic: Clinic
):
    neither = await client.post(
        f"{API}/orders", headers=clinic.doctor, json={"patient_id": clinic.patient_id}
    )
    assert neither.status_code == 422
    nobody = await client.post(
        f"{API}/orders",
        headers=clinic.reception,
        json={"patient_id": 999999, "exam_code": "CT-HEAD"},
    )
    assert nobody.status_code == 422 and "patient_id" in field_errors(nobody)
    not_a_doctor = await client.post(
        f"{API}/orders",
        headers=clinic.reception,
        json={"patient_id": clinic.patient_id, "exam_code": "CT-HEAD", "doctor_user_id": 1},
    )
    assert not_a_doctor.status_code == 422 and code(not_a_doctor) == "unknown_doctor"


async def test_patients_radiologists_and_pharmacists_cannot_order(
    client: httpx.AsyncClient, clinic: Clinic, as_role: Any
):
    body = {"patient_id": clinic.patient_id, "exam_code": "CT-HEAD"}
    for headers in (clinic.patient, clinic.radiologist, await as_role("pharmacist")):
        response = await client.post(f"{API}/orders", headers=headers, json=body)
        assert response.status_code == 403


async def test_a_doctor_orders_for_a_stranger_only_by_breaking_the_glass(
    client: httpx.AsyncClient, clinic: Clinic
):
    body = {"patient_id": clinic.stranger_id, "exam_code": "CT-HEAD", "priority": "stat"}
    refused = await client.post(f"{API}/orders", headers=clinic.doctor, json=body)
    assert refused.status_code == 403 and code(refused) == "not_your_patient"
    glass = {**clinic.doctor, "X-Break-Glass-Reason": "Unconscious in the emergency department"}
    allowed = await client.post(f"{API}/orders", headers=glass, json=body)
    assert allowed.status_code == 201


# ---------------------------------------------------------------- steps


async def test_an_order_goes_through_every_step_with_who_and_when(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    when = iso(2, 14, 30)
    scheduled = await step(
        client, clinic.reception, created["id"], "schedule", {"scheduled_at": when}
    )
    assert scheduled.status_code == 200
    assert datetime.fromisoformat(scheduled.json()["scheduled_at"]) == datetime.fromisoformat(when)
    performed = (await step(client, clinic.radiologist, created["id"], "perform")).json()
    assert performed["status"] == "performed" and performed["performed_by_name"]
    reported = (await step(client, clinic.radiologist, created["id"], "report")).json()
    assert reported["status"] == "reported" and reported["findings"] == REPORT["findings"]
    verified = (await step(client, clinic.second_radiologist, created["id"], "verify")).json()
    assert verified["status"] == "verified"
    assert verified["verified_by"] != verified["reported_by"]  # a second reader signs off
    assert verified["verified_at"] >= verified["reported_at"] >= verified["performed_at"]


async def test_rescheduling_while_scheduled_and_rereporting_before_verification(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await step(client, clinic.reception, created["id"], "schedule")
    moved = await step(
        client, clinic.radiologist, created["id"], "schedule", {"scheduled_at": iso(3, 8)}
    )
    assert moved.status_code == 200 and moved.json()["status"] == "scheduled"
    await step(client, clinic.radiologist, created["id"], "perform")
    await step(client, clinic.radiologist, created["id"], "report")
    revised = await step(
        client,
        clinic.radiologist,
        created["id"],
        "report",
        {"findings": "Small left basal effusion.", "impression": "Small left effusion."},
    )
    assert revised.status_code == 200 and revised.json()["impression"] == "Small left effusion."


# Every (status, step) that is not allowed, with someone who may take that step otherwise.
NOT_ALLOWED = [
    ("ordered", "perform"),
    ("ordered", "report"),
    ("ordered", "verify"),
    ("scheduled", "report"),
    ("scheduled", "verify"),
    ("performed", "schedule"),
    ("performed", "perform"),
    ("performed", "verify"),
    ("performed", "cancel"),
    ("reported", "schedule"),
    ("reported", "perform"),
    ("reported", "cancel"),
    ("verified", "schedule"),
    ("verified", "perform"),
    ("verified", "report"),
    ("verified", "verify"),
    ("verified", "cancel"),
    ("cancelled", "schedule"),
    ("cancelled", "perform"),
    ("cancelled", "report"),
    ("cancelled", "verify"),
    ("cancelled", "cancel"),
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_step_that_is_not_allowed_answers_409_invalid_transition(
    client: httpx.AsyncClient, clinic: Clinic
):
    orders: dict[str, int] = {}
    for status in {s for s, _ in NOT_ALLOWED}:
        created = await order(client, clinic.doctor, clinic.patient_id)
        await advance(client, clinic, created["id"], status)
        orders[status] = created["id"]
    for status, action in NOT_ALLOWED:
        who = clinic.reception if action in ("schedule", "cancel") else clinic.radiologist
        response = await step(client, who, orders[status], action)
        assert response.status_code == 409, (status, action, response.text)
        body = response.json()
        assert body["code"] == "invalid_transition", (status, action)
        assert body["current_status"] == status
        current = await client.get(f"{API}/orders/{orders[status]}", headers=clinic.radiologist)
        assert current.json()["status"] == status  # nothing changed


async def test_cancelling_after_the_exam_is_performed_is_409(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "performed")
    response = await step(client, clinic.doctor, created["id"], "cancel")
    assert response.status_code == 409 and code(response) == "invalid_transition"


async def test_the_doctor_cancels_before_the_exam_with_a_reason(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "scheduled")
    no_reason = await step(client, clinic.doctor, created["id"], "cancel", {"reason": ""})
    assert no_reason.status_code == 422 and "reason" in field_errors(no_reason)
    done = await step(
        client, clinic.doctor, created["id"], "cancel", {"reason": "Symptoms resolved"}
    )
    assert done.status_code == 200
    assert (
        done.json()["status"] == "cancelled" and done.json()["cancel_reason"] == "Symptoms resolved"
    )


async def test_scheduling_must_be_in_the_future_and_is_for_the_desk_and_radiology(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = await step(
        client, clinic.reception, created["id"], "schedule", {"scheduled_at": past}
    )
    assert response.status_code == 422 and "scheduled_at" in field_errors(response)
    far = (datetime.now(UTC) + timedelta(days=800)).isoformat()
    response = await step(
        client, clinic.reception, created["id"], "schedule", {"scheduled_at": far}
    )
    assert response.status_code == 422
    for headers in (clinic.doctor, clinic.nurse, clinic.patient):
        response = await step(client, headers, created["id"], "schedule")
        assert response.status_code == 403


async def test_only_radiologists_perform_report_and_verify(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "scheduled")
    for action in ("perform", "report", "verify"):
        for headers in (clinic.doctor, clinic.reception, clinic.nurse):
            assert (await step(client, headers, created["id"], action)).status_code == 403


async def test_a_report_needs_findings_and_impression(client: httpx.AsyncClient, clinic: Clinic):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "performed")
    response = await step(
        client, clinic.radiologist, created["id"], "report", {"findings": "Clear lungs."}
    )
    assert response.status_code == 422 and "impression" in field_errors(response)
    response = await step(
        client, clinic.radiologist, created["id"], "report", {"findings": " ", "impression": "x"}
    )
    assert response.status_code == 422 and "findings" in field_errors(response)


async def test_verifying_publishes_report_ready_for_the_doctor_and_patient(
    client: httpx.AsyncClient, clinic: Clinic
):
    seen: list[ReportReady] = []

    async def remember(_db, event: ReportReady) -> None:
        seen.append(event)

    events.subscribe(ReportReady, remember)
    try:
        created = await order(client, clinic.doctor, clinic.patient_id, exam_code="MR-KNEE")
        await advance(client, clinic, created["id"], "reported")
        assert seen == []
        await step(client, clinic.second_radiologist, created["id"], "verify")
    finally:
        events._handlers[ReportReady].remove(remember)
    assert len(seen) == 1 and seen[0].released_at is not None  # when the patient may read it
    assert replace(seen[0], released_at=None) == ReportReady(
        order_id=created["id"],
        patient_id=clinic.patient_id,
        doctor_user_id=clinic.doctor_user_id,
        exam="MRI knee",
    )


# ---------------------------------------------------------------- lists and reading


async def test_the_worklist_puts_stat_then_urgent_then_booked_time_or_the_oldest(
    client: httpx.AsyncClient, clinic: Clinic
):
    routine_late = await order(client, clinic.reception, clinic.patient_id, doctor_user_id=None)
    routine_early = await order(client, clinic.reception, clinic.patient_id)
    urgent = await order(client, clinic.reception, clinic.patient_id, priority="urgent")
    stat = await order(client, clinic.reception, clinic.patient_id, priority="stat")
    await step(
        client, clinic.reception, routine_late["id"], "schedule", {"scheduled_at": iso(3, 9)}
    )
    await step(
        client, clinic.reception, routine_early["id"], "schedule", {"scheduled_at": iso(1, 9)}
    )
    listed = await client.get(f"{API}/orders", headers=clinic.radiologist)
    assert listed.status_code == 200
    ids = [o["id"] for o in listed.json()["items"]]
    assert ids == [stat["id"], urgent["id"], routine_early["id"], routine_late["id"]]
    assert listed.json()["total"] == 4
    scheduled = await client.get(
        f"{API}/orders", headers=clinic.radiologist, params={"status": "scheduled"}
    )
    assert [o["id"] for o in scheduled.json()["items"]] == [routine_early["id"], routine_late["id"]]
    paged = await client.get(
        f"{API}/orders", headers=clinic.radiologist, params={"limit": 1, "offset": 1}
    )
    assert [o["id"] for o in paged.json()["items"]] == [urgent["id"]]


async def test_the_list_filters_by_modality_and_patient(client: httpx.AsyncClient, clinic: Clinic):
    ct = await order(client, clinic.reception, clinic.patient_id, exam_code="CT-HEAD")
    await order(client, clinic.reception, clinic.patient_id, exam_code="US-ABD")
    other = await order(client, clinic.reception, clinic.other_patient_id, exam_code="CT-CHEST")
    by_modality = await client.get(
        f"{API}/orders", headers=clinic.reception, params={"modality": "CT"}
    )
    assert {o["id"] for o in by_modality.json()["items"]} == {ct["id"], other["id"]}
    by_patient = await client.get(
        f"{API}/orders", headers=clinic.reception, params={"patient_id": clinic.other_patient_id}
    )
    assert [o["id"] for o in by_patient.json()["items"]] == [other["id"]]


async def test_patients_list_only_their_own_orders_and_cannot_open_anothers(
    client: httpx.AsyncClient, clinic: Clinic
):
    mine = await order(client, clinic.reception, clinic.patient_id)
    theirs = await order(client, clinic.reception, clinic.other_patient_id)
    listed = await client.get(f"{API}/orders", headers=clinic.patient)
    assert [o["id"] for o in listed.json()["items"]] == [mine["id"]]
    response = await client.get(f"{API}/orders/{theirs['id']}", headers=clinic.patient)
    assert response.status_code == 403


async def test_a_doctor_without_a_care_relationship_is_refused_unless_breaking_the_glass(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.reception, clinic.other_patient_id)
    refused = await client.get(f"{API}/orders/{created['id']}", headers=clinic.other_doctor)
    assert refused.status_code == 403 and code(refused) == "not_your_patient"
    listed = await client.get(f"{API}/orders", headers=clinic.other_doctor)
    assert listed.json()["total"] == 0
    glass = {**clinic.other_doctor, "X-Break-Glass-Reason": "Covering the ward tonight"}
    allowed = await client.get(f"{API}/orders/{created['id']}", headers=glass)
    assert allowed.status_code == 200


async def test_the_requesting_doctor_sees_their_orders_in_their_list(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(
        client, clinic.reception, clinic.other_patient_id, doctor_user_id=clinic.doctor_user_id
    )
    listed = await client.get(f"{API}/orders", headers=clinic.doctor)
    assert created["id"] in [o["id"] for o in listed.json()["items"]]
    assert (
        await client.get(f"{API}/orders/{created['id']}", headers=clinic.doctor)
    ).status_code == 200


async def test_doctors_and_patients_see_the_report_only_once_verified(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "reported")
    for headers in (clinic.doctor, clinic.patient, clinic.nurse, clinic.reception):
        shown = (await client.get(f"{API}/orders/{created['id']}", headers=headers)).json()
        assert shown["findings"] is None and shown["impression"] is None
        assert shown["report_visible"] is False
    draft = (await client.get(f"{API}/orders/{created['id']}", headers=clinic.radiologist)).json()
    assert draft["impression"] == REPORT["impression"]
    await step(client, clinic.second_radiologist, created["id"], "verify")
    for headers in (clinic.doctor, clinic.nurse):
        shown = (await client.get(f"{API}/orders/{created['id']}", headers=headers)).json()
        assert shown["impression"] == REPORT["impression"] and shown["report_visible"]
    # The patient reads it once the requesting doctor has acknowledged it.
    waiting = (await client.get(f"{API}/orders/{created['id']}", headers=clinic.patient)).json()
    assert waiting["impression"] is None and waiting["report_visible"] is False
    await step(client, clinic.doctor, created["id"], "acknowledge")
    shown = (await client.get(f"{API}/orders/{created['id']}", headers=clinic.patient)).json()
    assert shown["impression"] == REPORT["impression"] and shown["report_visible"]
    front_desk = (
        await client.get(f"{API}/orders/{created['id']}", headers=clinic.reception)
    ).json()
    assert front_desk["findings"] is None  # the front desk handles orders, not reports
