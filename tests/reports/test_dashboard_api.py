"""Each role's dashboard shows real figures of what exists."""

from __future__ import annotations

from tests.conftest import STRONG_PASSWORD, bearer


async def _register_patient(client, username: str) -> dict:
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "username": username,
            "password": STRONG_PASSWORD,
            "full_name": "Paula Fischer",
            "email": f"{username}@example.org",
            "phone": "+44 20 7946 0011",
            "date_of_birth": "1984-03-14",
            "sex": "female",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_admin_dashboard_counts_users_per_role_and_pending_approvals(
    client, make_user, as_role
):
    admin = await as_role("admin")
    await make_user("nurse")
    await make_user("nurse")
    await make_user("doctor")
    await client.post(
        "/api/v1/auth/register-staff",
        json={
            "username": "newlab",
            "password": STRONG_PASSWORD,
            "full_name": "Lena Lab",
            "email": "lena@example.org",
            "role": "lab_technician",
        },
    )
    await _register_patient(client, "paula")

    response = await client.get("/api/v1/dashboard", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "admin"
    per_role = body["figures"]["users_per_role"]
    assert per_role["nurse"] == 2 and per_role["doctor"] == 1 and per_role["admin"] == 1
    assert per_role["lab_technician"] == 0  # pending accounts are not counted as active
    assert body["figures"]["pending_approvals"] == 1
    assert body["figures"]["patients_registered"] == 1
    assert [u["username"] for u in body["lists"]["pending_approvals"]] == ["newlab"]
    assert body["lists"]["recent_sign_ins"][0]["username"].startswith("admin")


async def test_patient_dashboard_shows_their_own_record_and_reading_it_is_audited(client, as_role):
    registered = await _register_patient(client, "paula")
    headers = await bearer(client, "paula")
    body = (await client.get("/api/v1/dashboard", headers=headers)).json()
    record = body["lists"]["my_record"][0]
    assert record["mrn"].replace("-", "") == registered["mrn"]
    assert record["name"] == "Paula Fischer"

    admin = await as_role("admin")
    events = (
        await client.get("/api/v1/audit", headers=admin, params={"action": "patient.read"})
    ).json()
    assert events["total"] == 1
    assert events["items"][0]["patient_id"] == registered["patient_id"]
    assert events["items"][0]["actor_username"] == "paula"


async def test_front_desk_dashboard_counts_registered_patients(client, as_role):
    await _register_patient(client, "paula")
    await _register_patient(client, "peter")
    receptionist = await as_role("receptionist")
    body = (await client.get("/api/v1/dashboard", headers=receptionist)).json()
    assert body["figures"]["patients_registered"] == 2
    assert body["figures"]["patients_registered_today"] == 2
    assert body["lists"]["my_recent_sign_ins"][0]["via"] == "api"
