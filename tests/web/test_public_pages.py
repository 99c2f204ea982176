"""Pages anyone can open: registration for patients and staff, enrolment at sign-in."""

from __future__ import annotations

import httpx
import pyotp

from openward.app import create_app
from openward.patients.mrn import is_valid_mrn
from tests.conftest import STRONG_PASSWORD
from tests.web.pages import csrf_of, sign_in, submit, text_of


async def test_a_patient_registers_and_is_shown_their_mrn(client):
    response = await submit(
        client,
        "/register",
        full_name="Paula Fischer",
        date_of_birth="1984-03-14",
        sex="female",
        email="paula@example.org",
        phone="",
        username="paula",
        password=STRONG_PASSWORD,
    )
    assert response.status_code == 201
    mrn = response.text.split('data-testid="mrn">')[1].split("<")[0]
    assert is_valid_mrn(mrn)
    assert (await sign_in(client, "paula")).status_code == 303
    dashboard = await client.get("/dashboard")
    assert mrn in dashboard.text and "Patient dashboard" in text_of(dashboard.text)


async def test_registration_errors_are_shown_beside_the_fields_with_values_kept(client):
    response = await submit(
        client,
        "/register",
        full_name="Paula Fischer",
        date_of_birth="",
        sex="female",
        email="not-an-email",
        phone="",
        username="paula",
        password="short",
    )
    assert response.status_code == 422
    assert 'value="Paula Fischer"' in response.text and 'value="paula"' in response.text
    assert 'id="e-email"' in response.text and 'id="e-password"' in response.text
    assert 'id="e-date_of_birth"' in response.text


async def test_a_staff_request_waits_for_approval(client):
    response = await submit(
        client,
        "/register/staff",
        full_name="Lena Lab",
        email="lena@example.org",
        phone="",
        role="lab_technician",
        username="lena",
        password=STRONG_PASSWORD,
    )
    assert response.status_code == 202
    assert "waiting for an administrator's approval" in text_of(response.text)
    refused = await sign_in(client, "lena")
    assert refused.status_code == 403
    assert "waiting for an administrator's approval" in text_of(refused.text)


async def test_a_role_that_requires_two_step_enrols_at_first_sign_in(settings_factory, make_user):
    await make_user("admin", username="chief")
    app = create_app(settings_factory(require_mfa_for=["admin"]))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            enrol = await sign_in(http, "chief")
            assert enrol.status_code == 200
            assert "Set up two-step verification" in text_of(enrol.text)
            secret = enrol.text.split('data-testid="mfa-secret">')[1].split("<")[0]
            token = enrol.text.split('name="mfa_token" value="')[1].split('"')[0]
            done = await http.post(
                "/login/mfa-enrol",
                data={
                    "csrf_token": csrf_of(enrol.text),
                    "mfa_token": token,
                    "next": "/dashboard",
                    "code": pyotp.TOTP(secret).now(),
                },
            )
            assert done.status_code == 303
            dashboard = await http.get("/dashboard")
            assert "Two-step verification is on" in text_of(dashboard.text)
    finally:
        await app.state.engine.dispose()


async def test_pages_carry_security_headers_and_a_request_id(client):
    page = await client.get("/login")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert len(page.headers["x-request-id"]) >= 16
