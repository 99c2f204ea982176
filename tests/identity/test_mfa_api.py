"""Two-step sign-in with an authenticator app (TOTP): enrolment, the code step, lockout,
admin reset, and roles that must enrol before they get any token."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import pyotp
import pytest

from openward.app import create_app
from openward.core import security
from tests.conftest import STRONG_PASSWORD, bearer, login, totp_code


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wrong_code(secret: str) -> str:
    """A six-digit code that is not valid now, nor in the neighbouring time steps."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


async def _enable_totp(client, headers) -> str:
    setup = await client.post("/api/v1/auth/mfa/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    enabled = await client.post(
        "/api/v1/auth/mfa/enable", headers=headers, json={"code": totp_code(secret)}
    )
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["totp_enabled"] is True
    return secret


async def _mfa_token(client, username: str) -> str:
    challenge = await login(client, username)
    assert challenge.status_code == 200 and challenge.json()["mfa_required"] is True
    return challenge.json()["mfa_token"]


# ---------------------------------------------------------------- enrolment


async def test_mfa_setup_gives_a_secret_and_an_otpauth_uri_for_the_app(client, make_user):
    await make_user("doctor", username="dmensah")
    headers = await bearer(client, "dmensah")
    response = await client.post("/api/v1/auth/mfa/setup", headers=headers)
    assert response.status_code == 200
    body = response.json()
    uri = urlparse(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert "dmensah" in unquote(uri.path)
    assert parse_qs(uri.query)["secret"] == [body["secret"]]
    pyotp.TOTP(body["secret"]).now()  # a usable base32 secret


async def test_mfa_setup_needs_a_sign_in(client):
    response = await client.post("/api/v1/auth/mfa/setup")
    assert response.status_code == 401
    enable = await client.post("/api/v1/auth/mfa/enable", json={"code": "123456"})
    assert enable.status_code == 401


async def test_enabling_with_a_wrong_code_returns_401_mfa_invalid_and_leaves_mfa_off(
    client, make_user
):
    await make_user("doctor", username="dmensah")
    headers = await bearer(client, "dmensah")
    secret = (await client.post("/api/v1/auth/mfa/setup", headers=headers)).json()["secret"]
    response = await client.post(
        "/api/v1/auth/mfa/enable", headers=headers, json={"code": _wrong_code(secret)}
    )
    assert response.status_code == 401 and response.json()["code"] == "mfa_invalid"
    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["totp_enabled"] is False
    plain = (await login(client, "dmensah")).json()
    assert "access_token" in plain and "mfa_required" not in plain


# ---------------------------------------------------------------- the code step


async def test_with_totp_enabled_sign_in_needs_the_code_which_completes_it(client, make_user):
    user = await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))

    first = await login(client, "dmensah")
    assert first.status_code == 200
    challenge = first.json()
    assert challenge["mfa_required"] is True and challenge["mfa_setup_required"] is False
    assert challenge["mfa_token"]
    assert "access_token" not in challenge and "refresh_token" not in challenge

    done = await client.post(
        "/api/v1/auth/mfa",
        json={"mfa_token": challenge["mfa_token"], "code": totp_code(secret)},
    )
    assert done.status_code == 200, done.text
    pair = done.json()
    assert pair["token_type"] == "bearer" and pair["user"]["id"] == user.id
    me = await client.get("/api/v1/auth/me", headers=_auth(pair["access_token"]))
    assert me.status_code == 200 and me.json()["totp_enabled"] is True
    rotated = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert rotated.status_code == 200


async def test_a_code_once_used_is_never_accepted_again(client, make_user):
    await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))
    code = totp_code(secret)
    first = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": await _mfa_token(client, "dmensah"), "code": code}
    )
    assert first.status_code == 200
    replayed = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": await _mfa_token(client, "dmensah"), "code": code}
    )
    assert replayed.status_code == 401 and replayed.json()["code"] == "mfa_invalid"
    fresh = await client.post(
        "/api/v1/auth/mfa",
        json={"mfa_token": await _mfa_token(client, "dmensah"), "code": totp_code(secret)},
    )
    assert fresh.status_code == 200


