"""Every answer that names patients writes an audit row saying whose (the duplicate check, the
409 possible_duplicate in the API and on the registration page, notification lists), and
every object-level refusal on appointments and renewal requests is audited as denied."""

from __future__ import annotations

from typing import Any

from openward.core import audit
from openward.db import session_scope
from openward.notifications import service as notifications_service
from tests.conftest import bearer
from tests.pharmacy.factories import item, medicine, pharmacy, prescribe
from tests.scheduling.factories import (
    at,
    book,
    code,
    doctor_headers,
    new_doctor,
    new_patient,
    new_patient_user,
)
from tests.web.pages import sign_in, submit, text_of

JOSE = {
    "given_name": "José",
    "family_name": "García",
    "date_of_birth": "1971-06-02",
    "sex": "male",
}


async def rows(app: Any, action: str, outcome: str | None = None) -> list[Any]:
    """Audit events of one action, oldest first (read from the trail itself)."""
    async with session_scope(app.state.sessionmaker) as db:
        found, _ = await audit.search(db, action=action, outcome=outcome, limit=500)
    return list(reversed(found))


def detail(event: Any) -> dict[str, Any]:
    import json

    return json.loads(event.detail or "{}")


async def _two_josés(client, desk) -> list[int]:
    first = await new_patient(client, desk, **JOSE)
    second = await client.post(
        "/api/v1/patients", headers=desk, json={**JOSE, "allow_duplicate": True}
    )
    assert second.status_code == 201, second.text
    return sorted([first["id"], second.json()["id"]])


# ---------------------------------------------------------------- the duplicate check


async def test_the_duplicates_endpoint_audits_every_patient_it_lists(app, client, as_role):
    desk = await as_role("receptionist")
    josés = await _two_josés(client, desk)
    response = await client.get(
        "/api/v1/patients/duplicates",
        headers=desk,
        params={"given_name": "José", "family_name": "García", "date_of_birth": "1971-06-02"},
    )
    assert response.status_code == 200
    assert sorted(p["id"] for p in response.json()["items"]) == josés
    [event] = await rows(app, "patient.duplicates")
    assert event.actor_role == "receptionist" and event.outcome == "success"
    assert detail(event)["patients"] == josés


async def test_a_409_possible_duplicate_keeps_an_audit_row_naming_the_look_alike(
    app, client, as_role
):
    desk = await as_role("receptionist")
    first = await new_patient(client, desk, **JOSE)
    again = await client.post("/api/v1/patients", headers=desk, json=JOSE)
    assert again.status_code == 409 and code(again) == "possible_duplicate"
    [event] = await rows(app, "patient.duplicates")
    assert event.patient_id == first["id"] and detail(event)["patients"] == [first["id"]]


async def test_the_registration_page_audits_the_look_alikes_it_warns_about(
    app, client, make_user, as_role
):
    desk_headers = await as_role("receptionist")
    josés = await _two_josés(client, desk_headers)
    desk = await make_user("receptionist")
    assert (await sign_in(client, desk.username)).status_code == 303
    warned = await submit(
        client,
        "/patients/new",
        given_name="José",
        family_name="García",
        date_of_birth="1971-06-02",
        sex="male",
    )
    assert warned.status_code == 200  # the form again, with the warning (not an error page)
    assert "This patient may already be registered" in text_of(warned.text)
    [event] = await rows(app, "patient.duplicates")
    assert event.actor_username == desk.username and detail(event)["patients"] == josés


# ---------------------------------------------------------------- notifications


async def _notified_doctor(app, client, as_role, make_user):
    desk = await as_role("receptionist")
    patient = await new_patient(client, desk, given_name="Ana", family_name="Pérez")
    doctor = await make_user("doctor")
    async with session_scope(app.state.sessionmaker) as db:
        note = await notifications_service.notify(
            db,
            doctor.id,
            kind="lab.critical_result",
            title="Critical lab result: Ana Pérez",
            patient_id=patient["id"],
        )
        await notifications_service.notify(db, doctor.id, kind="system", title="Welcome")
    return doctor, patient, note


async def test_a_notification_list_that_names_a_patient_is_audited(app, client, as_role, make_user):
    doctor, patient, _note = await _notified_doctor(app, client, as_role, make_user)
    listed = await client.get(
        "/api/v1/notifications", headers=await bearer(client, doctor.username)
    )
    assert listed.status_code == 200
    assert "Critical lab result: Ana Pérez" in [n["title"] for n in listed.json()["items"]]
    [event] = await rows(app, "notification.list")
    assert event.actor_id == doctor.id and event.patient_id == patient["id"]
    assert detail(event)["patients"] == [patient["id"]]


async def test_the_notifications_page_and_opening_one_are_audited(app, client, as_role, make_user):
    doctor, patient, note = await _notified_doctor(app, client, as_role, make_user)
    assert (await sign_in(client, doctor.username)).status_code == 303
    page = await client.get("/notifications")
    assert "Critical lab result: Ana Pérez" in text_of(page.text)
    [listed] = await rows(app, "notification.list")
    assert listed.patient_id == patient["id"]
    opened = await client.post(
        f"/api/v1/notifications/{note.id}/read", headers=await bearer(client, doctor.username)
    )
    assert opened.status_code == 200
    [read] = await rows(app, "notification.read")
    assert read.patient_id == patient["id"] and read.object_id == str(note.id)


