"""Pages anyone can open: registration for patients and staff, enrolment at sign-in."""

from __future__ import annotations

import httpx

from openward.app import create_app
from openward.patients.mrn import is_valid_mrn
from tests.conftest import STRONG_PASSWORD, totp_code
from tests.web.pages import PATIENT_FORM, beside, csrf_of, patient_form, sign_in, submit, text_of


async def test_a_patient_registers_and_is_shown_their_mrn(client):
    response = await submit(client, "/register", **PATIENT_FORM)
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
        **patient_form(date_of_birth="", email="not-an-email", password="short"),
    )
    assert response.status_code == 200
    assert 'value="Paula Fischer"' in response.text and 'value="paula"' in response.text
    assert '<option value="female" selected>' in response.text
    assert (
        beside(response.text, "email") == "Enter a valid e-mail address, such as name@example.org."
    )
    assert beside(response.text, "password") == "Use at least 10 characters."
    assert beside(response.text, "date_of_birth") == "This field is required."
    refused = await sign_in(client, "paula")  # no account was made
    assert refused.status_code == 200 and "Wrong username or password" in text_of(refused.text)


async def test_registration_speaks_plainly_about_empty_and_impossible_answers(client):
    empty = await submit(client, "/register", **patient_form(date_of_birth="", sex="", email=""))
    assert empty.status_code == 200
    assert beside(empty.text, "sex") == "This field is required."
    assert beside(empty.text, "date_of_birth") == "This field is required."
    unborn = await submit(client, "/register", **patient_form(date_of_birth="2999-01-01", email=""))
    assert unborn.status_code == 200
    assert beside(unborn.text, "date_of_birth") == "The date of birth cannot be in the future."
    assert 'value="01/01/2999"' in unborn.text  # shown as the hospital types dates


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
    assert "Request sent" in text_of(response.text)
    assert "waiting for an administrator's approval" in text_of(response.text)
    refused = await sign_in(client, "lena")
    assert refused.status_code == 200  # the sign-in form again, saying why
    assert "waiting for an administrator's approval" in text_of(refused.text)
    assert "ow_session" not in client.cookies
    assert (await client.get("/dashboard")).status_code == 303


async def test_a_staff_request_with_mistakes_keeps_what_was_typed(client):
    response = await submit(
        client,
        "/register/staff",
        full_name="Lena Lab",
        email="lena@example.org",
        phone="+44 20 7946 0000",
        role="",
        username="lena",
        password="lena-password-1",
    )
    assert response.status_code == 200
    assert beside(response.text, "role") == "This field is required."
    assert "must not contain the username" in beside(response.text, "password")
    for typed in ("Lena Lab", "lena@example.org", "+44 20 7946 0000", "lena"):
        assert f'value="{typed}"' in response.text


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
                    "code": totp_code(secret),
                },
            )
            assert done.status_code == 303
            dashboard = await http.get("/dashboard")
            assert "Two-step verification is on" in text_of(dashboard.text)
    finally:
        await app.state.engine.dispose()


async def test_pages_carry_security_headers_and_a_request_id(client, make_user):
    await make_user("nurse", username="nadia")
    pages = [await client.get("/login"), await client.get("/no/such/page")]
    await sign_in(client, "nadia")
    pages += [await client.get("/dashboard"), await client.get("/admin/users")]
    assert [p.status_code for p in pages] == [200, 404, 200, 403]
    request_ids = set()
    for page in pages:
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert len(page.headers["x-request-id"]) >= 16
        request_ids.add(page.headers["x-request-id"])
    assert len(request_ids) == len(pages)
    error_page = pages[1]
    assert error_page.headers["x-request-id"] in text_of(error_page.text)  # "Reference: ..."
