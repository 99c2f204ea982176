"""Every doctor's account has its doctor profile: made with the account (POST /users), at the
approval of a self-registered doctor, or completed later for an account made without one;
GET /doctors/me answers for every one of them."""

from __future__ import annotations

from typing import Any

from tests.conftest import STRONG_PASSWORD, bearer, login
from tests.scheduling.factories import code, field_errors, new_department

PROFILE_FIELDS = {"department_id", "specialization", "license_number"}


def _doctor(department_id: int | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": "grace",
        "password": STRONG_PASSWORD,
        "full_name": "Dr Grace Mensah",
        "email": "grace@example.org",
        "role": "doctor",
    }
    if department_id is not None:
        body.update(
            department_id=department_id,
            specialization="Cardiology",
            license_number="GMC-7741",
            qualification="MBBS, MD",
            experience_years=9,
            consultation_fee="80.00",
        )
    body.update(overrides)
    return body


async def _me(client, username: str):
    return await client.get("/api/v1/doctors/me", headers=await bearer(client, username))


async def _users(client, admin, **params) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/users", headers=admin, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_doctor_created_on_post_users_gets_the_profile_in_the_same_call(client, as_role):
    admin = await as_role("admin")
    cardiology = await new_department(client, admin, name="Cardiology")
    created = await client.post("/api/v1/users", headers=admin, json=_doctor(cardiology["id"]))
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "doctor" and created.json()["profile_missing"] is False

    me = await _me(client, "grace")
    assert me.status_code == 200, me.text
    profile = me.json()
    assert profile["user_id"] == created.json()["id"]
    assert profile["department_name"] == "Cardiology"
    assert profile["specialization"] == "Cardiology" and profile["license_number"] == "GMC-7741"
    assert profile["experience_years"] == 9 and profile["consultation_fee"] == "80.00"
    directory = await client.get("/api/v1/doctors", headers=admin, params={"q": "Grace"})
    assert [d["full_name"] for d in directory.json()["items"]] == ["Dr Grace Mensah"]


async def test_a_doctor_without_profile_fields_is_refused_with_422_naming_them(client, as_role):
    admin = await as_role("admin")
    response = await client.post("/api/v1/users", headers=admin, json=_doctor())
    assert response.status_code == 422, response.text
    assert code(response) == "validation_error"
    assert set(field_errors(response)) == PROFILE_FIELDS
    assert all(m == "This field is required." for m in field_errors(response).values())
    for name in PROFILE_FIELDS:
        assert name in response.json()["detail"]
    assert await _users(client, admin, q="grace") == []
    assert (await login(client, "grace")).status_code == 401


async def test_a_bad_profile_writes_neither_the_login_nor_the_profile(client, as_role):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    unknown = await client.post("/api/v1/users", headers=admin, json=_doctor(999_999))
    assert unknown.status_code == 422 and code(unknown) == "department_not_found"
    assert set(field_errors(unknown)) == {"department_id"}
    short = await client.post(
        "/api/v1/users", headers=admin, json=_doctor(department["id"], specialization="x")
    )
    assert short.status_code == 422 and set(field_errors(short)) == {"specialization"}
    assert await _users(client, admin, q="grace") == []

    first = await client.post("/api/v1/users", headers=admin, json=_doctor(department["id"]))
    assert first.status_code == 201
    same_licence = _doctor(department["id"], username="amos", email="amos@example.org")
    taken = await client.post("/api/v1/users", headers=admin, json=same_licence)
    assert taken.status_code == 409 and code(taken) == "license_taken"
    assert await _users(client, admin, q="amos") == []


async def test_profile_fields_are_refused_for_a_role_that_has_no_profile(client, as_role):
    admin = await as_role("admin")
    nurse = {**_doctor(), "role": "nurse", "department_id": 1, "specialization": "Wards"}
    response = await client.post("/api/v1/users", headers=admin, json=nurse)
    assert response.status_code == 422
    assert field_errors(response) == {
        "department_id": "This field is not allowed.",
        "specialization": "This field is not allowed.",
    }


async def test_a_self_registered_doctor_gets_the_profile_at_approval(client, as_role):
    asked = await client.post(
        "/api/v1/auth/register-staff",
        json={k: v for k, v in _doctor().items()},
    )
    assert asked.status_code == 202, asked.text
    user_id = asked.json()["id"]
    admin = await as_role("admin")
    department = await new_department(client, admin, name="Paediatrics")
    [waiting] = await _users(client, admin, status="pending")
    assert waiting["id"] == user_id and waiting["profile_missing"] is True

    bare = await client.post(f"/api/v1/users/{user_id}/approve", headers=admin)
    assert bare.status_code == 422 and set(field_errors(bare)) == PROFILE_FIELDS
    assert (await login(client, "grace")).json()["code"] == "account_pending"

    profile = {
        "department_id": department["id"],
        "specialization": "Paediatrics",
        "license_number": "GMC-1200",
    }
    approved = await client.post(f"/api/v1/users/{user_id}/approve", headers=admin, json=profile)
    assert approved.status_code == 200, approved.text
    assert approved.json()["is_approved"] is True and approved.json()["profile_missing"] is False
    me = await _me(client, "grace")
    assert me.status_code == 200 and me.json()["department_name"] == "Paediatrics"
    assert me.json()["experience_years"] == 0 and me.json()["qualification"] is None


