"""The admin's pages: users, approvals, lockouts, the audit trail and the dashboard."""

from __future__ import annotations

import re

from tests.conftest import STRONG_PASSWORD, login, totp_code
from tests.web.pages import beside, csrf_of, sign_in, submit, text_of

# What the admin types to create Nadia's account (the password varies by test).
NURSE_FORM = {
    "username": "nadia",
    "full_name": "Nadia Haddad",
    "role": "nurse",
    "email": "nadia@example.org",
    "phone": "",
}


async def _admin(client, make_user) -> None:
    await make_user("admin", username="chief", full_name="Amara Okafor")
    await sign_in(client, "chief")


async def test_creating_a_user_keeps_what_was_typed_when_something_is_wrong(client, make_user):
    await _admin(client, make_user)
    response = await submit(client, "/admin/users/new", **NURSE_FORM, password="password123")
    assert response.status_code == 200
    assert "too common" in beside(response.text, "password")
    assert 'value="Nadia Haddad"' in response.text and 'value="nadia@example.org"' in response.text
    assert '<option value="nurse" selected>' in response.text
    created = await submit(client, "/admin/users/new", **NURSE_FORM, password="Night-Shift-Ward-7")
    assert created.status_code == 303
    detail = await client.get(created.headers["location"])
    assert "Created nurse account 'nadia'." in text_of(detail.text)
    duplicate = await submit(
        client,
        "/admin/users/new",
        username="nadia",
        full_name="Other",
        role="nurse",
        email="",
        phone="",
        password="Night-Shift-Ward-7",
    )
    assert duplicate.status_code == 200
    assert "That username is already in use" in beside(duplicate.text, "username")
    assert 'value="Other"' in duplicate.text


async def test_searching_and_filtering_the_user_list(client, make_user):
    await _admin(client, make_user)
    await make_user("nurse", full_name="Nadia Haddad")
    await make_user("doctor", full_name="David Mensah")
    by_name = text_of((await client.get("/admin/users?q=hadd")).text)
    assert "Nadia Haddad" in by_name and "David Mensah" not in by_name
    by_role = text_of((await client.get("/admin/users?role=doctor")).text)
    assert "David Mensah" in by_role and "Nadia Haddad" not in by_role
    nothing = text_of((await client.get("/admin/users?q=zzzz")).text)
    assert "No users match." in nothing


async def test_editing_deactivating_and_reactivating_a_user(client, make_user):
    await _admin(client, make_user)
    user = await make_user("receptionist", username="rosa", full_name="Rosa D")
    url = f"/admin/users/{user.id}"
    saved = await submit(
        client,
        url,
        full_name="Rosa Delgado",
        role="receptionist",
        email="rosa@example.org",
        phone="",
    )
    assert saved.status_code == 303
    page = await client.get(url)
    assert "Changes saved." in text_of(page.text) and 'value="Rosa Delgado"' in page.text
    refused = await client.post(
        url,
        data={
            "csrf_token": csrf_of(page.text),
            "full_name": "Rosa Delgado-Ruiz",
            "role": "receptionist",
            "email": "rosa-at-example",
            "phone": "+34 600 000 000",
        },
    )
    assert refused.status_code == 200
    assert "valid e-mail address" in beside(refused.text, "email")
    assert 'value="Rosa Delgado-Ruiz"' in refused.text and 'value="rosa-at-example"' in refused.text
    page = await client.get(url)
    assert 'value="Rosa Delgado"' in page.text and 'value="rosa@example.org"' in page.text
    off = await client.post(
        f"{url}/deactivate", data={"csrf_token": csrf_of(page.text), "reason": "left the hospital"}
    )
    assert off.status_code == 303
    page = await client.get(url)
    assert "Deactivated — left the hospital" in text_of(page.text)
    assert (await login(client, "rosa")).status_code == 403
    await client.post(f"{url}/activate", data={"csrf_token": csrf_of(page.text)})
    page = await client.get(url)
    assert "Account reactivated." in text_of(page.text)
    assert re.search(
        r'data-testid="user-status">\s*<span class="badge ow-status text-bg-success" '
        r'data-status="active">Active',
        page.text,
    )
    assert (await login(client, "rosa")).status_code == 200


async def test_approving_a_staff_request_from_the_pending_list(client, make_user):
    await client.post(
        "/api/v1/auth/register-staff",
        json={
            "username": "lena",
            "password": STRONG_PASSWORD,
            "full_name": "Lena Lab",
            "email": "lena@example.org",
            "role": "lab_technician",
        },
    )
    await _admin(client, make_user)
    dashboard = text_of((await client.get("/dashboard")).text)
    assert "Lena Lab" in dashboard and "No accounts are waiting." not in dashboard
    pending = await client.get("/admin/users?status=pending")
    assert "Awaiting approval" in text_of(pending.text)
    user_id = re.search(r'href="/admin/users/(\d+)"', pending.text).group(1)
    approved = await client.post(
        f"/admin/users/{user_id}/approve",
        data={"csrf_token": csrf_of(pending.text), "return_to": "/admin/users?status=pending"},
    )
    assert approved.headers["location"] == "/admin/users?status=pending"
    assert (await login(client, "lena")).status_code == 200