async def test_the_mfa_token_is_not_an_access_token(client, make_user):
    await make_user("doctor", username="dmensah")
    await _enable_totp(client, await bearer(client, "dmensah"))
    token = await _mfa_token(client, "dmensah")
    response = await client.get("/api/v1/auth/me", headers=_auth(token))
    assert response.status_code == 401


async def test_a_wrong_code_returns_401_mfa_invalid_and_five_lock_the_account(client, make_user):
    await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))
    token = await _mfa_token(client, "dmensah")
    for _ in range(5):
        wrong = await client.post(
            "/api/v1/auth/mfa", json={"mfa_token": token, "code": _wrong_code(secret)}
        )
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "mfa_invalid"
        assert "code" in [e["field"] for e in wrong.json()["errors"]]
    right = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": token, "code": totp_code(secret)}
    )
    assert right.status_code == 429 and right.json()["code"] == "account_locked"
    again = await login(client, "dmensah")
    assert again.status_code == 429 and again.json()["code"] == "account_locked"


async def test_wrong_codes_and_wrong_passwords_share_one_lockout_count(client, make_user):
    await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))
    token = await _mfa_token(client, "dmensah")
    for _ in range(4):
        await client.post(
            "/api/v1/auth/mfa", json={"mfa_token": token, "code": _wrong_code(secret)}
        )
    assert (await login(client, "dmensah", "Wrong-Password-99")).status_code == 401
    assert (await login(client, "dmensah")).status_code == 429


async def test_four_wrong_codes_then_the_right_one_still_signs_in(client, make_user):
    await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))
    token = await _mfa_token(client, "dmensah")
    for _ in range(4):
        await client.post(
            "/api/v1/auth/mfa", json={"mfa_token": token, "code": _wrong_code(secret)}
        )
    right = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": token, "code": totp_code(secret)}
    )
    assert right.status_code == 200 and "access_token" in right.json()


async def test_an_expired_mfa_token_returns_401(client, app, make_user):
    user = await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))
    expired, _ = security.encode_jwt(
        app.state.settings.resolved_secret_key(),
        str(user.id),
        "mfa",
        timedelta(minutes=-1),
        setup=False,
    )
    response = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": expired, "code": totp_code(secret)}
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged",
        # well-formed, but signed with someone else's key
        security.encode_jwt("not-the-hospitals-key-" + "y" * 32, "1", "mfa", timedelta(minutes=5))[
            0
        ],
    ],
    ids=["garbage", "forged", "foreign-key"],
)
async def test_a_garbage_or_foreign_mfa_token_returns_401(client, token):
    response = await client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": "123456"})
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


async def test_an_access_token_is_not_an_mfa_token(client, make_user):
    await make_user("doctor", username="dmensah")
    access = (await login(client, "dmensah")).json()["access_token"]
    response = await client.post("/api/v1/auth/mfa", json={"mfa_token": access, "code": "123456"})
    assert response.status_code == 401


async def test_a_code_step_token_cannot_replace_the_enrolled_secret(client, make_user):
    """Knowing only the password must not let anyone enrol their own authenticator."""
    await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))
    token = await _mfa_token(client, "dmensah")
    setup = await client.post("/api/v1/auth/mfa/setup", json={"mfa_token": token})
    assert setup.status_code == 401
    enable = await client.post(
        "/api/v1/auth/mfa/enable", json={"mfa_token": token, "code": totp_code(secret)}
    )
    assert enable.status_code == 401
    done = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": token, "code": totp_code(secret)}
    )
    assert done.status_code == 200  # the enrolled authenticator still works


# ---------------------------------------------------------------- admin reset


async def test_admin_reset_mfa_turns_the_second_factor_off_and_ends_sign_ins(
    client, make_user, as_role
):
    user = await make_user("doctor", username="dmensah")
    secret = await _enable_totp(client, await bearer(client, "dmensah"))
    token = await _mfa_token(client, "dmensah")
    pair = (
        await client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": totp_code(secret)})
    ).json()
    admin = await as_role("admin")
    reset = await client.post(f"/api/v1/users/{user.id}/reset-mfa", headers=admin)
    assert reset.status_code == 200 and reset.json()["totp_enabled"] is False
    assert (
        await client.get("/api/v1/auth/me", headers=_auth(pair["access_token"]))
    ).status_code == 401
    fresh = await login(client, "dmensah")
    assert fresh.status_code == 200 and "access_token" in fresh.json()


