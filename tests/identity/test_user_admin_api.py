"""User management by the admin: the /api/v1/users contract."""

from __future__ import annotations

import pytest

from tests.conftest import STRONG_PASSWORD, bearer, login

NEW_NURSE = {
    "username": "nadia",
    "password": "Night-Shift-Ward-7",
    "full_name": "Nadia Haddad",
    "email": "nadia@example.org",
    "phone": "+44 20 7946 0100",
    "role": "nurse",
}


async def test_admin_creates_a_user_who_can_sign_in(client, as_role):
    admin = await as_role("admin")
    response = await client.post("/api/v1/users", headers=admin, json=NEW_NURSE)
    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["role"] == "nurse" and body["is_active"] and body["is_approved"]
    assert "password" not in body and "password_hash" not in body
    assert (await login(client, "nadia", "Night-Shift-Ward-7")).status_code == 200


@pytest.mark.parametrize(
    "change, field, code",
    [
        ({"password": "short"}, "password", "weak_password"),
        ({"password": "password123"}, "password", "weak_password"),
        ({"password": "Welcome123!"}, "password", "weak_password"),
        ({"password": "nadia-is-my-name"}, "password", "weak_password"),
        ({"role": "surgeon"}, "role", "validation_error"),
        ({"email": "not-an-email"}, "email", "validation_error"),
        ({"username": "a b"}, "username", "invalid_username"),
        ({"full_name": ""}, "full_name", "validation_error"),
    ],
)
async def test_invalid_user_fields_are_named_and_nothing_is_created(
    client, as_role, change, field, code
):
    admin = await as_role("admin")
    response = await client.post("/api/v1/users", headers=admin, json={**NEW_NURSE, **change})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert field in [e["field"] for e in body["errors"]]
    listed = await client.get("/api/v1/users", headers=admin, params={"q": "nadia"})
    assert listed.json()["total"] == 0


async def test_duplicate_username_and_email_are_409_with_the_field(client, as_role):
    admin = await as_role("admin")
    await client.post("/api/v1/users", headers=admin, json=NEW_NURSE)
    same_name = await client.post(
        "/api/v1/users", headers=admin, json={**NEW_NURSE, "username": "NADIA", "email": "x@y.org"}
    )
    assert same_name.status_code == 409
    assert same_name.json()["code"] == "username_taken"
    assert same_name.json()["errors"][0]["field"] == "username"
    same_mail = await client.post(
        "/api/v1/users",
        headers=admin,
        json={**NEW_NURSE, "username": "nadia2", "email": "Nadia@Example.org"},
    )
    assert same_mail.status_code == 409 and same_mail.json()["code"] == "email_taken"


async def test_list_filters_by_role_and_query_and_pages(client, as_role, make_user):
    admin = await as_role("admin")
    for name in ("Alice Adams", "Bob Brown", "Carol Clark"):
        await make_user("nurse", full_name=name)
    await make_user("doctor", full_name="Alice Doctor")
    nurses = (
        await client.get("/api/v1/users", headers=admin, params={"role": "nurse", "limit": 2})
    ).json()
    assert nurses["total"] == 3 and len(nurses["items"]) == 2
    rest = (
        await client.get(
            "/api/v1/users", headers=admin, params={"role": "nurse", "limit": 2, "offset": 2}
        )
    ).json()
    assert [u["full_name"] for u in rest["items"]] == ["Carol Clark"]
    alices = (await client.get("/api/v1/users", headers=admin, params={"q": "ALICE"})).json()
    assert sorted(u["full_name"] for u in alices["items"]) == ["Alice Adams", "Alice Doctor"]
    bad = await client.get("/api/v1/users", headers=admin, params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "limit"


async def test_get_and_patch_a_user(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user("receptionist", username="rosa")
    got = await client.get(f"/api/v1/users/{user.id}", headers=admin)
    assert got.status_code == 200 and got.json()["username"] == "rosa"
    patched = await client.patch(
        f"/api/v1/users/{user.id}",
        headers=admin,
        json={"full_name": "Rosa Delgado", "role": "nurse"},
    )
    assert patched.status_code == 200
    assert patched.json()["full_name"] == "Rosa Delgado" and patched.json()["role"] == "nurse"
    missing = await client.get("/api/v1/users/999999", headers=admin)
    assert missing.status_code == 404 and missing.json()["code"] == "user_not_found"


async def test_an_admin_reset_password_ends_the_users_sign_ins(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user("nurse", username="nadia")
    pair = (await login(client, "nadia")).json()
    response = await client.patch(
        f"/api/v1/users/{user.id}", headers=admin, json={"password": "Brand-New-Secret-9"}
    )
    assert response.status_code == 200
    old = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert old.status_code == 401
    assert (await login(client, "nadia")).status_code == 401
    assert (await login(client, "nadia", "Brand-New-Secret-9")).status_code == 200


async def test_a_role_change_takes_effect_at_once(client, as_role, make_user):
    admin_headers = await as_role("admin")
    user = await make_user("admin", username="second-admin")
    theirs = await bearer(client, "second-admin")
    await client.patch(f"/api/v1/users/{user.id}", headers=admin_headers, json={"role": "billing"})
    assert (await client.get("/api/v1/users", headers=theirs)).status_code == 401
    fresh = await bearer(client, "second-admin")
    assert (await client.get("/api/v1/users", headers=fresh)).status_code == 403


async def test_the_last_admin_cannot_be_deactivated_or_demoted(client, make_user):
    only = await make_user("admin", username="only-admin")
    headers = await bearer(client, "only-admin")
    off = await client.post(f"/api/v1/users/{only.id}/deactivate", headers=headers)
    assert off.status_code == 409 and off.json()["code"] == "last_admin"
    demote = await client.patch(f"/api/v1/users/{only.id}", headers=headers, json={"role": "nurse"})
    assert demote.status_code == 409
    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["role"] == "admin"


async def test_deactivate_then_activate_restores_sign_in(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user("billing", username="bilal")
    off = await client.post(
        f"/api/v1/users/{user.id}/deactivate", headers=admin, json={"reason": "extended leave"}
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await login(client, "bilal")).status_code == 403
    on = await client.post(f"/api/v1/users/{user.id}/activate", headers=admin)
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert (await login(client, "bilal", STRONG_PASSWORD)).status_code == 200


async def test_deactivated_user_is_listed_under_inactive(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user("billing")
    await client.post(f"/api/v1/users/{user.id}/deactivate", headers=admin)
    inactive = (
        await client.get("/api/v1/users", headers=admin, params={"status": "inactive"})
    ).json()
    assert [u["id"] for u in inactive["items"]] == [user.id]
