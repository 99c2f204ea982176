"""Departments, doctors and their hours through /api/v1: what the administrator manages, what
everyone else may see of it, and the free slots that follow from a doctor's week."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.conftest import STRONG_PASSWORD
from tests.scheduling.factories import (
    at,
    book,
    code,
    doctor_body,
    doctor_headers,
    field_errors,
    hhmm,
    ids,
    local_day,
    new_department,
    new_doctor,
    new_patient,
    parse,
    set_availability,
    slot_starts,
    slots,
    try_book,
)

PRIVATE_DOCTOR_FIELDS = {"username", "email", "phone", "license_number", "user_id"}


# ---------------------------------------------------------------- departments


async def test_an_admin_creates_reads_lists_and_renames_a_department(client, as_role):
    admin = await as_role("admin")
    created = await client.post(
        "/api/v1/departments",
        headers=admin,
        json={
            "name": "Cardiology",
            "description": "Heart and circulation",
            "location": "Block B, floor 2",
            "phone": "+44 20 7946 0300",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in ("name", "description", "location", "phone")} == {
        "name": "Cardiology",
        "description": "Heart and circulation",
        "location": "Block B, floor 2",
        "phone": "+44 20 7946 0300",
    }
    assert body["is_active"] is True and body["doctor_count"] == 0

    fetched = await client.get(f"/api/v1/departments/{body['id']}", headers=admin)
    assert fetched.status_code == 200 and fetched.json()["name"] == "Cardiology"

    listing = (await client.get("/api/v1/departments", headers=admin)).json()
    assert listing["total"] == 1 and [d["name"] for d in listing["items"]] == ["Cardiology"]

    renamed = await client.patch(
        f"/api/v1/departments/{body['id']}",
        headers=admin,
        json={"name": "Cardiology and Vascular", "location": "Block C"},
    )
    assert renamed.status_code == 200, renamed.text
    again = (await client.get(f"/api/v1/departments/{body['id']}", headers=admin)).json()
    assert again["name"] == "Cardiology and Vascular" and again["location"] == "Block C"
    assert again["description"] == "Heart and circulation"


async def test_creating_a_department_with_a_taken_name_returns_409_department_exists(
    client, as_role
):
    admin = await as_role("admin")
    await new_department(client, admin, name="Radiology")
    response = await client.post("/api/v1/departments", headers=admin, json={"name": "Radiology"})
    assert response.status_code == 409 and code(response) == "department_exists"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/api/v1/departments", headers=admin)).json()["total"] == 1


async def test_renaming_a_department_to_a_taken_name_returns_409_department_exists(client, as_role):
    admin = await as_role("admin")
    await new_department(client, admin, name="Radiology")
    other = await new_department(client, admin, name="Oncology")
    response = await client.patch(
        f"/api/v1/departments/{other['id']}", headers=admin, json={"name": "Radiology"}
    )
    assert response.status_code == 409 and code(response) == "department_exists"
    assert (await client.get(f"/api/v1/departments/{other['id']}", headers=admin)).json()[
        "name"
    ] == "Oncology"


async def test_a_department_counts_its_doctors(client, as_role):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    await new_doctor(client, admin, department_id=department["id"])
    await new_doctor(client, admin, department_id=department["id"])
    body = (await client.get(f"/api/v1/departments/{department['id']}", headers=admin)).json()
    assert body["doctor_count"] == 2


async def test_a_closed_department_is_listed_only_when_inactive_ones_are_asked_for(client, as_role):
    admin = await as_role("admin")
    open_one = await new_department(client, admin, name="Neurology")
    closed = await new_department(client, admin, name="Old Wing Surgery")
    response = await client.patch(
        f"/api/v1/departments/{closed['id']}", headers=admin, json={"is_active": False}
    )
    assert response.status_code == 200 and response.json()["is_active"] is False

    default = (await client.get("/api/v1/departments", headers=admin)).json()
    assert ids(default["items"]) == [open_one["id"]] and default["total"] == 1
    everything = (
        await client.get("/api/v1/departments", headers=admin, params={"include_inactive": True})
    ).json()
    assert set(ids(everything["items"])) == {open_one["id"], closed["id"]}


async def test_only_an_admin_manages_departments_403_permission_denied(client, as_role):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    for role in ("receptionist", "nurse", "doctor", "patient"):
        headers = await as_role(role)
        created = await client.post("/api/v1/departments", headers=headers, json={"name": role})
        assert created.status_code == 403 and code(created) == "permission_denied", role
        changed = await client.patch(
            f"/api/v1/departments/{department['id']}", headers=headers, json={"name": role}
        )
        assert changed.status_code == 403 and code(changed) == "permission_denied", role


async def test_everyone_signed_in_including_patients_can_list_departments(client, as_role):
    admin = await as_role("admin")
    department = await new_department(client, admin, name="Dermatology")
    patient = await as_role("patient")
    listing = await client.get("/api/v1/departments", headers=patient)
    assert listing.status_code == 200
    assert [d["name"] for d in listing.json()["items"]] == ["Dermatology"]
    assert (await client.get(f"/api/v1/departments/{department['id']}", headers=patient)).json()[
        "name"
    ] == "Dermatology"
    assert (await client.get("/api/v1/departments")).status_code == 401


async def test_an_unknown_department_returns_404_department_not_found(client, as_role):
    admin = await as_role("admin")
    response = await client.get("/api/v1/departments/999999", headers=admin)
    assert response.status_code == 404 and code(response) == "department_not_found"


# ---------------------------------------------------------------- doctors: create


async def test_an_admin_creates_a_doctor_who_can_sign_in_and_see_their_profile(client, as_role):
    admin = await as_role("admin")
    department = await new_department(client, admin, name="Cardiology")
    body = doctor_body(
        department["id"],
        username="dmensah",
        full_name="Dr Daniel Mensah",
        email="d.mensah@example.org",
        phone="+44 20 7946 0400",
        specialization="Cardiology",
        qualification="MD, FRCP",
        experience_years=12,
        consultation_fee="150.00",
        license_number="GMC-7654321",
    )
    response = await client.post("/api/v1/doctors", headers=admin, json=body)
    assert response.status_code == 201, response.text
    doctor = response.json()
    assert isinstance(doctor["id"], int) and isinstance(doctor["user_id"], int)
    assert doctor["username"] == "dmensah" and doctor["full_name"] == "Dr Daniel Mensah"
    assert doctor["email"] == "d.mensah@example.org" and doctor["phone"] == "+44 20 7946 0400"
    assert doctor["license_number"] == "GMC-7654321"
    assert doctor["department_id"] == department["id"]
    assert doctor["department_name"] == "Cardiology"
    assert doctor["specialization"] == "Cardiology" and doctor["experience_years"] == 12
    assert isinstance(doctor["consultation_fee"], str)
    assert Decimal(doctor["consultation_fee"]) == Decimal("150.00")
    assert doctor["is_active"] is True
    assert "password" not in doctor and "password_hash" not in doctor

    own = await doctor_headers(client, doctor)
    me = await client.get("/api/v1/doctors/me", headers=own)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == doctor["id"] and me.json()["license_number"] == "GMC-7654321"
    login = await client.post(
        "/api/v1/auth/login", json={"username": "dmensah", "password": STRONG_PASSWORD}
    )
    assert login.json()["user"]["role"] == "doctor"


async def test_creating_a_doctor_in_an_unknown_department_returns_422_naming_department_id(
    client, as_role
):
    admin = await as_role("admin")
    response = await client.post("/api/v1/doctors", headers=admin, json=doctor_body(999999))
    assert response.status_code == 422
    assert code(response) == "department_not_found"
    assert "department_id" in field_errors(response)


async def test_creating_a_doctor_with_a_taken_license_returns_409_license_taken(client, as_role):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    await new_doctor(client, admin, department_id=department["id"], license_number="GMC-1")
    response = await client.post(
        "/api/v1/doctors", headers=admin, json=doctor_body(department["id"], license_number="GMC-1")
    )
    assert response.status_code == 409 and code(response) == "license_taken"
    assert (await client.get("/api/v1/doctors", headers=admin)).json()["total"] == 1


async def test_creating_a_doctor_with_a_taken_username_returns_409_username_taken(
    client, as_role, make_user
):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    await make_user("nurse", username="sam")
    response = await client.post(
        "/api/v1/doctors", headers=admin, json=doctor_body(department["id"], username="sam")
    )
    assert response.status_code == 409 and code(response) == "username_taken"
    assert (await client.get("/api/v1/doctors", headers=admin)).json()["total"] == 0


async def test_creating_a_doctor_with_a_weak_password_returns_422_weak_password(client, as_role):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    response = await client.post(
        "/api/v1/doctors", headers=admin, json=doctor_body(department["id"], password="password123")
    )
    assert response.status_code == 422 and code(response) == "weak_password"
    assert "password" in field_errors(response)


async def test_only_an_admin_creates_doctors_403_permission_denied(client, as_role):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    for role in ("receptionist", "nurse", "doctor", "patient"):
        headers = await as_role(role)
        response = await client.post(
            "/api/v1/doctors", headers=headers, json=doctor_body(department["id"])
        )
        assert response.status_code == 403 and code(response) == "permission_denied", role


async def test_an_admin_changes_a_doctors_profile(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    other = await new_department(client, admin, name="Paediatrics")
    response = await client.patch(
        f"/api/v1/doctors/{doctor['id']}",
        headers=admin,
        json={
            "specialization": "Paediatrics",
            "department_id": other["id"],
            "consultation_fee": "80",
        },
    )
    assert response.status_code == 200, response.text
    body = (await client.get(f"/api/v1/doctors/{doctor['id']}", headers=admin)).json()
    assert body["specialization"] == "Paediatrics" and body["department_name"] == "Paediatrics"
    assert Decimal(body["consultation_fee"]) == Decimal(80)


# ---------------------------------------------------------------- doctors: who sees what


async def test_patients_and_nurses_see_no_private_doctor_fields_in_the_listing_or_profile(
    client, as_role
):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    for role in ("patient", "nurse", "receptionist"):
        headers = await as_role(role)
        listing = await client.get("/api/v1/doctors", headers=headers)
        assert listing.status_code == 200, role
        [row] = listing.json()["items"]
        assert row["id"] == doctor["id"] and row["full_name"] == doctor["full_name"]
        assert not PRIVATE_DOCTOR_FIELDS & row.keys(), (role, row.keys())
        profile = await client.get(f"/api/v1/doctors/{doctor['id']}", headers=headers)
        assert profile.status_code == 200, role
        assert not PRIVATE_DOCTOR_FIELDS & profile.json().keys(), (role, profile.json().keys())
        assert profile.json()["department_name"] == doctor["department_name"]


async def test_another_doctor_sees_only_the_public_profile(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    colleague = await doctor_headers(client, await new_doctor(client, admin))
    profile = (await client.get(f"/api/v1/doctors/{doctor['id']}", headers=colleague)).json()
    assert not PRIVATE_DOCTOR_FIELDS & profile.keys()


async def test_an_admin_and_the_doctor_themself_see_the_private_fields(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin, license_number="GMC-555", email="dr555@example.org")
    own = await doctor_headers(client, doctor)
    for headers in (admin, own):
        profile = (await client.get(f"/api/v1/doctors/{doctor['id']}", headers=headers)).json()
        assert profile["license_number"] == "GMC-555"
        assert profile["email"] == "dr555@example.org"
        assert profile["username"] == doctor["username"]
        assert profile["user_id"] == doctor["user_id"]


async def test_an_unknown_doctor_returns_404_doctor_not_found(client, as_role):
    nurse = await as_role("nurse")
    response = await client.get("/api/v1/doctors/999999", headers=nurse)
    assert response.status_code == 404 and code(response) == "doctor_not_found"


# ---------------------------------------------------------------- doctors: search and filters


async def test_doctors_are_found_by_a_fragment_of_their_name(client, as_role):
    admin = await as_role("admin")
    mensah = await new_doctor(client, admin, full_name="Dr Daniel Mensah")
    await new_doctor(client, admin, full_name="Dr Aiko Tanaka")
    patient = await as_role("patient")
    found = (await client.get("/api/v1/doctors", headers=patient, params={"q": "mens"})).json()
    assert ids(found["items"]) == [mensah["id"]] and found["total"] == 1


async def test_doctors_are_filtered_by_department_and_by_specialization(client, as_role):
    admin = await as_role("admin")
    heart = await new_department(client, admin, name="Cardiology")
    skin = await new_department(client, admin, name="Dermatology")
    cardiologist = await new_doctor(
        client, admin, department_id=heart["id"], specialization="Cardiology"
    )
    electro = await new_doctor(
        client, admin, department_id=heart["id"], specialization="Electrophysiology"
    )
    dermatologist = await new_doctor(
        client, admin, department_id=skin["id"], specialization="Dermatology"
    )
    nurse = await as_role("nurse")

    by_department = (
        await client.get("/api/v1/doctors", headers=nurse, params={"department_id": heart["id"]})
    ).json()
    assert set(ids(by_department["items"])) == {cardiologist["id"], electro["id"]}
    assert by_department["total"] == 2

    by_specialization = (
        await client.get("/api/v1/doctors", headers=nurse, params={"specialization": "Dermatology"})
    ).json()
    assert ids(by_specialization["items"]) == [dermatologist["id"]]

    both = (
        await client.get(
            "/api/v1/doctors",
            headers=nurse,
            params={"department_id": heart["id"], "specialization": "Electrophysiology"},
        )
    ).json()
    assert ids(both["items"]) == [electro["id"]]


async def test_doctors_available_on_a_date_exclude_those_on_leave_or_without_hours(client, as_role):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    working = await new_doctor(client, admin, department_id=department["id"])
    on_leave = await new_doctor(client, admin, department_id=department["id"])
    no_hours = await new_doctor(client, admin, department_id=department["id"], weekly=[])
    extra_day = await new_doctor(client, admin, department_id=department["id"], weekly=[])
    day = local_day(3)
    leave = await client.post(
        f"/api/v1/doctors/{on_leave['id']}/availability/exceptions",
        headers=admin,
        json={"date": day.isoformat(), "kind": "leave", "reason": "Conference"},
    )
    assert leave.status_code == 201, leave.text
    extra = await client.post(
        f"/api/v1/doctors/{extra_day['id']}/availability/exceptions",
        headers=admin,
        json={"date": day.isoformat(), "kind": "extra", "start": "10:00", "end": "12:00"},
    )
    assert extra.status_code == 201, extra.text

    patient = await as_role("patient")
    found = (
        await client.get(
            "/api/v1/doctors",
            headers=patient,
            params={"department_id": department["id"], "available_on": day.isoformat()},
        )
    ).json()
    assert set(ids(found["items"])) == {working["id"], extra_day["id"]}
    assert no_hours["id"] not in ids(found["items"])

    next_day = (
        await client.get(
            "/api/v1/doctors",
            headers=patient,
            params={
                "department_id": department["id"],
                "available_on": (day + timedelta(days=1)).isoformat(),
            },
        )
    ).json()
    assert set(ids(next_day["items"])) == {working["id"], on_leave["id"]}


# ---------------------------------------------------------------- doctors: deactivation


async def test_deactivating_a_doctor_lists_their_future_appointments_for_rebooking(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    first = await book(
        client,
        receptionist,
        (await new_patient(client, receptionist))["id"],
        at(1, 9),
        doctor["id"],
    )
    second = await book(
        client,
        receptionist,
        (await new_patient(client, receptionist))["id"],
        at(2, 10),
        doctor["id"],
    )
    cancelled = await book(
        client,
        receptionist,
        (await new_patient(client, receptionist))["id"],
        at(2, 11),
        doctor["id"],
    )
    cancel = await client.post(
        f"/api/v1/appointments/{cancelled['id']}/cancel",
        headers=receptionist,
        json={"reason": "Patient moved away"},
    )
    assert cancel.status_code == 200, cancel.text

    response = await client.post(
        f"/api/v1/doctors/{doctor['id']}/deactivate",
        headers=admin,
        json={"reason": "Left the hospital"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["doctor"]["is_active"] is False
    assert sorted(ids(body["future_appointments"])) == sorted([first["id"], second["id"]])
    assert {a["patient_id"] for a in body["future_appointments"]} == {
        first["patient_id"],
        second["patient_id"],
    }


async def test_booking_a_deactivated_doctor_returns_409_doctor_inactive_until_reactivated(
    client, as_role
):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    patient = await new_patient(client, receptionist)
    deactivated = await client.post(
        f"/api/v1/doctors/{doctor['id']}/deactivate", headers=admin, json={"reason": "On strike"}
    )
    assert deactivated.status_code == 200, deactivated.text

    refused = await try_book(client, receptionist, patient["id"], at(1, 9), doctor["id"])
    assert refused.status_code == 409 and code(refused) == "doctor_inactive"

    activated = await client.post(f"/api/v1/doctors/{doctor['id']}/activate", headers=admin)
    assert activated.status_code == 200, activated.text
    await book(client, receptionist, patient["id"], at(1, 9), doctor["id"])


async def test_only_an_admin_deactivates_a_doctor(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    receptionist = await as_role("receptionist")
    response = await client.post(
        f"/api/v1/doctors/{doctor['id']}/deactivate", headers=receptionist, json={"reason": "No"}
    )
    assert response.status_code == 403 and code(response) == "permission_denied"
    assert (await client.get(f"/api/v1/doctors/{doctor['id']}", headers=admin)).json()[
        "is_active"
    ] is True


# ---------------------------------------------------------------- availability


async def test_a_weekly_schedule_put_is_returned_by_get(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin, weekly=[])
    weekly = [
        {"weekday": 0, "start": "09:00", "end": "13:00"},
        {"weekday": 0, "start": "14:00", "end": "17:00"},
        {"weekday": 3, "start": "08:30", "end": "12:00"},
    ]
    put = await set_availability(client, admin, doctor["id"], weekly, slot_minutes=20)
    assert put["slot_minutes"] == 20 and put["exceptions"] == []

    response = await client.get(f"/api/v1/doctors/{doctor['id']}/availability", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert body["slot_minutes"] == 20
    got = sorted((b["weekday"], hhmm(b["start"]), hhmm(b["end"])) for b in body["weekly"])
    assert got == [(0, "09:00", "13:00"), (0, "14:00", "17:00"), (3, "08:30", "12:00")]
    assert (await client.get(f"/api/v1/doctors/{doctor['id']}", headers=admin)).json()[
        "slot_minutes"
    ] == 20


async def test_a_new_schedule_replaces_the_old_one(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    await set_availability(
        client, admin, doctor["id"], [{"weekday": 2, "start": "10:00", "end": "11:00"}]
    )
    body = (await client.get(f"/api/v1/doctors/{doctor['id']}/availability", headers=admin)).json()
    assert [(b["weekday"], hhmm(b["start"])) for b in body["weekly"]] == [(2, "10:00")]


async def test_hours_that_end_before_they_start_return_422(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    response = await client.put(
        f"/api/v1/doctors/{doctor['id']}/availability",
        headers=admin,
        json={"slot_minutes": 30, "weekly": [{"weekday": 1, "start": "13:00", "end": "09:00"}]},
    )
    assert response.status_code == 422
    body = (await client.get(f"/api/v1/doctors/{doctor['id']}/availability", headers=admin)).json()
    assert len(body["weekly"]) == 7  # the old week is kept


async def test_overlapping_hours_on_one_weekday_return_422_overlapping_hours(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    response = await client.put(
        f"/api/v1/doctors/{doctor['id']}/availability",
        headers=admin,
        json={
            "slot_minutes": 30,
            "weekly": [
                {"weekday": 1, "start": "09:00", "end": "12:00"},
                {"weekday": 1, "start": "11:30", "end": "14:00"},
            ],
        },
    )
    assert response.status_code == 422 and code(response) == "overlapping_hours"
    body = (await client.get(f"/api/v1/doctors/{doctor['id']}/availability", headers=admin)).json()
    assert len(body["weekly"]) == 7


async def test_the_same_hours_on_different_weekdays_do_not_overlap(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    body = await set_availability(
        client,
        admin,
        doctor["id"],
        [
            {"weekday": 1, "start": "09:00", "end": "12:00"},
            {"weekday": 2, "start": "09:00", "end": "12:00"},
            {"weekday": 2, "start": "12:00", "end": "13:00"},  # touching is not overlapping
        ],
    )
    assert len(body["weekly"]) == 3


async def test_a_doctor_sets_their_own_hours_but_not_a_colleagues_403_not_your_profile(
    client, as_role
):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    colleague = await new_doctor(client, admin)
    own = await doctor_headers(client, doctor)
    week = [{"weekday": 4, "start": "09:00", "end": "12:00"}]

    mine = await client.put(
        f"/api/v1/doctors/{doctor['id']}/availability",
        headers=own,
        json={"slot_minutes": 15, "weekly": week},
    )
    assert mine.status_code == 200, mine.text
    theirs = await client.put(
        f"/api/v1/doctors/{colleague['id']}/availability",
        headers=own,
        json={"slot_minutes": 15, "weekly": week},
    )
    assert theirs.status_code == 403 and code(theirs) == "not_your_profile"
    kept = (
        await client.get(f"/api/v1/doctors/{colleague['id']}/availability", headers=admin)
    ).json()
    assert kept["slot_minutes"] == 30 and len(kept["weekly"]) == 7

    exception = await client.post(
        f"/api/v1/doctors/{colleague['id']}/availability/exceptions",
        headers=own,
        json={"date": local_day(2).isoformat(), "kind": "leave"},
    )
    assert exception.status_code == 403 and code(exception) == "not_your_profile"


async def test_a_nurse_cannot_change_a_doctors_hours_403_permission_denied(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    nurse = await as_role("nurse")
    response = await client.put(
        f"/api/v1/doctors/{doctor['id']}/availability",
        headers=nurse,
        json={"slot_minutes": 30, "weekly": []},
    )
    assert response.status_code == 403 and code(response) == "permission_denied"


# ---------------------------------------------------------------- slots and exceptions


async def test_slots_are_the_whole_grid_of_a_future_day(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    patient = await as_role("patient")
    rows = await slots(client, patient, doctor["id"], local_day(1))
    starts = slot_starts(rows)
    assert starts == [at(1, 8) + timedelta(minutes=30 * i) for i in range(20)]
    for row in rows:
        assert parse(row["end"]) - parse(row["start"]) == timedelta(minutes=30)


async def test_slots_follow_the_slot_length(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(
        client,
        admin,
        weekly=[{"weekday": d, "start": "09:00", "end": "10:00"} for d in range(7)],
        slot_minutes=20,
    )
    starts = slot_starts(await slots(client, admin, doctor["id"], local_day(1)))
    assert starts == [at(1, 9), at(1, 9, 20), at(1, 9, 40)]


async def test_slots_leave_out_the_ones_already_booked(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    patient = await new_patient(client, receptionist)
    await book(client, receptionist, patient["id"], at(1, 9), doctor["id"])
    await book(
        client,
        receptionist,
        (await new_patient(client, receptionist))["id"],
        at(1, 14, 30),
        doctor["id"],
    )
    starts = slot_starts(await slots(client, receptionist, doctor["id"], local_day(1)))
    assert len(starts) == 18
    assert at(1, 9) not in starts and at(1, 14, 30) not in starts
    assert at(1, 8, 30) in starts and at(1, 9, 30) in starts


async def test_a_day_in_the_past_has_no_free_slots(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    assert await slots(client, admin, doctor["id"], local_day(-1)) == []


async def test_a_whole_day_of_leave_removes_that_days_slots(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    day = local_day(2)
    response = await client.post(
        f"/api/v1/doctors/{doctor['id']}/availability/exceptions",
        headers=admin,
        json={"date": day.isoformat(), "kind": "leave", "reason": "Annual leave"},
    )
    assert response.status_code == 201, response.text
    exception = response.json()
    assert exception["date"] == day.isoformat() and exception["kind"] == "leave"
    assert exception["start"] is None and exception["end"] is None
    assert exception["reason"] == "Annual leave"

    assert await slots(client, admin, doctor["id"], day) == []
    assert len(await slots(client, admin, doctor["id"], local_day(3))) == 20
    shown = (await client.get(f"/api/v1/doctors/{doctor['id']}/availability", headers=admin)).json()
    assert ids(shown["exceptions"]) == [exception["id"]]


async def test_part_of_a_day_on_leave_removes_only_those_slots(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    day = local_day(2)
    response = await client.post(
        f"/api/v1/doctors/{doctor['id']}/availability/exceptions",
        headers=admin,
        json={"date": day.isoformat(), "kind": "leave", "start": "08:00", "end": "12:00"},
    )
    assert response.status_code == 201, response.text
    starts = slot_starts(await slots(client, admin, doctor["id"], day))
    assert starts[0] == at(2, 12) and len(starts) == 12


async def test_booking_during_leave_returns_422_outside_availability(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    await client.post(
        f"/api/v1/doctors/{doctor['id']}/availability/exceptions",
        headers=admin,
        json={"date": local_day(2).isoformat(), "kind": "leave"},
    )
    patient = await new_patient(client, receptionist)
    response = await try_book(client, receptionist, patient["id"], at(2, 9), doctor["id"])
    assert response.status_code == 422 and code(response) == "outside_availability"


async def test_extra_hours_add_slots_on_a_day_without_weekly_hours(client, as_role):
    admin = await as_role("admin")
    receptionist = await as_role("receptionist")
    doctor = await new_doctor(client, admin, weekly=[])
    day = local_day(2)
    assert await slots(client, admin, doctor["id"], day) == []
    response = await client.post(
        f"/api/v1/doctors/{doctor['id']}/availability/exceptions",
        headers=admin,
        json={"date": day.isoformat(), "kind": "extra", "start": "10:00", "end": "12:00"},
    )
    assert response.status_code == 201, response.text
    assert hhmm(response.json()["start"]) == "10:00" and hhmm(response.json()["end"]) == "12:00"
    starts = slot_starts(await slots(client, admin, doctor["id"], day))
    assert starts == [at(2, 10), at(2, 10, 30), at(2, 11), at(2, 11, 30)]
    patient = await new_patient(client, receptionist)
    await book(client, receptionist, patient["id"], at(2, 10, 30), doctor["id"])


async def test_extra_hours_without_times_return_422(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin, weekly=[])
    response = await client.post(
        f"/api/v1/doctors/{doctor['id']}/availability/exceptions",
        headers=admin,
        json={"date": local_day(2).isoformat(), "kind": "extra"},
    )
    assert response.status_code == 422


async def test_deleting_an_exception_restores_the_weekly_slots(client, as_role):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    day = local_day(2)
    created = await client.post(
        f"/api/v1/doctors/{doctor['id']}/availability/exceptions",
        headers=admin,
        json={"date": day.isoformat(), "kind": "leave"},
    )
    assert await slots(client, admin, doctor["id"], day) == []
    deleted = await client.delete(
        f"/api/v1/doctors/{doctor['id']}/availability/exceptions/{created.json()['id']}",
        headers=admin,
    )
    assert deleted.status_code in (200, 204), deleted.text
    assert len(await slots(client, admin, doctor["id"], day)) == 20
    shown = (await client.get(f"/api/v1/doctors/{doctor['id']}/availability", headers=admin)).json()
    assert shown["exceptions"] == []