# ---------------------------------------------------------------- appointment refusals


async def test_a_doctor_opening_another_doctors_appointment_is_audited_as_denied(
    app, client, as_role
):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    mine = await new_doctor(client, admin)
    theirs = await new_doctor(client, admin)
    patient = await new_patient(client, desk)
    visit = await book(client, desk, patient["id"], at(1, 10), mine["id"])
    other = await doctor_headers(client, theirs)
    for method, path in (
        ("GET", f"/api/v1/appointments/{visit['id']}"),
        ("POST", f"/api/v1/appointments/{visit['id']}/check-in"),
    ):
        response = await client.request(method, path, headers=other)
        assert response.status_code == 403 and code(response) == "not_your_appointment"
    completed = await client.post(
        f"/api/v1/appointments/{visit['id']}/complete",
        headers=other,
        json={"diagnosis": "Flu", "treatment_notes": None, "prescription": None},
    )
    assert completed.status_code == 403 and code(completed) == "not_your_appointment"
    denied = await rows(app, "appointment.read", outcome="denied")
    assert len(denied) == 3
    assert {e.patient_id for e in denied} == {patient["id"]}
    assert {e.object_id for e in denied} == {str(visit["id"])}
    assert {detail(e)["why"] for e in denied} == {"not_your_appointment"}


async def test_a_patient_touching_someone_elses_appointment_is_audited_as_denied(
    app, client, as_role
):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    me, _mine = await new_patient_user(client)
    _other_headers, other = await new_patient_user(client, full_name="Omar Haddad")
    visit = await book(client, desk, other["patient_id"], at(1, 10), doctor["id"])
    seen = await client.get(f"/api/v1/appointments/{visit['id']}", headers=me)
    assert seen.status_code == 403 and code(seen) == "not_your_record"
    cancel = await client.post(
        f"/api/v1/appointments/{visit['id']}/cancel", headers=me, json={"reason": "Not me"}
    )
    assert cancel.status_code == 403
    booked = await client.post(
        "/api/v1/appointments",
        headers=me,
        json={
            "patient_id": other["patient_id"],
            "start": at(2, 10).isoformat(),
            "doctor_id": doctor["id"],
        },
    )
    assert booked.status_code == 403 and code(booked) == "not_your_record"
    denied = await rows(app, "appointment.read", outcome="denied")
    assert [(e.patient_id, detail(e)["why"]) for e in denied] == [
        (other["patient_id"], "not_your_record")
    ] * 2
    [refused] = await rows(app, "appointment.book", outcome="denied")
    assert refused.patient_id == other["patient_id"]


# ---------------------------------------------------------------- renewal requests


async def test_only_the_prescriber_decides_a_renewal_and_another_doctor_is_audited(
    app, client, as_role
):
    ph = await pharmacy(client, as_role)
    colleague_row = await new_doctor(client, ph.admin, department_id=ph.doctor_row["department_id"])
    on_team = await client.post(
        f"/api/v1/patients/{ph.patient_id}/care-team",
        headers=ph.admin,
        json={"doctor_id": colleague_row["id"]},
    )
    assert on_team.status_code == 201, on_team.text
    colleague = await doctor_headers(client, colleague_row)
    metformin = await medicine(client, ph.pharmacist, "metformin")
    original = await prescribe(client, ph.doctor, ph.patient_id, item(metformin["id"], 56))
    asked = await client.post(
        f"/api/v1/prescriptions/{original['id']}/renewal-requests", headers=ph.patient, json={}
    )
    request_id = asked.json()["id"]

    for action, body in (("approve", {}), ("decline", {"note": "Book a review first"})):
        refused = await client.post(
            f"/api/v1/renewal-requests/{request_id}/{action}", headers=colleague, json=body
        )
        assert refused.status_code == 403 and code(refused) == "not_the_prescriber"
    denied = await rows(app, "renewal.decide", outcome="denied")
    assert len(denied) == 2
    assert {(e.patient_id, e.object_id) for e in denied} == {(ph.patient_id, str(request_id))}

    approved = await client.post(
        f"/api/v1/renewal-requests/{request_id}/approve", headers=ph.doctor, json={}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


async def test_a_patient_asking_to_renew_someone_elses_prescription_is_audited(
    app, client, as_role
):
    ph = await pharmacy(client, as_role)
    stranger, _ = await new_patient_user(client, full_name="Omar Haddad")
    metformin = await medicine(client, ph.pharmacist, "metformin")
    original = await prescribe(client, ph.doctor, ph.patient_id, item(metformin["id"], 56))
    refused = await client.post(
        f"/api/v1/prescriptions/{original['id']}/renewal-requests", headers=stranger, json={}
    )
    assert refused.status_code == 403 and code(refused) == "not_your_prescription"
    [event] = await rows(app, "renewal.request", outcome="denied")
    assert event.patient_id == ph.patient_id and event.object_id == str(original["id"])