async def test_only_an_admin_can_reset_someones_mfa(client, make_user, as_role):
    user = await make_user("doctor", username="dmensah")
    await _enable_totp(client, await bearer(client, "dmensah"))
    nurse = await as_role("nurse")
    response = await client.post(f"/api/v1/users/{user.id}/reset-mfa", headers=nurse)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert (await login(client, "dmensah")).json()["mfa_required"] is True


# ---------------------------------------------------------------- roles that must enrol


@pytest.fixture
async def mfa_for_admins(settings_factory):
    """A client of an app whose settings require a second factor for admins."""
    application = create_app(settings_factory(require_mfa_for=["admin"]))
    transport = httpx.ASGITransport(app=application, client=("203.0.113.9", 52000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await application.state.engine.dispose()


async def test_an_admin_without_totp_must_enrol_and_gets_tokens_only_by_enrolling(
    mfa_for_admins, make_user
):
    http = mfa_for_admins
    await make_user("admin", username="chief")
    first = await login(http, "chief")
    assert first.status_code == 200
    challenge = first.json()
    assert challenge["mfa_required"] is True and challenge["mfa_setup_required"] is True
    assert "access_token" not in challenge and "refresh_token" not in challenge
    token = challenge["mfa_token"]

    # The enrolment token opens nothing by itself.
    assert (await http.get("/api/v1/auth/me", headers=_auth(token))).status_code == 401
    assert (await http.get("/api/v1/users", headers=_auth(token))).status_code == 401
    code_step = await http.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": "123456"})
    assert code_step.status_code != 200 and "access_token" not in code_step.json()

    setup = await http.post("/api/v1/auth/mfa/setup", json={"mfa_token": token})
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    # A right code for the new secret, at the code step, before enabling: still no tokens.
    early = await http.post(
        "/api/v1/auth/mfa", json={"mfa_token": token, "code": totp_code(secret)}
    )
    assert early.status_code != 200 and "access_token" not in early.json()
    wrong = await http.post(
        "/api/v1/auth/mfa/enable", json={"mfa_token": token, "code": _wrong_code(secret)}
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "mfa_invalid"
    assert "tokens" not in wrong.json()

    enabled = await http.post(
        "/api/v1/auth/mfa/enable", json={"mfa_token": token, "code": totp_code(secret)}
    )
    assert enabled.status_code == 200
    assert enabled.json()["totp_enabled"] is True
    tokens = enabled.json()["tokens"]
    me = await http.get("/api/v1/auth/me", headers=_auth(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "chief" and me.json()["totp_enabled"] is True
    users = await http.get("/api/v1/users", headers=_auth(tokens["access_token"]))
    assert users.status_code == 200

    # From now on it is the ordinary code step.
    again = (await login(http, "chief", STRONG_PASSWORD)).json()
    assert again["mfa_required"] is True and again["mfa_setup_required"] is False
    assert "access_token" not in again


async def test_roles_not_listed_still_sign_in_with_the_password_alone(mfa_for_admins, make_user):
    await make_user("nurse", username="nadia")
    response = await login(mfa_for_admins, "nadia")
    assert response.status_code == 200 and "access_token" in response.json()


async def test_the_enrolment_token_is_spent_once_the_admin_has_enrolled(mfa_for_admins, make_user):
    """After enrolment, the old token must not let a password-holder enrol a new device."""
    http = mfa_for_admins
    await make_user("admin", username="chief")
    token = (await login(http, "chief")).json()["mfa_token"]
    secret = (await http.post("/api/v1/auth/mfa/setup", json={"mfa_token": token})).json()["secret"]
    enabled = await http.post(
        "/api/v1/auth/mfa/enable", json={"mfa_token": token, "code": totp_code(secret)}
    )
    assert enabled.status_code == 200
    replay = await http.post("/api/v1/auth/mfa/setup", json={"mfa_token": token})
    assert replay.status_code == 401
    # The enrolled authenticator is still the one that counts.
    step = (await login(http, "chief")).json()
    done = await http.post(
        "/api/v1/auth/mfa", json={"mfa_token": step["mfa_token"], "code": totp_code(secret)}
    )
    assert done.status_code == 200
