"""Signing in and out in the browser: sessions, CSRF, idle timeout, second factor."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from openward.app import create_app
from openward.db import session_scope
from openward.identity.models import WebSession
from tests.conftest import STRONG_PASSWORD, totp_code
from tests.web.pages import csrf_of, sign_in, submit, text_of


async def test_the_sign_in_page_asks_for_a_username_and_password(client):
    page = await client.get("/login")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Sign in" in text_of(page.text)
    assert 'for="f-username">Username' in page.text
    assert 'id="f-password" name="password" type="password"' in page.text
    assert 'href="/register"' in page.text and 'href="/register/staff"' in page.text
    csrf_cookie = next(h for h in page.headers.get_list("set-cookie") if h.startswith("ow_csrf="))
    assert "HttpOnly" in csrf_cookie


async def test_signing_in_sets_a_protected_session_cookie_and_opens_the_dashboard(
    client, make_user
):
    await make_user("nurse", username="nadia", full_name="Nadia Haddad")
    response = await sign_in(client, "nadia")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("ow_session"))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = await client.get("/dashboard")
    assert "Nurse dashboard" in text_of(page.text)
    assert "Nadia Haddad" in text_of(page.text)


async def test_a_wrong_password_shows_an_error_and_keeps_the_username(client, make_user):
    await make_user("nurse", username="nadia")
    response = await sign_in(client, "nadia", "not-my-password")
    assert response.status_code == 200  # the form again, with its message
    assert "Wrong username or password" in text_of(response.text)
    assert 'value="nadia"' in response.text


async def test_a_form_without_the_csrf_token_is_refused(client, make_user):
    await make_user("nurse", username="nadia")
    await client.get("/login")
    response = await client.post("/login", data={"username": "nadia", "password": STRONG_PASSWORD})
    assert response.status_code == 403
    assert "form has expired" in text_of(response.text)
    assert "ow_session" not in response.headers.get("set-cookie", "")
    forged = await client.post(
        "/login", data={"username": "nadia", "password": STRONG_PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert "ow_session" not in client.cookies
    assert (await client.get("/dashboard")).status_code == 303  # still signed out


async def test_a_token_copied_into_another_browser_is_refused(app, client, make_user):
    await make_user("nurse", username="nadia")
    token = csrf_of((await client.get("/login")).text)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        response = await other.post(
            "/login", data={"username": "nadia", "password": STRONG_PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 403
        assert "ow_session" not in other.cookies


async def test_signed_in_forms_need_the_sessions_token(client, make_user):
    await make_user("admin", username="chief")
    await sign_in(client, "chief")
    response = await client.post(
        "/admin/users/new",
        data={
            "csrf_token": "stolen",
            "username": "intruder",
            "full_name": "Planted Account",
            "role": "admin",
            "password": "Night-Shift-Ward-7",
        },
    )
    assert response.status_code == 403
    assert "form has expired" in text_of(response.text)
    listing = await client.get("/admin/users?q=intruder")
    assert "No users match." in text_of(listing.text)
    refused = await client.post("/logout", data={})
    assert refused.status_code == 403
    assert (await client.get("/dashboard")).status_code == 200  # still signed in


async def test_opening_the_dashboard_signed_out_leads_to_sign_in_and_back(client, make_user):
    await make_user("nurse", username="nadia")
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard"
    login_page = await client.get(response.headers["location"])
    assert 'name="next" value="/dashboard"' in login_page.text


async def test_next_sends_you_back_where_you_were_but_never_off_site(client, make_user):
    await make_user("admin", username="chief")
    first = await client.get("/admin/users?role=nurse")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Fadmin%2Fusers%3Frole%3Dnurse"
    ok = await sign_in(client, "chief", next_url="/admin/users?role=nurse")
    assert ok.headers["location"] == "/admin/users?role=nurse"
    for evil in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        client.cookies.clear()
        response = await sign_in(client, "chief", next_url=evil)
        assert response.headers["location"] == "/dashboard", evil


async def test_signing_out_ends_the_session_for_good(client, make_user):
    await make_user("nurse", username="nadia")
    await sign_in(client, "nadia")
    cookie = client.cookies.get("ow_session")
    page = await client.get("/dashboard")
    out = await client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login?notice=signed_out"
    client.cookies.set("ow_session", cookie)
    again = await client.get("/dashboard")
    assert again.status_code == 303 and again.headers["location"].startswith("/login")
    notice = await client.get("/login?notice=signed_out")
    assert "You have signed out." in text_of(notice.text)


async def test_an_idle_session_signs_out_with_a_notice(client, make_user, app):
    await make_user("nurse", username="nadia")
    await sign_in(client, "nadia")
    async with session_scope(app.state.sessionmaker) as db:
        session = await db.scalar(select(WebSession))
        session.last_seen_at -= timedelta(minutes=16)
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard&notice=idle"
    login_page = await client.get(response.headers["location"])
    assert "signed out after 15 minutes without activity" in text_of(login_page.text)


async def test_a_session_in_use_is_not_signed_out(client, make_user, app):
    await make_user("nurse", username="nadia")
    await sign_in(client, "nadia")
    for _ in range(2):  # 10 + 10 minutes: only fine if each visit counts as activity
        async with session_scope(app.state.sessionmaker) as db:
            session = await db.scalar(select(WebSession))
            session.last_seen_at -= timedelta(minutes=10)
        page = await client.get("/dashboard")
        assert page.status_code == 200
        assert "Nurse dashboard" in text_of(page.text)


async def test_the_idle_limit_comes_from_the_settings(settings_factory, make_user):
    await make_user("nurse", username="nadia")
    short = create_app(settings_factory(session_idle_minutes=1))
    transport = httpx.ASGITransport(app=short)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await sign_in(http, "nadia")
            page = await http.get("/dashboard")
            assert 'data-idle-seconds="60"' in page.text
            async with session_scope(short.state.sessionmaker) as db:
                session = await db.scalar(select(WebSession))
                session.last_seen_at -= timedelta(seconds=90)
            response = await http.get("/dashboard")
            assert response.status_code == 303
            assert response.headers["location"] == "/login?next=%2Fdashboard&notice=idle"
            login_page = await http.get(response.headers["location"])
            assert "You were signed out after 1 minute without activity." in text_of(
                login_page.text
            )
    finally:
        await short.state.engine.dispose()


async def test_the_page_signs_out_an_unattended_screen_by_itself(client, make_user):
    await make_user("nurse", username="nadia")
    await sign_in(client, "nadia")
    page = await client.get("/dashboard")
    assert 'data-idle-seconds="900"' in page.text  # read by static/js/openward.js
    out = await client.post("/logout", data={"csrf_token": csrf_of(page.text), "reason": "idle"})
    assert out.headers["location"] == "/login?notice=idle"


async def test_a_link_cannot_put_its_own_words_on_the_sign_in_page(client):
    page = await client.get("/login?notice=Call%20555-0100%20now")
    assert "555-0100" not in page.text


async def test_sign_in_with_the_second_factor(client, make_user):
    await make_user("doctor", username="dmensah")
    await sign_in(client, "dmensah")
    account = await client.get("/account")
    setup = await client.post("/account/mfa/setup", data={"csrf_token": csrf_of(account.text)})
    secret = setup.text.split('data-testid="mfa-secret">')[1].split("<")[0]
    assert 'data-testid="mfa-qr"><svg' in setup.text
    enabled = await client.post(
        "/account/mfa/enable",
        data={"csrf_token": csrf_of(setup.text), "code": totp_code(secret)},
    )
    assert enabled.status_code == 303
    client.cookies.clear()

    step = await sign_in(client, "dmensah")
    assert step.status_code == 200 and "Two-step verification" in text_of(step.text)
    token = step.text.split('name="mfa_token" value="')[1].split('"')[0]
    wrong = await client.post(
        "/login/mfa",
        data={
            "csrf_token": csrf_of(step.text),
            "mfa_token": token,
            "code": "000000",
            "next": "/dashboard",
        },
    )
    assert wrong.status_code == 200 and "wrong or has expired" in text_of(wrong.text)
    right = await client.post(
        "/login/mfa",
        data={
            "csrf_token": csrf_of(step.text),
            "mfa_token": token,
            "code": totp_code(secret),
            "next": "/dashboard",
        },
    )
    assert right.status_code == 303
    assert "Doctor dashboard" in text_of((await client.get("/dashboard")).text)


async def test_changing_my_password_needs_the_current_one(client, make_user):
    await make_user("nurse", username="nadia")
    await sign_in(client, "nadia")
    wrong = await submit(
        client,
        "/account",
        "/account/password",
        current_password="nope-nope-nope",
        new_password="Fresh-Start-2026",
        confirm_password="Fresh-Start-2026",
    )
    assert wrong.status_code == 200
    assert "current password is not right" in text_of(wrong.text)
    ok = await submit(
        client,
        "/account",
        "/account/password",
        current_password=STRONG_PASSWORD,
        new_password="Fresh-Start-2026",
        confirm_password="Fresh-Start-2026",
    )
    assert ok.status_code == 303
    client.cookies.clear()
    old = await sign_in(client, "nadia")
    assert old.status_code == 200 and "Wrong username or password" in text_of(old.text)
    assert (await sign_in(client, "nadia", "Fresh-Start-2026")).status_code == 303


async def test_a_wrong_code_while_setting_up_two_step_keeps_the_same_key_on_screen(
    client, make_user
):
    await make_user("nurse", username="nadia")
    await sign_in(client, "nadia")
    account = await client.get("/account")
    setup = await client.post("/account/mfa/setup", data={"csrf_token": csrf_of(account.text)})
    secret = setup.text.split('data-testid="mfa-secret">')[1].split("<")[0]
    wrong = await client.post(
        "/account/mfa/enable", data={"csrf_token": csrf_of(setup.text), "code": "000000"}
    )
    assert "The verification code is wrong or has expired" in text_of(wrong.text)
    assert f'data-testid="mfa-secret">{secret}<' in wrong.text
    right = await client.post(
        "/account/mfa/enable",
        data={"csrf_token": csrf_of(wrong.text), "code": totp_code(secret)},
    )
    assert right.status_code == 303
    account = await client.get("/account")
    assert "Two-step verification is on." in text_of(account.text)
    assert "Set up two-step verification" not in text_of(account.text)


async def test_a_signed_in_screen_cannot_quietly_switch_two_step_off(client, make_user):
    """Starting set-up again once it is on would drop the second factor with no code asked."""
    await make_user("doctor", username="dmensah")
    await sign_in(client, "dmensah")
    account = await client.get("/account")
    setup = await client.post("/account/mfa/setup", data={"csrf_token": csrf_of(account.text)})
    secret = setup.text.split('data-testid="mfa-secret">')[1].split("<")[0]
    await client.post(
        "/account/mfa/enable",
        data={"csrf_token": csrf_of(setup.text), "code": totp_code(secret)},
    )
    again = await client.post("/account/mfa/setup", data={"csrf_token": csrf_of(account.text)})
    assert again.status_code == 303 and again.headers["location"] == "/account"
    account = await client.get("/account")
    assert "Two-step verification is already on" in text_of(account.text)
    assert "mfa-secret" not in account.text
    client.cookies.clear()
    step = await sign_in(client, "dmensah")
    assert step.status_code == 200 and "Two-step verification" in text_of(step.text)
