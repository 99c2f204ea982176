"""The appointment pages as the front desk, doctors and patients use them: booking (a
particular doctor or the earliest free one of a department), the visit's buttons, the
doctor's completion form, and what each role may open."""

from __future__ import annotations

import re

from tests.conftest import STRONG_PASSWORD, bearer
from tests.scheduling.factories import (
    book,
    doctor_headers,
    local_day,
    move_into_the_past,
    new_department,
    new_doctor,
    new_patient,
    new_patient_user,
)
from tests.web.pages import csrf_of, sign_in, text_of

TOMORROW = local_day(1).isoformat()


async def _clinic(client, make_user):
    admin_user = await make_user("admin")
    admin = await bearer(client, admin_user.username)
    desk_user = await make_user("receptionist", full_name="Rosa Delgado")
    desk = await bearer(client, desk_user.username)
    department = await new_department(client, admin, name="Cardiology")
    doctor = await new_doctor(
        client, admin, department_id=department["id"], full_name="Dr. Sofia Rossi"
    )
    patient = await new_patient(client, desk, given_name="Oliver", family_name="Nørgaard")
    return admin, desk, desk_user, department, doctor, patient


async def _post_form(client, page_url: str, target: str, **fields: str):
    page = await client.get(page_url)
    assert page.status_code == 200, page.text[:300]
    return await client.post(target, data={"csrf_token": csrf_of(page.text), **fields})


async def test_front_desk_books_the_earliest_free_doctor_of_a_department(client, make_user):
    _admin, _desk, desk_user, department, _doctor, patient = await _clinic(client, make_user)
    await sign_in(client, desk_user.username)
    booked = await _post_form(
        client,
        f"/appointments/new?patient_id={patient['id']}",
        "/appointments/new",
        patient_id=str(patient["id"]),
        choice=f"department:{department['id']}",
        date=TOMORROW,
        time="09:00",
        reason="Chest pain on exertion",
        action="book",
    )
    assert booked.status_code == 303, text_of(booked.text)[:500]
    page = await client.get(booked.headers["location"])
    words = text_of(page.text)
    assert "Booked Oliver Nørgaard with Dr. Sofia Rossi" in words
    assert "Chest pain on exertion" in words
    assert re.search(r'data-status="booked"', page.text)


async def test_a_taken_slot_is_refused_with_the_reason_and_the_form_keeps_the_choice(
    client, make_user
):
    _admin, desk, desk_user, _dept, doctor, patient = await _clinic(client, make_user)
    other = await new_patient(client, desk)
    await book(client, desk, other["id"], f"{TOMORROW}T10:00:00+00:00", doctor["id"])
    await sign_in(client, desk_user.username)
    refused = await _post_form(
        client,
        f"/appointments/new?patient_id={patient['id']}",
        "/appointments/new",
        patient_id=str(patient["id"]),
        choice=f"doctor:{doctor['id']}",
        date=TOMORROW,
        time="10:00",
        action="book",
    )
    assert refused.status_code == 200
    assert "That slot has just been taken" in text_of(refused.text)
    assert f'value="doctor:{doctor["id"]}" selected' in refused.text
    # The free times are listed right there, without the taken one.
    assert 'value="10:30"' in refused.text and 'value="10:00"' not in refused.text


async def test_booking_without_a_time_or_off_the_grid_says_what_to_fix(client, make_user):
    _admin, _desk, desk_user, _dept, doctor, patient = await _clinic(client, make_user)
    await sign_in(client, desk_user.username)
    fields = {
        "patient_id": str(patient["id"]),
        "choice": f"doctor:{doctor['id']}",
        "date": TOMORROW,
        "action": "book",
    }
    url = f"/appointments/new?patient_id={patient['id']}"
    no_time = await _post_form(client, url, "/appointments/new", **fields, time="")
    assert no_time.status_code == 200 and "Choose a time." in text_of(no_time.text)
    off_grid = await _post_form(client, url, "/appointments/new", **fields, time="09:10")
    assert off_grid.status_code == 200
    assert "is not one of them" in text_of(off_grid.text)


async def test_showing_free_times_books_nothing(client, make_user):
    _admin, desk, desk_user, _dept, doctor, patient = await _clinic(client, make_user)
    await sign_in(client, desk_user.username)
    shown = await _post_form(
        client,
        f"/appointments/new?patient_id={patient['id']}",
        "/appointments/new",
        patient_id=str(patient["id"]),
        choice=f"doctor:{doctor['id']}",
        date=TOMORROW,
        action="slots",
    )
    assert shown.status_code == 200
    assert len(re.findall(r'name="time" value="\d\d:\d\d"', shown.text)) == 20  # 08:00-18:00
    listed = await client.get("/api/v1/appointments", headers=desk)
    assert listed.json()["total"] == 0


