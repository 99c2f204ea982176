"""Booking through /api/v1/appointments: every booking rule with the request that breaks it
and the code that comes back, the choice of doctor for a department, rescheduling, the
status machine, who may complete a visit, freed slots, and the list with its filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from tests.scheduling.factories import (
    act,
    at,
    book,
    code,
    doctor_headers,
    ids,
    iso,
    local_day,
    move_into_the_past,
    new_department,
    new_doctor,
    new_patient,
    new_patient_user,
    parse,
    sign_visit,
    slot_starts,
    slots,
    try_book,
)


@dataclass
class Clinic:
    admin: dict
    receptionist: dict
    nurse: dict
    doctor: dict  # DoctorOut
    doctor_headers: dict
    patient: dict  # PatientOut


async def _clinic(client, as_role) -> Clinic:
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    nurse = await as_role("nurse")
    doctor = await new_doctor(client, admin)
    return Clinic(
        admin=admin,
        receptionist=receptionist,
        nurse=nurse,
        doctor=doctor,
        doctor_headers=await doctor_headers(client, doctor),
        patient=await new_patient(client, receptionist),
    )


async def _get(client, headers, appointment_id: int) -> dict:
    response = await client.get(f"/api/v1/appointments/{appointment_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------- a good booking


async def test_booking_a_free_slot_returns_201_booked_with_names_and_the_slot_end(client, as_role):
    c = await _clinic(client, as_role)
    response = await try_book(
        client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"], reason="Chest pain"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "booked"
    assert body["patient_id"] == c.patient["id"] and body["doctor_id"] == c.doctor["id"]
    assert body["patient_name"] == c.patient["full_name"]
    assert body["patient_mrn"].replace("-", "") == c.patient["mrn"]
    assert body["doctor_name"] == c.doctor["full_name"]
    assert body["department_id"] == c.doctor["department_id"]
    assert body["department_name"] == c.doctor["department_name"]
    assert parse(body["start"]) == at(1, 9)
    assert parse(body["end"]) == at(1, 9, 30)
    assert body["reason"] == "Chest pain"
    assert body["checked_in_at"] is None and body["cancelled_at"] is None
    assert await _get(client, c.receptionist, body["id"]) == body


async def test_a_time_without_an_offset_is_the_hospitals_local_time(client, as_role):
    c = await _clinic(client, as_role)
    naive = f"{local_day(1).isoformat()}T10:30:00"
    body = await book(client, c.receptionist, c.patient["id"], naive, c.doctor["id"])
    assert parse(body["start"]) == at(1, 10, 30)


async def test_a_patient_books_for_themselves(client, as_role):
    c = await _clinic(client, as_role)
    headers, registered = await new_patient_user(client)
    body = await book(client, headers, registered["patient_id"], at(1, 9), c.doctor["id"])
    assert body["patient_id"] == registered["patient_id"] and body["status"] == "booked"


# ---------------------------------------------------------------- each booking rule


async def test_booking_outside_the_doctors_hours_returns_422_outside_availability(client, as_role):
    c = await _clinic(client, as_role)
    for start in (at(1, 7, 30), at(1, 18), at(1, 20)):
        response = await try_book(client, c.receptionist, c.patient["id"], start, c.doctor["id"])
        assert response.status_code == 422, start
        assert code(response) == "outside_availability", start


async def test_booking_off_the_slot_grid_returns_422_outside_availability(client, as_role):
    c = await _clinic(client, as_role)
    for start in (at(1, 9, 10), at(1, 9, 45), at(1, 9, 0) + timedelta(seconds=30)):
        response = await try_book(client, c.receptionist, c.patient["id"], start, c.doctor["id"])
        assert response.status_code == 422, start
        assert code(response) == "outside_availability", start
    assert (await client.get("/api/v1/appointments", headers=c.admin)).json()["total"] == 0


async def test_booking_on_a_weekday_without_hours_returns_422_outside_availability(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    tomorrow = at(1, 9)
    other_days = [
        {"weekday": d, "start": "08:00", "end": "18:00"}
        for d in range(7)
        if d != tomorrow.weekday()
    ]
    doctor = await new_doctor(client, admin, weekly=other_days)
    patient = await new_patient(client, receptionist)
    response = await try_book(client, receptionist, patient["id"], tomorrow, doctor["id"])
    assert response.status_code == 422 and code(response) == "outside_availability"


async def test_booking_in_the_past_returns_422_in_the_past(client, as_role):
    c = await _clinic(client, as_role)
    response = await try_book(client, c.receptionist, c.patient["id"], at(-1, 9), c.doctor["id"])
    assert response.status_code == 422 and code(response) == "in_the_past"


async def test_booking_an_inactive_doctor_returns_409_doctor_inactive(client, as_role):
    c = await _clinic(client, as_role)
    deactivated = await client.post(
        f"/api/v1/doctors/{c.doctor['id']}/deactivate", headers=c.admin, json={"reason": "Retired"}
    )
    assert deactivated.status_code == 200, deactivated.text
    response = await try_book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    assert response.status_code == 409 and code(response) == "doctor_inactive"


async def test_booking_for_an_inactive_patient_returns_409_patient_inactive(client, as_role):
    c = await _clinic(client, as_role)
    deactivated = await client.post(
        f"/api/v1/patients/{c.patient['id']}/deactivate",
        headers=c.receptionist,
        json={"reason": "Merged into another record"},
    )
    assert deactivated.status_code == 200, deactivated.text
    response = await try_book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    assert response.status_code == 409 and code(response) == "patient_inactive"


async def test_booking_a_taken_slot_returns_409_slot_taken(client, as_role):
    c = await _clinic(client, as_role)
    await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    other = await new_patient(client, c.receptionist)
    response = await try_book(client, c.nurse, other["id"], at(1, 9), c.doctor["id"])
    assert response.status_code == 409 and code(response) == "slot_taken"
    assert (await client.get("/api/v1/appointments", headers=c.admin)).json()["total"] == 1


async def test_booking_a_patient_already_booked_at_that_time_returns_409_patient_busy(
    client, as_role
):
    c = await _clinic(client, as_role)
    other_doctor = await new_doctor(client, c.admin)
    await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    response = await try_book(client, c.receptionist, c.patient["id"], at(1, 9), other_doctor["id"])
    assert response.status_code == 409 and code(response) == "patient_busy"


async def test_a_patient_booking_for_another_patient_returns_403_not_your_record(client, as_role):
    c = await _clinic(client, as_role)
    headers, _ = await new_patient_user(client)
    response = await try_book(client, headers, c.patient["id"], at(1, 9), c.doctor["id"])
    assert response.status_code == 403 and code(response) == "not_your_record"
    assert (await client.get("/api/v1/appointments", headers=c.admin)).json()["total"] == 0


async def test_booking_an_unknown_doctor_or_patient_returns_404(client, as_role):
    c = await _clinic(client, as_role)
    no_doctor = await try_book(client, c.receptionist, c.patient["id"], at(1, 9), 999999)
    assert no_doctor.status_code == 404 and code(no_doctor) == "doctor_not_found"
    no_patient = await try_book(client, c.receptionist, 999999, at(1, 9), c.doctor["id"])
    assert no_patient.status_code == 404 and code(no_patient) == "patient_not_found"


async def test_roles_without_booking_rights_get_403_permission_denied(client, as_role):
    c = await _clinic(client, as_role)
    pharmacist = await as_role("pharmacist")
    response = await try_book(client, pharmacist, c.patient["id"], at(1, 9), c.doctor["id"])
    assert response.status_code == 403 and code(response) == "permission_denied"


# ---------------------------------------------------------------- choosing the doctor


async def test_booking_by_department_picks_the_doctor_with_the_earliest_free_slot(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    department = await new_department(client, admin)
    late_starter = await new_doctor(
        client,
        admin,
        department_id=department["id"],
        weekly=[{"weekday": d, "start": "10:00", "end": "18:00"} for d in range(7)],
    )
    early_bird = await new_doctor(client, admin, department_id=department["id"])
    # The early bird's 08:00 is taken: their earliest free slot is 08:30, still before 10:00.
    await book(
        client,
        receptionist,
        (await new_patient(client, receptionist))["id"],
        at(1, 8),
        early_bird["id"],
    )
    patient = await new_patient(client, receptionist)
    body = await book(client, receptionist, patient["id"], at(1, 8), department_id=department["id"])
    assert body["doctor_id"] == early_bird["id"]
    assert parse(body["start"]) == at(1, 8, 30)
    assert late_starter["id"] != body["doctor_id"]


async def test_booking_by_department_spreads_the_load_over_doctors_with_equal_hours(
    client, as_role
):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    department = await new_department(client, admin)
    first = await new_doctor(client, admin, department_id=department["id"])
    second = await new_doctor(client, admin, department_id=department["id"])
    chosen = []
    for _ in range(2):
        patient = await new_patient(client, receptionist)
        body = await book(
            client, receptionist, patient["id"], at(1, 9), department_id=department["id"]
        )
        assert parse(body["start"]) == at(1, 9)
        chosen.append(body["doctor_id"])
    assert sorted(chosen) == sorted([first["id"], second["id"]])


async def test_on_a_tie_the_doctor_with_fewer_appointments_that_day_is_chosen(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    department = await new_department(client, admin)
    busy = await new_doctor(client, admin, department_id=department["id"])
    quiet = await new_doctor(client, admin, department_id=department["id"])
    for hour in (14, 15):
        await book(
            client,
            receptionist,
            (await new_patient(client, receptionist))["id"],
            at(1, hour),
            busy["id"],
        )
    patient = await new_patient(client, receptionist)
    body = await book(client, receptionist, patient["id"], at(1, 9), department_id=department["id"])
    assert body["doctor_id"] == quiet["id"]


async def test_booking_by_specialization_picks_a_doctor_of_that_specialization(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    await new_doctor(client, admin, specialization="Dermatology")
    cardiologist = await new_doctor(client, admin, specialization="Cardiology")
    patient = await new_patient(client, receptionist)
    body = await book(client, receptionist, patient["id"], at(1, 9), specialization="Cardiology")
    assert body["doctor_id"] == cardiologist["id"] and parse(body["start"]) == at(1, 9)


async def test_booking_by_department_moves_to_the_next_day_when_today_is_full(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    department = await new_department(client, admin)
    doctor = await new_doctor(
        client,
        admin,
        department_id=department["id"],
        weekly=[{"weekday": d, "start": "09:00", "end": "10:00"} for d in range(7)],
    )
    for minute in (0, 30):
        await book(
            client,
            receptionist,
            (await new_patient(client, receptionist))["id"],
            at(1, 9, minute),
            doctor["id"],
        )
    patient = await new_patient(client, receptionist)
    body = await book(client, receptionist, patient["id"], at(1, 9), department_id=department["id"])
    assert body["doctor_id"] == doctor["id"] and parse(body["start"]) == at(2, 9)


async def test_a_department_without_working_doctors_returns_409_no_free_slot(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    department = await new_department(client, admin)
    await new_doctor(client, admin, department_id=department["id"], weekly=[])
    retired = await new_doctor(client, admin, department_id=department["id"])
    await client.post(
        f"/api/v1/doctors/{retired['id']}/deactivate", headers=admin, json={"reason": "Retired"}
    )
    patient = await new_patient(client, receptionist)
    response = await try_book(
        client, receptionist, patient["id"], at(1, 9), department_id=department["id"]
    )
    assert response.status_code == 409 and code(response) == "no_free_slot"


# ---------------------------------------------------------------- rescheduling


async def test_rescheduling_to_a_taken_slot_returns_409_slot_taken(client, as_role):
    c = await _clinic(client, as_role)
    mine = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    other = await new_patient(client, c.receptionist)
    await book(client, c.receptionist, other["id"], at(1, 10), c.doctor["id"])
    response = await client.patch(
        f"/api/v1/appointments/{mine['id']}", headers=c.receptionist, json={"start": iso(1, 10)}
    )
    assert response.status_code == 409 and code(response) == "slot_taken"
    assert parse((await _get(client, c.receptionist, mine["id"]))["start"]) == at(1, 9)


async def test_rescheduling_to_a_free_slot_moves_it_and_frees_the_old_slot(client, as_role):
    c = await _clinic(client, as_role)
    mine = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    assert at(1, 9) not in slot_starts(
        await slots(client, c.receptionist, c.doctor["id"], local_day(1))
    )

    response = await client.patch(
        f"/api/v1/appointments/{mine['id']}", headers=c.receptionist, json={"start": iso(2, 11)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == mine["id"] and body["status"] == "booked"
    assert parse(body["start"]) == at(2, 11) and parse(body["end"]) == at(2, 11, 30)
    assert at(1, 9) in slot_starts(
        await slots(client, c.receptionist, c.doctor["id"], local_day(1))
    )
    assert at(2, 11) not in slot_starts(
        await slots(client, c.receptionist, c.doctor["id"], local_day(2))
    )


async def test_rescheduling_follows_the_booking_rules(client, as_role):
    c = await _clinic(client, as_role)
    mine = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    for start, status, expected in [
        (at(1, 9, 10), 422, "outside_availability"),
        (at(1, 19), 422, "outside_availability"),
        (at(-1, 9), 422, "in_the_past"),
    ]:
        response = await client.patch(
            f"/api/v1/appointments/{mine['id']}",
            headers=c.receptionist,
            json={"start": start.isoformat()},
        )
        assert response.status_code == status and code(response) == expected, start
    assert parse((await _get(client, c.receptionist, mine["id"]))["start"]) == at(1, 9)


async def test_rescheduling_onto_the_patients_other_appointment_returns_409_patient_busy(
    client, as_role
):
    c = await _clinic(client, as_role)
    other_doctor = await new_doctor(client, c.admin)
    await book(client, c.receptionist, c.patient["id"], at(1, 11), other_doctor["id"])
    mine = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    response = await client.patch(
        f"/api/v1/appointments/{mine['id']}", headers=c.receptionist, json={"start": iso(1, 11)}
    )
    assert response.status_code == 409 and code(response) == "patient_busy"


async def test_only_a_booked_appointment_can_be_rescheduled(client, app, as_role):
    c = await _clinic(client, as_role)
    mine = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    await move_into_the_past(app, mine["id"], 1)  # its day has come: it can be checked in
    assert (await act(client, c.nurse, mine["id"], "check-in")).status_code == 200
    response = await client.patch(
        f"/api/v1/appointments/{mine['id']}", headers=c.receptionist, json={"start": iso(2, 9)}
    )
    assert response.status_code == 409
    assert parse((await _get(client, c.receptionist, mine["id"]))["start"]) == at(0, 9)


# ---------------------------------------------------------------- the status machine


async def test_a_visit_is_completed_by_signing_its_encounter_and_not_before(client, app, as_role):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    await move_into_the_past(app, appointment["id"], 1)  # the visit's day
    checked_in = await act(client, c.receptionist, appointment["id"], "check-in")
    assert checked_in.status_code == 200, checked_in.text
    assert checked_in.json()["status"] == "checked_in" and checked_in.json()["checked_in_at"]

    early = await act(client, c.doctor_headers, appointment["id"], "complete")
    assert early.status_code == 409 and code(early) == "encounter_required"
    assert (await _get(client, c.nurse, appointment["id"]))["status"] == "checked_in"

    signed = await sign_visit(
        client, c.doctor_headers, checked_in.json(), {"next_visit_date": local_day(15).isoformat()}
    )
    assert signed.status_code == 200, signed.text
    visit = await _get(client, c.nurse, appointment["id"])
    assert visit["status"] == "completed" and visit["completed_at"]
    again = await act(client, c.doctor_headers, appointment["id"], "complete")
    assert again.status_code == 200 and again.json()["status"] == "completed"

    history = (
        await client.get(f"/api/v1/patients/{c.patient['id']}/history", headers=c.nurse)
    ).json()
    [item] = history["items"]
    assert item["encounter"]["encounter_id"] == signed.json()["id"]
    assert [d["code"] for d in item["encounter"]["diagnoses"]] == ["J30.1"]
    assert item["encounter"]["next_visit_date"] == local_day(15).isoformat()


async def test_signing_needs_the_patient_checked_in_and_a_coded_diagnosis(client, app, as_role):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    await move_into_the_past(app, appointment["id"], 1)
    not_arrived = await sign_visit(client, c.doctor_headers, appointment)
    assert not_arrived.status_code == 409 and code(not_arrived) == "invalid_transition"
    assert (await _get(client, c.nurse, appointment["id"]))["status"] == "booked"
    assert (await act(client, c.nurse, appointment["id"], "check-in")).status_code == 200
    encounter = (
        await client.get(f"/api/v1/patients/{c.patient['id']}/encounters", headers=c.doctor_headers)
    ).json()["items"][0]
    assert encounter["status"] == "draft"  # the refused signing left the draft as it was
    cleared = await client.patch(
        f"/api/v1/encounters/{encounter['id']}", headers=c.doctor_headers, json={"diagnoses": []}
    )
    assert cleared.status_code == 200, cleared.text
    uncoded = await client.post(
        f"/api/v1/encounters/{encounter['id']}/sign", headers=c.doctor_headers
    )
    assert uncoded.status_code == 422 and code(uncoded) == "diagnosis_required"
    assert (await _get(client, c.nurse, appointment["id"]))["status"] == "checked_in"


@pytest.mark.parametrize("state", ["booked", "cancelled", "no_show"])
async def test_completing_a_visit_without_a_signed_encounter_is_409_encounter_required(
    client, app, as_role, state
):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    await move_into_the_past(app, appointment["id"], 2 if state == "no_show" else 1)
    for step in _PATHS[state]:
        assert (await act(client, c.nurse, appointment["id"], step)).status_code == 200
    response = await act(client, c.doctor_headers, appointment["id"], "complete")
    assert response.status_code == 409 and code(response) == "encounter_required"
    assert (await _get(client, c.nurse, appointment["id"]))["status"] == state


async def test_a_booked_appointment_can_be_cancelled_with_a_reason(client, as_role):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    response = await act(
        client, c.receptionist, appointment["id"], "cancel", {"reason": "Feeling better"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "Feeling better"
    assert body["cancelled_at"]


async def test_a_checked_in_appointment_can_be_cancelled(client, app, as_role):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    await move_into_the_past(app, appointment["id"], 1)  # the visit's day
    assert (await act(client, c.nurse, appointment["id"], "check-in")).status_code == 200
    response = await act(client, c.nurse, appointment["id"], "cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"


async def test_a_booked_appointment_can_be_marked_no_show(client, app, as_role):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    await move_into_the_past(app, appointment["id"], 2)  # yesterday's visit: its start passed
    response = await act(client, c.nurse, appointment["id"], "no-show")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "no_show"


# How to bring a fresh booking into each state.
_PATHS = {
    "booked": [],
    "checked_in": ["check-in"],
    "completed": ["check-in", "sign"],
    "cancelled": ["cancel"],
    "no_show": ["no-show"],
}


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("checked_in", "check-in"),
        ("checked_in", "no-show"),
        ("completed", "cancel"),
        ("completed", "check-in"),
        ("completed", "no-show"),
        ("cancelled", "check-in"),
        ("cancelled", "cancel"),
        ("cancelled", "no-show"),
        ("no_show", "check-in"),
        ("no_show", "cancel"),
    ],
)
async def test_a_transition_the_status_machine_forbids_returns_409_invalid_transition(
    client, app, as_role, state, action
):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    # A visit is checked in on its day (today), marked a no-show after its start (yesterday).
    await move_into_the_past(app, appointment["id"], 2 if state == "no_show" else 1)

    def who(step: str) -> dict:
        return c.doctor_headers if step == "complete" else c.nurse

    for step in _PATHS[state]:
        if step == "sign":
            current = await _get(client, c.nurse, appointment["id"])
            response = await sign_visit(client, c.doctor_headers, current)
        else:
            response = await act(client, who(step), appointment["id"], step)
        assert response.status_code == 200, (step, response.text)
    assert (await _get(client, c.nurse, appointment["id"]))["status"] == state

    response = await act(client, who(action), appointment["id"], action)
    assert response.status_code == 409, response.text
    assert code(response) == "invalid_transition"
    assert (await _get(client, c.nurse, appointment["id"]))["status"] == state


async def test_only_the_appointments_own_doctor_completes_it_403_not_your_appointment(
    client, app, as_role
):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    await move_into_the_past(app, appointment["id"], 1)  # the visit's day
    assert (await act(client, c.nurse, appointment["id"], "check-in")).status_code == 200
    colleague = await doctor_headers(client, await new_doctor(client, c.admin))
    response = await act(client, colleague, appointment["id"], "complete")
    assert response.status_code == 403 and code(response) == "not_your_appointment"
    assert (await _get(client, c.nurse, appointment["id"]))["status"] == "checked_in"


async def test_a_nurse_cannot_complete_an_appointment_403_permission_denied(client, app, as_role):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    await move_into_the_past(app, appointment["id"], 1)  # the visit's day
    assert (await act(client, c.nurse, appointment["id"], "check-in")).status_code == 200
    for headers in (c.nurse, c.receptionist, c.admin):
        response = await act(client, headers, appointment["id"], "complete")
        assert response.status_code == 403 and code(response) == "permission_denied"
    assert (await _get(client, c.nurse, appointment["id"]))["status"] == "checked_in"


async def test_a_doctor_checks_in_their_own_patient_but_not_another_doctors(client, app, as_role):
    c = await _clinic(client, as_role)
    mine = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    colleague = await new_doctor(client, c.admin)
    other_patient = await new_patient(client, c.receptionist)
    theirs = await book(client, c.receptionist, other_patient["id"], at(1, 9), colleague["id"])
    for visit in (mine, theirs):  # their day has come
        await move_into_the_past(app, visit["id"], 1)
    for action in ("check-in", "no-show"):
        refused = await act(client, c.doctor_headers, theirs["id"], action)
        assert refused.status_code == 403 and code(refused) == "not_your_appointment", action
    assert (await _get(client, c.nurse, theirs["id"]))["status"] == "booked"
    called_in = await act(client, c.doctor_headers, mine["id"], "check-in")
    assert called_in.status_code == 200 and called_in.json()["status"] == "checked_in"


# ---------------------------------------------------------------- freed slots


async def test_a_cancelled_slot_is_free_again_and_can_be_booked(client, as_role):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    assert (await act(client, c.receptionist, appointment["id"], "cancel")).status_code == 200
    assert at(1, 9) in slot_starts(
        await slots(client, c.receptionist, c.doctor["id"], local_day(1))
    )
    other = await new_patient(client, c.receptionist)
    rebooked = await book(client, c.receptionist, other["id"], at(1, 9), c.doctor["id"])
    assert rebooked["id"] != appointment["id"]
    # The patient whose visit was cancelled is free at that time too.
    again = await book(
        client, c.receptionist, c.patient["id"], at(1, 9), (await new_doctor(client, c.admin))["id"]
    )
    assert again["status"] == "booked"


async def test_a_no_show_slot_is_free_again(client, app, as_role):
    c = await _clinic(client, as_role)
    appointment = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    # A no-show is recorded only after the start: the visit was yesterday's.
    await move_into_the_past(app, appointment["id"], 2)
    assert (await act(client, c.nurse, appointment["id"], "no-show")).status_code == 200
    # The time it held is free: another visit of the doctor may lie there (the database's
    # overlap rule counts only active appointments).
    other = await new_patient(client, c.receptionist)
    second = await book(client, c.receptionist, other["id"], at(1, 9), c.doctor["id"])
    await move_into_the_past(app, second["id"], 2)
    moved = await _get(client, c.receptionist, second["id"])
    assert parse(moved["start"]) == parse(appointment["start"]) - timedelta(days=2)


async def test_a_patient_cancels_their_own_appointment_but_not_someone_elses(client, as_role):
    c = await _clinic(client, as_role)
    headers, registered = await new_patient_user(client)
    mine = await book(client, headers, registered["patient_id"], at(1, 9), c.doctor["id"])
    theirs = await book(client, c.receptionist, c.patient["id"], at(1, 10), c.doctor["id"])
    refused = await act(client, headers, theirs["id"], "cancel")
    assert refused.status_code == 403, refused.text
    assert (await _get(client, c.receptionist, theirs["id"]))["status"] == "booked"
    cancelled = await act(client, headers, mine["id"], "cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


# ---------------------------------------------------------------- the list


async def test_appointments_are_listed_by_start_and_filtered_by_status_doctor_and_date(
    client, as_role
):
    c = await _clinic(client, as_role)
    other_doctor = await new_doctor(client, c.admin)
    p2 = await new_patient(client, c.receptionist)
    p3 = await new_patient(client, c.receptionist)
    late = await book(client, c.receptionist, c.patient["id"], at(3, 10), c.doctor["id"])
    early = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    elsewhere = await book(client, c.receptionist, p2["id"], at(1, 11), other_doctor["id"])
    cancelled = await book(client, c.receptionist, p3["id"], at(1, 12), c.doctor["id"])
    assert (await act(client, c.receptionist, cancelled["id"], "cancel")).status_code == 200

    async def listed(**params) -> list[int]:
        response = await client.get("/api/v1/appointments", headers=c.receptionist, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"])
        return ids(body["items"])

    assert await listed() == [early["id"], elsewhere["id"], cancelled["id"], late["id"]]
    assert await listed(status="cancelled") == [cancelled["id"]]
    assert await listed(status="booked") == [early["id"], elsewhere["id"], late["id"]]
    assert await listed(doctor_id=other_doctor["id"]) == [elsewhere["id"]]
    assert await listed(patient_id=c.patient["id"]) == [early["id"], late["id"]]
    day = local_day(1).isoformat()
    assert await listed(**{"from": day, "to": day}) == [
        early["id"],
        elsewhere["id"],
        cancelled["id"],
    ]
    assert await listed(**{"from": local_day(2).isoformat()}) == [late["id"]]
    assert await listed(doctor_id=c.doctor["id"], status="booked", to=day) == [early["id"]]


async def test_the_list_is_paged(client, as_role):
    c = await _clinic(client, as_role)
    for hour in (9, 10, 11):
        await book(
            client,
            c.receptionist,
            (await new_patient(client, c.receptionist))["id"],
            at(1, hour),
            c.doctor["id"],
        )
    page = (
        await client.get("/api/v1/appointments", headers=c.admin, params={"limit": 2, "offset": 2})
    ).json()
    assert page["total"] == 3 and [parse(a["start"]) for a in page["items"]] == [at(1, 11)]


async def test_a_patient_lists_and_reads_only_their_own_appointments(client, as_role):
    c = await _clinic(client, as_role)
    headers, registered = await new_patient_user(client)
    mine = await book(client, c.receptionist, registered["patient_id"], at(1, 9), c.doctor["id"])
    theirs = await book(client, c.receptionist, c.patient["id"], at(1, 10), c.doctor["id"])

    listing = await client.get("/api/v1/appointments", headers=headers)
    assert listing.status_code == 200, listing.text
    assert ids(listing.json()["items"]) == [mine["id"]] and listing.json()["total"] == 1
    asked_for_theirs = await client.get(
        "/api/v1/appointments", headers=headers, params={"patient_id": c.patient["id"]}
    )
    assert theirs["id"] not in ids(asked_for_theirs.json().get("items", []))
    read = await client.get(f"/api/v1/appointments/{theirs['id']}", headers=headers)
    assert read.status_code in (403, 404)
    assert (
        await client.get(f"/api/v1/appointments/{mine['id']}", headers=headers)
    ).status_code == 200


async def test_a_doctor_lists_only_their_own_appointments(client, as_role):
    c = await _clinic(client, as_role)
    other_doctor = await new_doctor(client, c.admin)
    mine = await book(client, c.receptionist, c.patient["id"], at(1, 9), c.doctor["id"])
    await book(
        client,
        c.receptionist,
        (await new_patient(client, c.receptionist))["id"],
        at(1, 9),
        other_doctor["id"],
    )
    listing = (await client.get("/api/v1/appointments", headers=c.doctor_headers)).json()
    assert ids(listing["items"]) == [mine["id"]] and listing["total"] == 1