async def test_filtering_users_by_status(client, make_user):
    await _admin(client, make_user)
    user = await make_user("nurse", full_name="Nadia Haddad")
    await make_user("doctor", full_name="David Mensah", approved=False)
    page = await client.get(f"/admin/users/{user.id}")
    await client.post(
        f"/admin/users/{user.id}/deactivate",
        data={"csrf_token": csrf_of(page.text), "reason": "left"},
    )
    inactive = text_of((await client.get("/admin/users?status=inactive")).text)
    assert "Nadia Haddad" in inactive and "David Mensah" not in inactive
    pending = text_of((await client.get("/admin/users?status=pending")).text)
    assert "David Mensah" in pending and "Nadia Haddad" not in pending
    active = text_of((await client.get("/admin/users?status=active")).text)
    assert "Amara Okafor" in active
    assert "Nadia Haddad" not in active and "David Mensah" not in active
    both = await client.get("/admin/users?status=pending&role=nurse")
    assert "No users match." in text_of(both.text)
    assert '<option value="pending" selected>' in both.text


async def test_resetting_a_lost_second_factor(client, make_user):
    user = await make_user("doctor", username="dmensah")
    await sign_in(client, "dmensah")
    account = await client.get("/account")
    setup = await client.post("/account/mfa/setup", data={"csrf_token": csrf_of(account.text)})
    secret = setup.text.split('data-testid="mfa-secret">')[1].split("<")[0]
    await client.post(
        "/account/mfa/enable",
        data={"csrf_token": csrf_of(setup.text), "code": totp_code(secret)},
    )
    client.cookies.clear()
    assert "Two-step verification" in text_of((await sign_in(client, "dmensah")).text)

    client.cookies.clear()
    await _admin(client, make_user)
    page = await client.get(f"/admin/users/{user.id}")
    assert "2-step on" in text_of(page.text)
    await client.post(f"/admin/users/{user.id}/reset-mfa", data={"csrf_token": csrf_of(page.text)})
    page = await client.get(f"/admin/users/{user.id}")
    assert "Two-step verification removed" in text_of(page.text)
    assert "2-step on" not in text_of(page.text)

    client.cookies.clear()
    signed_in = await sign_in(client, "dmensah")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/dashboard"


async def test_an_unknown_user_is_a_friendly_404(client, make_user):
    await _admin(client, make_user)
    page = await client.get("/admin/users/999999")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "No such user" in text_of(page.text)
    assert "Back to your dashboard" in text_of(page.text)


async def test_unlocking_a_locked_account(client, make_user):
    user = await make_user("nurse", username="nadia")
    for _ in range(5):
        await login(client, "nadia", "wrong-password-x")
    await _admin(client, make_user)
    page = await client.get(f"/admin/users/{user.id}")
    assert "Locked after failed sign-ins" in text_of(page.text)
    await client.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf_of(page.text)})
    page = await client.get(f"/admin/users/{user.id}")
    assert "Sign-in lockout lifted." in text_of(page.text)
    assert (await login(client, "nadia")).status_code == 200


async def test_the_last_admin_is_told_why_they_cannot_deactivate_themselves(client, make_user):
    await _admin(client, make_user)
    users = await client.get("/admin/users?role=admin")
    admin_id = re.search(r'href="/admin/users/(\d+)"', users.text).group(1)
    page = await client.get(f"/admin/users/{admin_id}")
    await client.post(
        f"/admin/users/{admin_id}/deactivate", data={"csrf_token": csrf_of(page.text)}
    )
    page = await client.get(f"/admin/users/{admin_id}")
    assert "at least one active administrator" in text_of(page.text)


async def test_the_audit_page_lists_events_and_verifies_the_chain(client, make_user):
    await make_user("nurse", username="nadia")
    await login(client, "nadia", "wrong-password-x")
    await _admin(client, make_user)
    page = await client.get("/admin/audit?actor=nadia")
    text = text_of(page.text)
    assert "auth.login" in text and "failure" in text and "203.0.113.7" in text
    verified = await client.post("/admin/audit/verify", data={"csrf_token": csrf_of(page.text)})
    assert re.search(r"The audit trail is intact: \d+ events verified", text_of(verified.text))
    failures = await client.get("/admin/audit?outcome=failure")
    outcomes = re.findall(r'<span class="badge text-bg-\w+">(\w+)</span>', failures.text)
    assert outcomes and set(outcomes) == {"failure"}
    odd_filters = await client.get("/admin/audit?from=not-a-date&patient_id=abc&outcome=x")
    assert odd_filters.status_code == 200


async def test_other_roles_get_a_friendly_403_and_no_admin_links(client, make_user):
    await make_user("nurse", username="nadia")
    await sign_in(client, "nadia")
    dashboard = await client.get("/dashboard")
    assert 'href="/admin/users"' not in dashboard.text
    page = await client.get("/admin/users")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "You don't have access to this page" in text_of(page.text)
    assert "ask an administrator" in text_of(page.text)
    assert "users:manage" not in page.text  # no permission jargon for a nurse
    assert "Back to your dashboard" in text_of(page.text)


async def test_an_unknown_page_is_a_friendly_404(client):
    page = await client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "We couldn't find that page" in text_of(page.text)
    assert "Go to sign-in" in text_of(page.text)
    assert "Traceback" not in page.text


async def test_a_signed_in_person_on_an_unknown_page_is_offered_their_dashboard(client, make_user):
    await make_user("nurse", username="nadia")
    await sign_in(client, "nadia")
    page = await client.get("/no/such/page")
    assert page.status_code == 404
    assert "Back to your dashboard" in text_of(page.text)
    assert "Go to sign-in" not in text_of(page.text)
