"""Patients register themselves; staff ask for an account that an admin approves."""

from __future__ import annotations

import pytest

from openward.patients.mrn import is_valid_mrn
from tests.conftest import STRONG_PASSWORD, bearer, login

PATIENT = {
    "username": "paula",
    "password": STRONG_PASSWORD,
    "full_name": "Paula Fischer",
    "email": "paula@example.org",
    "phone": "+49 30 1234567",
    "date_of_birth": "1984-03-14",
    "sex": "female",
}
STAFF = {
    "username": "lena",
    "password": STRONG_PASSWORD,
    "full_name": "Lena Lab",
    "email": "lena@example.org",
    "role": "lab_technician",
}


async def test_patient_registration_returns_a_valid_mrn_and_the_patient_signs_in(client):
    response = await client.post("/api/v1/auth/register", json=PATIENT)
    assert response.status_code == 201
    body = response.json()
    assert is_valid_mrn(body["mrn"])
    headers = await bearer(client, "paula")
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    assert me["role"] == "patient" and me["full_name"] == "Paula Fischer"
    record = (await client.get("/api/v1/dashboard", headers=headers)).json()["lists"]
    assert record["my_record"][0]["mrn"].replace("-", "") == body["mrn"]


async def test_two_patients_get_different_mrns(client):
    first = (await client.post("/api/v1/auth/register", json=PATIENT)).json()
    second = (
        await client.post(
            "/api/v1/auth/register",
            json={**PATIENT, "username": "peter", "email": "peter@example.org"},
        )
    ).json()
    assert first["mrn"] != second["mrn"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"date_of_birth": "14/03/1984"}, "date_of_birth"),
        ({"sex": "robot"}, "sex"),
        ({"password": "paula12345"}, "password"),
        ({"full_name": "P"}, "full_name"),
    ],
)
async def test_bad_registration_names_the_field_and_creates_nothing(client, change, field):
    response = await client.post("/api/v1/auth/register", json={**PATIENT, **change})
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await login(client, "paula")).status_code == 401


async def test_staff_must_wait_for_approval_before_signing_in(client, as_role):
    response = await client.post("/api/v1/auth/register-staff", json=STAFF)
    assert response.status_code == 202
    user_id = response.json()["id"]
    pending = await login(client, "lena")
    assert pending.status_code == 403
    assert pending.json()["code"] == "account_pending"
    admin = await as_role("admin")
    waiting = (
        await client.get("/api/v1/users", headers=admin, params={"status": "pending"})
    ).json()
    assert [u["id"] for u in waiting["items"]] == [user_id]
    approved = await client.post(f"/api/v1/users/{user_id}/approve", headers=admin)
    assert approved.status_code == 200 and approved.json()["is_approved"] is True
    assert (await login(client, "lena")).status_code == 200


async def test_a_wrong_password_on_a_pending_account_does_not_reveal_it(client):
    await client.post("/api/v1/auth/register-staff", json=STAFF)
    response = await login(client, "lena", "not-her-password")
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"


@pytest.mark.parametrize("role", ["admin", "patient"])
async def test_nobody_can_ask_for_an_admin_or_patient_staff_account(client, role):
    response = await client.post("/api/v1/auth/register-staff", json={**STAFF, "role": role})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "role"
