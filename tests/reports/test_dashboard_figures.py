"""The clinic's figures on each role's dashboard (GET /api/v1/dashboard) match what was
booked: the admin's counts, the front desk's queue, the doctor's day, the patient's visits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.scheduling.factories import (
    ENCOUNTER,
    act,
    at,
    book,
    complete,
    doctor_headers,
    move_into_the_past,
    new_department,
    new_doctor,
    new_patient,
    new_patient_user,
)

# Where each figure lives in the dashboard body: (section, key). Change here, once, to
# follow the implementation's names.
KEYS: dict[str, Any] = {
    "admin": {
        "doctors": ("figures", "doctors_active"),  # int: active doctors
        "patients": ("figures", "patients_registered"),  # int: active patients
        "appointments_today": ("figures", "appointments_today"),  # {status: count}
        "appointments_this_week": ("figures", "appointments_week"),  # {status: count}
        "busiest_departments": ("lists", "busiest_departments"),  # rows, busiest first
    },
    "busiest_department_row": {"name": "department_name", "count": "appointments"},
    "receptionist": {
        "queue_by_status": ("figures", "queue_today"),  # {status: count}, today only
        "queue": ("lists", "today_queue"),  # appointment rows, today only
    },
    "doctor": {
        "today": ("lists", "today"),  # their appointment rows today, by start
        "upcoming": ("lists", "upcoming"),  # their appointment rows after now
        "my_patients": ("lists", "my_patients"),  # patient rows (care team + appointments)
    },
    "patient": {
        "upcoming": ("lists", "upcoming"),  # own booked/checked-in rows after now
        "past_visits": ("lists", "past_visits"),  # own past rows, each with its encounter
    },
    "appointment_row_id": "id",
    "patient_row_id": "id",
    "encounter": "encounter",  # {diagnoses, assessment, ...} inside a past visit row
}


def pick(body: dict[str, Any], role: str, name: str) -> Any:
    section, key = KEYS[role][name]
    assert section in body, f"no {section!r} in the {role} dashboard: {sorted(body)}"
    assert key in body[section], (
        f"no {key!r} in the {role} dashboard's {section}: {sorted(body[section])}"
    )
    return body[section][key]


def row_ids(rows: list[dict[str, Any]], kind: str = "appointment_row_id") -> list[int]:
    return [row[KEYS[kind]] for row in rows]


def _mid_morning_zone() -> str:
    """A fixed-offset zone where it is now between 10:00 and 11:00, so that today still has
    free afternoon slots whenever the suite runs (bookings in the past are refused)."""
    offset = (10 - datetime.now(UTC).hour + 12) % 24 - 12  # hours east of UTC, -12..11
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-3 is UTC+3


@pytest.fixture
def settings(settings_factory):
    return settings_factory(timezone=_mid_morning_zone())


async def _dashboard(client, headers, role: str) -> dict[str, Any]:
    response = await client.get("/api/v1/dashboard", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["role"] == role
    return body


async def test_admin_dashboard_counts_doctors_patients_todays_appointments_and_busy_departments(
    client, as_role, settings
):
    zone = settings.zone
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    busy = await new_department(client, admin, name="Cardiology")
    quiet = await new_department(client, admin, name="Dermatology")
    first = await new_doctor(client, admin, department_id=busy["id"])
    second = await new_doctor(client, admin, department_id=busy["id"])
    third = await new_doctor(client, admin, department_id=quiet["id"])
    patients = [await new_patient(client, receptionist) for _ in range(6)]

    await book(client, receptionist, patients[0]["id"], at(0, 13, zone=zone), first["id"])
    await book(client, receptionist, patients[1]["id"], at(0, 13, 30, zone=zone), first["id"])
    await book(client, receptionist, patients[2]["id"], at(0, 13, zone=zone), second["id"])
    cancelled = await book(
        client, receptionist, patients[3]["id"], at(0, 14, zone=zone), second["id"]
    )
    assert (await act(client, receptionist, cancelled["id"], "cancel")).status_code == 200
    await book(client, receptionist, patients[4]["id"], at(0, 13, zone=zone), third["id"])
    await book(client, receptionist, patients[5]["id"], at(1, 9, zone=zone), third["id"])

    body = await _dashboard(client, admin, "admin")
    assert pick(body, "admin", "doctors") == 3
    assert pick(body, "admin", "patients") == 6
    today = pick(body, "admin", "appointments_today")
    assert today.get("booked", 0) == 4 and today.get("cancelled", 0) == 1
    assert sum(today.values()) == 5
    week = pick(body, "admin", "appointments_this_week")
    # Tomorrow may fall in next week; today's five are in this week whatever the day.
    assert week.get("booked", 0) in (4, 5) and week.get("cancelled", 0) == 1

    busiest = pick(body, "admin", "busiest_departments")
    names = KEYS["busiest_department_row"]
    assert busiest[0][names["name"]] == "Cardiology"
    counts = {row[names["name"]]: row[names["count"]] for row in busiest}
    assert counts["Cardiology"] > counts.get("Dermatology", 0)


async def test_a_deactivated_doctor_is_not_counted_on_the_admin_dashboard(client, as_role):
    admin = await as_role("admin")
    await new_doctor(client, admin)
    gone = await new_doctor(client, admin)
    response = await client.post(
        f"/api/v1/doctors/{gone['id']}/deactivate", headers=admin, json={"reason": "Retired"}
    )
    assert response.status_code == 200, response.text
    body = await _dashboard(client, admin, "admin")
    assert pick(body, "admin", "doctors") == 1


async def test_receptionist_dashboard_shows_todays_queue_by_status(client, as_role, settings):
    zone = settings.zone
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    p1, p2, p3 = [await new_patient(client, receptionist) for _ in range(3)]
    waiting = await book(client, receptionist, p1["id"], at(0, 13, zone=zone), doctor["id"])
    arrived = await book(client, receptionist, p2["id"], at(0, 13, 30, zone=zone), doctor["id"])
    assert (await act(client, receptionist, arrived["id"], "check-in")).status_code == 200
    tomorrow = await book(client, receptionist, p3["id"], at(1, 9, zone=zone), doctor["id"])

    body = await _dashboard(client, receptionist, "receptionist")
    by_status = pick(body, "receptionist", "queue_by_status")
    assert by_status.get("booked", 0) == 1 and by_status.get("checked_in", 0) == 1
    queue = row_ids(pick(body, "receptionist", "queue"))
    assert set(queue) == {waiting["id"], arrived["id"]}
    assert tomorrow["id"] not in queue


async def test_doctor_dashboard_shows_their_day_their_upcoming_visits_and_their_patients(
    client, as_role, settings
):
    zone = settings.zone
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    profile = await new_doctor(client, admin)
    colleague = await new_doctor(client, admin)
    headers = await doctor_headers(client, profile)
    p1, p2, p3, followed, stranger = [await new_patient(client, receptionist) for _ in range(5)]
    first = await book(client, receptionist, p1["id"], at(0, 13, zone=zone), profile["id"])
    second = await book(client, receptionist, p2["id"], at(0, 13, 30, zone=zone), profile["id"])
    later = await book(client, receptionist, p3["id"], at(2, 9, zone=zone), profile["id"])
    not_mine = await book(
        client, receptionist, stranger["id"], at(0, 13, zone=zone), colleague["id"]
    )
    added = await client.post(
        f"/api/v1/patients/{followed['id']}/care-team",
        headers=receptionist,
        json={"doctor_id": profile["id"]},
    )
    assert added.status_code == 201, added.text

    body = await _dashboard(client, headers, "doctor")
    assert row_ids(pick(body, "doctor", "today")) == [first["id"], second["id"]]
    upcoming = row_ids(pick(body, "doctor", "upcoming"))
    assert later["id"] in upcoming and not_mine["id"] not in upcoming
    my_patients = set(row_ids(pick(body, "doctor", "my_patients"), "patient_row_id"))
    assert my_patients == {p1["id"], p2["id"], p3["id"], followed["id"]}


async def test_patient_dashboard_shows_upcoming_visits_and_past_visits_with_their_encounters(
    app, client, as_role, settings
):
    zone = settings.zone
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    profile = await new_doctor(client, admin)
    doctor = await doctor_headers(client, profile)
    headers, registered = await new_patient_user(client)
    patient_id = registered["patient_id"]

    visit = await book(client, nurse, patient_id, at(1, 9, zone=zone), profile["id"])
    await complete(client, nurse, doctor, visit["id"])
    await move_into_the_past(app, visit["id"], days=8)
    upcoming = await book(client, headers, patient_id, at(2, 10, zone=zone), profile["id"])
    dropped = await book(client, headers, patient_id, at(3, 10, zone=zone), profile["id"])
    assert (await act(client, nurse, dropped["id"], "cancel")).status_code == 200
    someone_else = await new_patient(client, nurse)
    await book(client, nurse, someone_else["id"], at(2, 11, zone=zone), profile["id"])

    body = await _dashboard(client, headers, "patient")
    assert row_ids(pick(body, "patient", "upcoming")) == [upcoming["id"]]
    past = pick(body, "patient", "past_visits")
    # A visit cancelled ahead of time never happened: it is neither upcoming nor past.
    assert row_ids(past) == [visit["id"]], "past visits hold only visits already due"
    assert past[0][KEYS["encounter"]]["assessment"] == ENCOUNTER["assessment"]
