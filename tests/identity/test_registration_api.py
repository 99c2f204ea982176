"""Patients register themselves and get an MRN; staff ask for an account an admin approves."""

from __future__ import annotations

import re

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


def luhn_valid(number: str) -> bool:
    """The Luhn check, written out here so the test does not trust the code it checks."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def test_the_luhn_check_of_this_test_is_right():
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


def _fields(response) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


# ---------------------------------------------------------------- patients


async def test_a_patient_registers_signs_in_and_sees_their_mrn_on_the_dashboard(client):
    response = await client.post("/api/v1/auth/register", json=PATIENT)
    assert response.status_code == 201, response.text
    body = response.json()
    mrn = body["mrn"]
    assert re.fullmatch(r"\d{10}", mrn) and luhn_valid(mrn), mrn
    assert body["username"] == "paula"

    headers = await bearer(client, "paula")
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    assert me["id"] == body["id"] and me["role"] == "patient"
    assert me["full_name"] == "Paula Fischer"
    dashboard = await client.get("/api/v1/dashboard", headers=headers)
    assert dashboard.status_code == 200
    [record] = dashboard.json()["lists"]["my_record"]
    assert re.sub(r"\D", "", record["mrn"]) == mrn
    assert record["name"] == "Paula Fischer"
    assert record["date_of_birth"] == "1984-03-14"


async def test_each_registered_patient_gets_their_own_valid_mrn(client):
    first = await client.post("/api/v1/auth/register", json=PATIENT)
    second = await client.post(
        "/api/v1/auth/register",
        json={**PATIENT, "username": "peter", "full_name": "Peter Fischer", "email": None},
    )
    assert first.status_code == second.status_code == 201
    mrns = [first.json()["mrn"], second.json()["mrn"]]
    assert mrns[0] != mrns[1]
    assert all(luhn_valid(m) and len(m) == 10 for m in mrns)
    for username, mrn in (("paula", mrns[0]), ("peter", mrns[1])):
        headers = await bearer(client, username)
        record = (await client.get("/api/v1/dashboard", headers=headers)).json()["lists"]
        assert [re.sub(r"\D", "", r["mrn"]) for r in record["my_record"]] == [mrn]


async def test_a_self_registered_patient_cannot_manage_users(client):
    await client.post("/api/v1/auth/register", json=PATIENT)
    headers = await bearer(client, "paula")
    response = await client.get("/api/v1/users", headers=headers)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


async def test_patient_registration_cannot_choose_a_role(client):
    response = await client.post("/api/v1/auth/register", json={**PATIENT, "role": "admin"})
    assert response.status_code == 422
    assert _fields(response) == ["role"]
    assert (await login(client, "paula")).status_code == 401


async def test_registering_a_taken_username_returns_409_username_taken(client, make_user):
    await make_user("nurse", username="paula")
    response = await client.post("/api/v1/auth/register", json={**PATIENT, "username": "PAULA"})
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"
    assert _fields(response) == ["username"]


async def test_a_taken_email_is_refused_without_saying_whose_it_is(client, make_user):
    """Self-registration must not tell a stranger that an address belongs to someone here
    (a patient or staff member): the refusal is the generic one, audited."""
    await make_user("nurse", username="nurse-paula", email="paula@example.org")
    response = await client.post(
        "/api/v1/auth/register", json={**PATIENT, "email": "Paula@Example.ORG"}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "registration_refused"
    assert "e-mail address is already" not in body["detail"].lower()
    assert "errors" not in body or not any(e.get("field") == "email" for e in body["errors"])
    assert (await login(client, "paula")).status_code == 401
    staff = await client.post(
        "/api/v1/auth/register-staff",
        json={
            "username": "other-paula",
            "password": STRONG_PASSWORD,
            "full_name": "Paula Other",
            "email": "paula@example.org",
            "role": "nurse",
        },
    )
    assert staff.status_code == 409 and staff.json()["code"] == "registration_refused"


async def test_registering_with_a_weak_password_returns_422_weak_password(client):
    for password in ("paula-fischer-1984", "Welcome123!", "short"):
        response = await client.post(
            "/api/v1/auth/register", json={**PATIENT, "password": password}
        )
        assert response.status_code == 422, password
        assert response.json()["code"] == "weak_password"
        assert _fields(response) == ["password"]
        assert (await login(client, "paula", password)).status_code == 401


async def test_bad_registration_fields_are_named_and_nothing_is_created(client):
    cases = [
        ({"date_of_birth": "14/03/1984"}, "date_of_birth"),
        ({"sex": "robot"}, "sex"),
        ({"email": "not-an-email"}, "email"),
        ({"full_name": "P"}, "full_name"),
        ({"username": "p"}, "username"),
    ]
    for change, field in cases:
        response = await client.post("/api/v1/auth/register", json={**PATIENT, **change})
        assert response.status_code == 422, change
        assert field in _fields(response), change
    for missing in ("username", "password", "full_name", "date_of_birth", "sex"):
        body = {k: v for k, v in PATIENT.items() if k != missing}
        response = await client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422 and _fields(response) == [missing], missing
    assert (await login(client, "paula")).status_code == 401


# ---------------------------------------------------------------- staff


async def test_staff_cannot_sign_in_until_an_admin_approves(client, as_role):
    response = await client.post("/api/v1/auth/register-staff", json=STAFF)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["username"] == "lena" and body["role"] == "lab_technician"
    user_id = body["id"]

    pending = await login(client, "lena")
    assert pending.status_code == 403
    assert pending.json()["code"] == "account_pending"
    assert "access_token" not in pending.json()

    admin = await as_role("admin")
    waiting = await client.get("/api/v1/users", headers=admin, params={"status": "pending"})
    assert [u["id"] for u in waiting.json()["items"]] == [user_id]
    approved = await client.post(f"/api/v1/users/{user_id}/approve", headers=admin)
    assert approved.status_code == 200 and approved.json()["is_approved"] is True

    signed_in = await login(client, "lena")
    assert signed_in.status_code == 200
    assert signed_in.json()["user"] == {
        "id": user_id,
        "username": "lena",
        "full_name": "Lena Lab",
        "role": "lab_technician",
    }


async def test_a_wrong_password_on_a_pending_account_does_not_reveal_that_it_exists(client):
    await client.post("/api/v1/auth/register-staff", json=STAFF)
    response = await login(client, "lena", "Not-Her-Password-1")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_asking_for_an_admin_or_patient_account_as_staff_is_refused(client, as_role):
    for role in ("admin", "patient"):
        response = await client.post("/api/v1/auth/register-staff", json={**STAFF, "role": role})
        assert response.status_code == 422, role
        assert _fields(response) == ["role"]
    # Nothing was created: the name is free, and no one waits for approval.
    assert (await login(client, "lena")).json()["code"] == "invalid_credentials"
    admin = await as_role("admin")
    waiting = await client.get("/api/v1/users", headers=admin, params={"status": "pending"})
    assert waiting.json()["total"] == 0


async def test_asking_for_a_staff_account_with_an_unknown_role_names_role(client):
    response = await client.post("/api/v1/auth/register-staff", json={**STAFF, "role": "janitor"})
    assert response.status_code == 422 and _fields(response) == ["role"]


async def test_asking_for_a_staff_account_with_a_taken_username_returns_409(client, make_user):
    await make_user("nurse", username="lena")
    response = await client.post("/api/v1/auth/register-staff", json=STAFF)
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"
    assert _fields(response) == ["username"]


async def test_asking_for_a_staff_account_with_a_weak_password_returns_422(client):
    response = await client.post(
        "/api/v1/auth/register-staff", json={**STAFF, "password": "password123"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"
    assert _fields(response) == ["password"]


async def test_probing_e_mail_addresses_by_registering_is_throttled(app, make_user):
    """The generic refusal alone would still let one address test address after address."""
    import httpx

    await make_user("nurse", username="nurse-paula", email="paula@example.org")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.60", 4100))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as prober:
        answers = [
            (
                await prober.post(
                    "/api/v1/auth/register",
                    json={**PATIENT, "username": f"probe{n}", "email": "paula@example.org"},
                )
            ).status_code
            for n in range(11)
        ]
    assert answers[:10] == [409] * 10
    assert answers[10] == 429