async def test_approving_other_staff_still_needs_no_body(client, as_role):
    asked = await client.post(
        "/api/v1/auth/register-staff", json={**_doctor(), "role": "lab_technician"}
    )
    admin = await as_role("admin")
    approved = await client.post(f"/api/v1/users/{asked.json()['id']}/approve", headers=admin)
    assert approved.status_code == 200 and approved.json()["profile_missing"] is False


async def test_a_doctor_account_made_without_a_profile_is_listed_and_can_be_completed(
    client, as_role, make_user
):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    old = await make_user("doctor", username="oldtimer", full_name="Dr Old Timer")
    [listed] = await _users(client, admin, q="oldtimer")
    assert listed["profile_missing"] is True
    assert (await _me(client, "oldtimer")).status_code == 404

    again = await client.post(
        "/api/v1/doctors",
        headers=admin,
        json={
            "username": "oldtimer",
            "password": STRONG_PASSWORD,
            "full_name": "Dr Old Timer",
            "email": "old@example.org",
            "department_id": department["id"],
            "specialization": "Geriatrics",
            "license_number": "GMC-0001",
        },
    )
    assert again.status_code == 409 and code(again) == "username_taken"
    assert again.json()["user_id"] == old.id
    assert f"/api/v1/users/{old.id}/profile" in again.json()["detail"]

    missing = await client.post(f"/api/v1/users/{old.id}/profile", headers=admin, json={})
    assert missing.status_code == 422 and set(field_errors(missing)) == PROFILE_FIELDS
    profile = {
        "department_id": department["id"],
        "specialization": "Geriatrics",
        "license_number": "GMC-0001",
    }
    done = await client.post(f"/api/v1/users/{old.id}/profile", headers=admin, json=profile)
    assert done.status_code == 201, done.text
    assert done.json()["profile_missing"] is False
    assert (await _me(client, "oldtimer")).json()["specialization"] == "Geriatrics"
    twice = await client.post(f"/api/v1/users/{old.id}/profile", headers=admin, json=profile)
    assert twice.status_code == 409 and code(twice) == "profile_exists"

    nurse = await make_user("nurse")
    none = await client.post(f"/api/v1/users/{nurse.id}/profile", headers=admin, json=profile)
    assert none.status_code == 409 and code(none) == "no_profile_for_role"


async def test_making_an_account_a_doctor_brings_the_profile_it_lacks(client, as_role, make_user):
    admin = await as_role("admin")
    department = await new_department(client, admin)
    nurse = await make_user("nurse", username="nowdoc")
    refused = await client.patch(
        f"/api/v1/users/{nurse.id}", headers=admin, json={"role": "doctor"}
    )
    assert refused.status_code == 422 and set(field_errors(refused)) == PROFILE_FIELDS
    assert (await client.get(f"/api/v1/users/{nurse.id}", headers=admin)).json()["role"] == "nurse"

    changed = await client.patch(
        f"/api/v1/users/{nurse.id}",
        headers=admin,
        json={
            "role": "doctor",
            "department_id": department["id"],
            "specialization": "Emergency medicine",
            "license_number": "GMC-5150",
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "doctor" and changed.json()["profile_missing"] is False
    assert (await _me(client, "nowdoc")).json()["specialization"] == "Emergency medicine"
    phone = await client.patch(f"/api/v1/users/{nurse.id}", headers=admin, json={"phone": "123"})
    assert phone.status_code == 200


async def test_every_doctor_account_answers_doctors_me(client, as_role, make_user):
    """Made on POST /users, by POST /doctors, approved from self-registration, completed."""
    admin = await as_role("admin")
    department = await new_department(client, admin)
    profile = {"department_id": department["id"], "specialization": "General medicine"}
    made = _doctor(department["id"], username="one", email="one@example.org")
    assert (await client.post("/api/v1/users", headers=admin, json=made)).status_code == 201
    by_doctors = {**made, "username": "two", "email": "two@example.org", "license_number": "L2"}
    by_doctors.pop("role")
    assert (await client.post("/api/v1/doctors", headers=admin, json=by_doctors)).status_code == 201
    asked = await client.post(
        "/api/v1/auth/register-staff",
        json={**_doctor(), "username": "three", "email": "three@example.org"},
    )
    approve = {**profile, "license_number": "L3"}
    url = f"/api/v1/users/{asked.json()['id']}/approve"
    assert (await client.post(url, headers=admin, json=approve)).status_code == 200
    old = await make_user("doctor", username="four")
    url = f"/api/v1/users/{old.id}/profile"
    assert (
        await client.post(url, headers=admin, json={**profile, "license_number": "L4"})
    ).status_code == 201

    doctors = await _users(client, admin, role="doctor")
    assert sorted(u["username"] for u in doctors) == ["four", "one", "three", "two"]
    for user in doctors:
        assert user["profile_missing"] is False
        me = await _me(client, user["username"])
        assert me.status_code == 200 and me.json()["user_id"] == user["id"], user["username"]
