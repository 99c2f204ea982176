"""The sign-in contract: login, refresh rotation, logout, me, lockout, deactivation."""

from __future__ import annotations

import pytest

from tests.conftest import STRONG_PASSWORD, bearer, login


async def test_login_returns_token_pair_and_user(client, make_user):
    user = await make_user("nurse", username="nadia", full_name="Nadia Haddad")
    response = await login(client, "nadia")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"] and body["refresh_token"]
    assert 0 < body["expires_in"] <= 3600
    assert body["user"] == {
        "id": user.id,
        "username": "nadia",
        "full_name": "Nadia Haddad",
        "role": "nurse",
    }


async def test_login_username_is_case_insensitive(client, make_user):
    await make_user("doctor", username="dmensah")
    assert (await login(client, "  DMensah ")).status_code == 200


async def test_wrong_password_is_401_problem_json(client, make_user):
    await make_user("nurse", username="nadia")
    response = await login(client, "nadia", "not-the-password")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_credentials"


async def test_unknown_user_gets_the_same_401(client):
    response = await login(client, "nobody-here", "whatever-password")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_me_returns_the_signed_in_user(client, make_user):
    await make_user("pharmacist", username="priya", email="priya@example.org")
    headers = await bearer(client, "priya")
    response = await client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "priya" and body["role"] == "pharmacist"
    assert "password_hash" not in body and "totp_secret" not in body


async def test_me_without_token_is_401(client):
    response = await client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_garbage_token_is_401(client):
    response = await client.get("/api/v1/auth/me", headers={"Authorization": "Bearer abc.def"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_refresh_rotates_and_old_token_stops_working(client, make_user):
    await make_user("nurse", username="nadia")
    first = (await login(client, "nadia")).json()
    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert me.status_code == 200
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert again.status_code == 401


async def test_reusing_a_refresh_token_revokes_the_whole_family(client, make_user):
    await make_user("nurse", username="nadia")
    first = (await login(client, "nadia")).json()
    second = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "refresh_token_reused"
    newest = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert newest.status_code == 401
    # The access token of the revoked family is refused too.
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert me.status_code == 401


async def test_other_sign_ins_survive_a_reuse_attack_on_one_family(client, make_user):
    await make_user("nurse", username="nadia")
    attacked = (await login(client, "nadia")).json()
    other = (await login(client, "nadia")).json()
    await client.post("/api/v1/auth/refresh", json={"refresh_token": attacked["refresh_token"]})
    await client.post("/api/v1/auth/refresh", json={"refresh_token": attacked["refresh_token"]})
    ok = await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert ok.status_code == 200


async def test_unknown_refresh_token_is_401(client):
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"})
    assert response.status_code == 401


async def test_logout_is_204_and_revokes_refresh_tokens(client, make_user):
    await make_user("nurse", username="nadia")
    pair = (await login(client, "nadia")).json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    response = await client.post("/api/v1/auth/logout", headers=headers)
    assert response.status_code == 204
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refresh.status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_five_failures_lock_the_account_even_for_the_right_password(client, make_user):
    await make_user("nurse", username="nadia")
    for _ in range(5):
        assert (await login(client, "nadia", "wrong-password-1")).status_code == 401
    locked = await login(client, "nadia", STRONG_PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert int(locked.headers["Retry-After"]) > 0


async def test_four_failures_then_success_resets_the_count(client, make_user):
    await make_user("nurse", username="nadia")
    for _ in range(4):
        await login(client, "nadia", "wrong-password-1")
    assert (await login(client, "nadia")).status_code == 200
    for _ in range(4):
        await login(client, "nadia", "wrong-password-1")
    assert (await login(client, "nadia")).status_code == 200


async def test_lockout_ends_when_the_window_passes(client, make_user, app):
    from datetime import timedelta

    from sqlalchemy import select

    from openward.db import session_scope
    from openward.identity.models import LoginAttempt

    await make_user("nurse", username="nadia")
    for _ in range(5):
        await login(client, "nadia", "wrong-password-1")
    assert (await login(client, "nadia")).status_code == 429
    async with session_scope(app.state.sessionmaker) as db:  # as if 16 minutes had passed
        for attempt in await db.scalars(select(LoginAttempt)):
            attempt.at -= timedelta(minutes=16)
    assert (await login(client, "nadia")).status_code == 200


async def test_admin_unlock_lifts_the_lockout(client, make_user, as_role):
    nurse = await make_user("nurse", username="nadia")
    admin = await as_role("admin")
    for _ in range(5):
        await login(client, "nadia", "wrong-password-1")
    listed = await client.get(f"/api/v1/users/{nurse.id}", headers=admin)
    assert listed.json()["locked"] is True
    response = await client.post(f"/api/v1/users/{nurse.id}/unlock", headers=admin)
    assert response.status_code == 200 and response.json()["locked"] is False
    assert (await login(client, "nadia")).status_code == 200


async def test_deactivated_users_access_token_is_refused_at_once(client, make_user, as_role):
    nurse = await make_user("nurse", username="nadia")
    headers = await bearer(client, "nadia")
    admin = await as_role("admin")
    assert (
        await client.post(
            f"/api/v1/users/{nurse.id}/deactivate",
            headers=admin,
            json={"reason": "left the hospital"},
        )
    ).status_code == 200
    response = await client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    login_again = await login(client, "nadia")
    assert login_again.status_code == 403
    assert login_again.json()["code"] == "account_disabled"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"password": "x"}, "username"),
        ({"username": "a"}, "password"),
        ({"username": "a", "password": "b", "extra": 1}, "extra"),
    ],
)
async def test_login_validation_names_the_field(client, payload, field):
    response = await client.post("/api/v1/auth/login", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in [e["field"] for e in body["errors"]]


async def test_malformed_json_is_a_clear_422_not_a_500(client):
    response = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