async def test_check_in_from_the_queue_then_the_doctor_signs_the_visits_encounter(
    app, client, make_user
):
    _admin, desk, desk_user, _dept, doctor, patient = await _clinic(client, make_user)
    appointment = await book(
        client, desk, patient["id"], f"{TOMORROW}T09:00:00+00:00", doctor["id"]
    )
    await move_into_the_past(app, appointment["id"], 1)  # the visit's day has come
    day = local_day(0).isoformat()
    await sign_in(client, desk_user.username)
    checked = await _post_form(
        client,
        f"/appointments?date={day}",
        f"/appointments/{appointment['id']}/check-in",
        return_to=f"/appointments?date={day}",
    )
    assert checked.status_code == 303
    assert checked.headers["location"] == f"/appointments?date={day}"
    listed = await client.get(checked.headers["location"])
    assert 'data-status="checked_in"' in listed.text

    client.cookies.clear()
    await sign_in(client, doctor["username"])
    page_url = f"/appointments/{appointment['id']}"
    page = await client.get(page_url)
    assert 'name="diagnosis"' not in page.text and 'name="prescription"' not in page.text
    assert f'href="/encounters/new?appointment_id={appointment["id"]}"' in page.text
    form_url = f"/encounters/new?appointment_id={appointment['id']}"
    missing = await _post_form(
        client,
        form_url,
        "/encounters/new",
        chief_complaint="",
        plan="Rest",
        patient_id=str(patient["id"]),
        appointment_id=str(appointment["id"]),
        action="save",
    )
    assert missing.status_code == 200
    assert ">Rest</textarea>" in missing.text  # what the doctor typed is kept
    saved = await _post_form(
        client,
        form_url,
        "/encounters/new",
        chief_complaint="Chest pain on exertion",
        assessment="Stable angina",
        plan="Stress test booked.",
        new_code="I20.8",
        patient_id=str(patient["id"]),
        appointment_id=str(appointment["id"]),
        action="save",
    )
    assert saved.status_code == 303, saved.text
    encounter_url = saved.headers["location"]
    signed = await _post_form(client, encounter_url, f"{encounter_url}/sign")
    assert signed.status_code == 303
    record = await client.get(encounter_url)
    assert "Next steps" in text_of(record.text)  # prescribe, order, book the follow-up
    assert f"/prescriptions/new?patient_id={patient['id']}" in record.text
    page = await client.get(page_url)
    assert 'data-status="completed"' in page.text
    shown = await client.get(f"{page_url}/record", follow_redirects=True)
    assert "I20.8" in shown.text and "Stable angina" in text_of(shown.text)


async def test_another_doctor_sees_no_completion_form_and_cannot_complete(app, client, make_user):
    admin, desk, _desk_user, department, doctor, patient = await _clinic(client, make_user)
    other = await new_doctor(client, admin, department_id=department["id"])
    appointment = await book(
        client, desk, patient["id"], f"{TOMORROW}T09:00:00+00:00", doctor["id"]
    )
    await move_into_the_past(app, appointment["id"], 1)
    await client.post(f"/api/v1/appointments/{appointment['id']}/check-in", headers=desk)
    await sign_in(client, other["username"])
    page = await client.get(f"/appointments/{appointment['id']}")
    assert page.status_code == 403  # not their appointment
    refused = await client.post(
        f"/api/v1/appointments/{appointment['id']}/complete",
        headers=await doctor_headers(client, other),
    )
    assert refused.json()["code"] == "not_your_appointment"


async def test_cancelling_needs_a_reason_and_frees_the_slot(client, make_user):
    _admin, desk, desk_user, _dept, doctor, patient = await _clinic(client, make_user)
    appointment = await book(
        client, desk, patient["id"], f"{TOMORROW}T09:00:00+00:00", doctor["id"]
    )
    await sign_in(client, desk_user.username)
    url = f"/appointments/{appointment['id']}"
    no_reason = await _post_form(client, url, f"{url}/cancel", reason="")
    assert no_reason.status_code == 200
    assert 'id="e-reason"' in no_reason.text
    cancelled = await _post_form(client, url, f"{url}/cancel", reason="Patient phoned")
    assert cancelled.status_code == 303
    page = await client.get(url)
    assert 'data-status="cancelled"' in page.text and "Patient phoned" in text_of(page.text)
    slots = await client.get(
        f"/api/v1/doctors/{doctor['id']}/slots", params={"date": TOMORROW}, headers=desk
    )
    assert any(s["start"].startswith(f"{TOMORROW}T09:00") for s in slots.json())


async def test_rescheduling_from_the_page_moves_the_visit_to_a_free_time(client, make_user):
    _admin, desk, desk_user, _dept, doctor, patient = await _clinic(client, make_user)
    appointment = await book(
        client, desk, patient["id"], f"{TOMORROW}T09:00:00+00:00", doctor["id"]
    )
    await sign_in(client, desk_user.username)
    url = f"/appointments/{appointment['id']}"
    picker = await client.get(url, params={"reschedule_date": TOMORROW})
    assert 'data-testid="reschedule-slots"' in picker.text
    moved = await client.post(
        f"{url}/reschedule",
        data={"csrf_token": csrf_of(picker.text), "date": TOMORROW, "time": "11:30"},
    )
    assert moved.status_code == 303
    page = await client.get(url)
    assert "11:30–12:00" in text_of(page.text)


async def test_a_patient_books_for_themselves_and_sees_only_their_own_visits(client, make_user):
    _admin, desk, _desk_user, department, doctor, someone = await _clinic(client, make_user)
    others = await book(client, desk, someone["id"], f"{TOMORROW}T09:00:00+00:00", doctor["id"])
    _headers, me = await new_patient_user(client, username="paula")
    await sign_in(client, "paula", STRONG_PASSWORD)
    form = await client.get("/appointments/new")
    assert 'data-testid="booking-patient"' in form.text and "Find patient" not in form.text
    booked = await client.post(
        "/appointments/new",
        data={
            "csrf_token": csrf_of(form.text),
            "patient_id": str(someone["id"]),  # ignored: a patient books for themselves
            "choice": f"department:{department['id']}",
            "date": TOMORROW,
            "time": "09:00",
            "action": "book",
        },
    )
    assert booked.status_code == 303
    mine = await client.get(booked.headers["location"])
    assert "Paula Fischer" in text_of(mine.text)
    assert "09:30" in text_of(mine.text)  # 09:00 was taken by someone else
    assert (await client.get(f"/appointments/{others['id']}")).status_code == 403
    listed = await client.get("/appointments")
    assert "Oliver Nørgaard" not in text_of(listed.text)
    assert me["patient_id"]
