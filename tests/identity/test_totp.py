"""Two-step sign-in with an authenticator app (TOTP)."""

from __future__ import annotations

import httpx
import pyotp

from openward.app import create_app
from tests.conftest import STRONG_PASSWORD, bearer, login


async def _enable_totp(client, headers) -> str:
    setup = await client.post("/api/v1/auth/mfa/setup", headers=headers)
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    enabled = await client.post(
        "/api/v1/auth/mfa/enable", headers=headers, json={"code": pyotp.TOTP(secret).now()}
    )
    assert enabled.status_code == 200 and enabled.json()["totp_enabled"] is True
    return secret


async def test_with_totp_on_sign_in_needs_the_code(client, make_user):
    await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))
    first = await login(client, "dmensah")
    assert first.status_code == 200
    challenge = first.json()
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    done = await client.post(
        "/api/v1/auth/mfa",
        json={"mfa_token": challenge["mfa_token"], "code": pyotp.TOTP(secret).now()},
    )
    assert done.status_code == 200
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {done.json()['access_token']}"}
    )
    assert me.json()["totp_enabled"] is True


async def test_a_wrong_code_is_refused_and_counts_toward_the_lockout(client, make_user):
    await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))
    token = (await login(client, "dmensah")).json()["mfa_token"]
    for _ in range(5):
        wrong = await client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": "000000"})
        assert wrong.status_code == 401 and wrong.json()["code"] == "mfa_invalid"
    locked = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": token, "code": pyotp.TOTP(secret).now()}
    )
    assert locked.status_code == 429


async def test_a_forged_mfa_token_is_refused(client):
    response = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": "eyJhbGciOi.forged.token", "code": "123456"}
    )
    assert response.status_code == 401


async def test_an_access_token_is_not_an_mfa_token(client, make_user):
    await make_user("doctor", username="dmensah")
    access = (await login(client, "dmensah")).json()["access_token"]
    response = await client.post("/api/v1/auth/mfa", json={"mfa_token": access, "code": "123456"})
    assert response.status_code == 401


async def test_admin_reset_lets_a_user_who_lost_the_phone_sign_in_with_password(
    client, make_user, as_role
):
    user = await make_user("doctor", username="dmensah")
    await _enable_totp(client, await bearer(client, "dmensah"))
    admin = await as_role("admin")
    reset = await client.post(f"/api/v1/users/{user.id}/reset-mfa", headers=admin)
    assert reset.status_code == 200 and reset.json()["totp_enabled"] is False
    assert "access_token" in (await login(client, "dmensah")).json()


async def test_roles_that_require_mfa_must_enrol_before_getting_tokens(settings_factory, make_user):
    await make_user("admin", username="chief")
    app = create_app(settings_factory(require_mfa_for="admin,doctor"))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://mfa") as http:
            challenge = (await login(http, "chief")).json()
            assert challenge["mfa_required"] and challenge["mfa_setup_required"]
            assert "access_token" not in challenge
            token = challenge["mfa_token"]
            # The enrolment token is not a way around the second factor.
            me = await http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401
            setup = await http.post("/api/v1/auth/mfa/setup", json={"mfa_token": token})
            secret = setup.json()["secret"]
            enabled = await http.post(
                "/api/v1/auth/mfa/enable",
                json={"mfa_token": token, "code": pyotp.TOTP(secret).now()},
            )
            assert enabled.status_code == 200
            tokens = enabled.json()["tokens"]
            me = await http.get(
                "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
            )
            assert me.json()["username"] == "chief" and me.json()["totp_enabled"]
            # From now on it is the ordinary code step.
            again = (await login(http, "chief", STRONG_PASSWORD)).json()
            assert again["mfa_required"] and not again["mfa_setup_required"]
    finally:
        await app.state.engine.dispose()


async def test_mfa_setup_needs_a_sign_in(client):
    response = await client.post("/api/v1/auth/mfa/setup")
    assert response.status_code == 401
