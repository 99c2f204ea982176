"""Deactivating a patient's record asks whether to disable their online login too: the
login is disabled with the record, in the same request and audited, only when asked."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import STRONG_PASSWORD, login
from tests.scheduling.factories import new_patient, new_patient_user
from tests.web.pages import csrf_of, sign_in, text_of


async def _events(client, admin, patient_id: int) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", headers=admin, params={"patient_id": patient_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_deactivating_with_disable_login_ends_the_patients_online_access(
    client: httpx.AsyncClient, as_role: Any
):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    patient_headers, patient = await new_patient_user(client, username="paula")
    response = await client.post(
        f"/api/v1/patients/{patient['patient_id']}/deactivate",
        headers=desk,
        json={"reason": "Registered twice", "disable_login": True},
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    refused = await login(client, "paula", STRONG_PASSWORD)
    assert refused.status_code == 403 and refused.json()["code"] == "account_disabled"
    assert (await client.get("/api/v1/auth/me", headers=patient_headers)).status_code == 401
    account = await client.get(f"/api/v1/users/{patient['id']}", headers=admin)
    assert account.json()["is_active"] is False

    actions = [e["action"] for e in await _events(client, admin, patient["patient_id"])]
    assert "patient.deactivate" in actions and "patient.disable_login" in actions
    user_events = await client.get(
        "/api/v1/audit", headers=admin, params={"action": "user.deactivate"}
    )
    deactivated = [e for e in user_events.json()["items"] if e["object_id"] == str(patient["id"])]
    assert [e["reason"] for e in deactivated] == ["Registered twice"]


async def test_deactivating_without_disable_login_keeps_the_login(
    client: httpx.AsyncClient, as_role: Any
):
    desk = await as_role("receptionist")
    _, patient = await new_patient_user(client, username="paula")
    response = await client.post(
        f"/api/v1/patients/{patient['patient_id']}/deactivate",
        headers=desk,
        json={"reason": "Moved to another hospital"},
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert (await login(client, "paula", STRONG_PASSWORD)).status_code == 200


async def test_a_record_without_a_login_deactivates_alone(client: httpx.AsyncClient, as_role: Any):
    desk = await as_role("receptionist")
    patient = await new_patient(client, desk)
    response = await client.post(
        f"/api/v1/patients/{patient['id']}/deactivate",
        headers=desk,
        json={"reason": "Registered twice", "disable_login": True},
    )
    assert response.status_code == 200 and response.json()["is_active"] is False


async def test_the_deactivate_form_asks_about_the_login_and_disables_it_when_ticked(
    client: httpx.AsyncClient, as_role: Any, make_user: Any
):
    _, linked = await new_patient_user(client, username="paula")
    _, kept = await new_patient_user(client, username="omar", full_name="Omar Haddad")
    desk = await make_user("receptionist", username="desk")
    assert (await sign_in(client, desk.username)).status_code == 303

    page = await client.get(f"/patients/{linked['patient_id']}")
    assert 'name="disable_login"' in page.text
    assert "Also disable the patient's online login" in text_of(page.text)
    ticked = await client.post(
        f"/patients/{linked['patient_id']}/deactivate",
        data={"csrf_token": csrf_of(page.text), "reason": "Registered twice", "disable_login": "1"},
    )
    assert ticked.status_code == 303
    shown = text_of((await client.get(f"/patients/{linked['patient_id']}")).text)
    assert "and disabled their online login" in shown
    assert (await login(client, "paula", STRONG_PASSWORD)).status_code == 403

    page = await client.get(f"/patients/{kept['patient_id']}")
    unticked = await client.post(
        f"/patients/{kept['patient_id']}/deactivate",
        data={"csrf_token": csrf_of(page.text), "reason": "Moved away"},
    )
    assert unticked.status_code == 303
    assert (await login(client, "omar", STRONG_PASSWORD)).status_code == 200


async def test_a_short_reason_keeps_the_ticked_box_and_says_why(
    client: httpx.AsyncClient, make_user: Any
):
    _, linked = await new_patient_user(client, username="paula")
    desk = await make_user("receptionist", username="desk")
    await sign_in(client, desk.username)
    page = await client.get(f"/patients/{linked['patient_id']}")
    again = await client.post(
        f"/patients/{linked['patient_id']}/deactivate",
        data={"csrf_token": csrf_of(page.text), "reason": "x", "disable_login": "1"},
    )
    assert again.status_code == 200
    assert "at least 3 characters" in text_of(again.text)
    assert 'name="disable_login" value="1" checked' in again.text
    assert (await login(client, "paula", STRONG_PASSWORD)).status_code == 200
