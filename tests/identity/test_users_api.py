"""The administrator's /api/v1/users contract: create, list and search, read, change,
deactivate and activate, and the rules that keep the hospital able to administer itself."""

from __future__ import annotations

import httpx

from tests.conftest import STRONG_PASSWORD, bearer, login
from tests.web.pages import sign_in

NEW_NURSE = {
    "username": "nadia",
    "password": "Night-Shift-Ward-7",
    "full_name": "Nadia Haddad",
    "email": "nadia@example.org",
    "phone": "+44 20 7946 0100",
    "role": "nurse",
}


def _auth(pair: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def _total(client, admin, **params) -> int:
    response = await client.get("/api/v1/users", headers=admin, params=params)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def _field_errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}


# ---------------------------------------------------------------- create


async def test_an_admin_creates_a_user_who_can_then_sign_in(client, as_role):
    admin = await as_role("admin")
    response = await client.post("/api/v1/users", headers=admin, json=NEW_NURSE)
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["id"], int)
    assert {k: body[k] for k in ("username", "full_name", "email", "phone", "role")} == {
        k: NEW_NURSE[k] for k in ("username", "full_name", "email", "phone", "role")
    }
    assert body["is_active"] is True and body["is_approved"] is True
    assert body["totp_enabled"] is False and body["locked"] is False
    assert not {"password", "password_hash", "totp_secret"} & body.keys()

    fetched = await client.get(f"/api/v1/users/{body['id']}", headers=admin)
    assert fetched.status_code == 200 and fetched.json()["username"] == "nadia"
    signed_in = await login(client, "nadia", "Night-Shift-Ward-7")
    assert signed_in.status_code == 200
    assert signed_in.json()["user"]["role"] == "nurse"


async def test_creating_a_taken_username_in_any_case_returns_409_username_taken(client, as_role):
    admin = await as_role("admin")
    assert (await client.post("/api/v1/users", headers=admin, json=NEW_NURSE)).status_code == 201
    before = await _total(client, admin)
    for username in ("nadia", "NADIA", " Nadia "):
        again = {**NEW_NURSE, "username": username, "email": "someone.else@example.org"}
        response = await client.post("/api/v1/users", headers=admin, json=again)
        assert response.status_code == 409, username
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "username_taken"
        assert list(_field_errors(response)) == ["username"]
    assert await _total(client, admin) == before


async def test_creating_a_taken_email_in_any_case_returns_409_email_taken(client, as_role):
    admin = await as_role("admin")
    assert (await client.post("/api/v1/users", headers=admin, json=NEW_NURSE)).status_code == 201
    before = await _total(client, admin)
    for email in ("nadia@example.org", "NADIA@EXAMPLE.ORG", "Nadia@Example.org"):
        again = {**NEW_NURSE, "username": "nadia2", "email": email}
        response = await client.post("/api/v1/users", headers=admin, json=again)
        assert response.status_code == 409, email
        assert response.json()["code"] == "email_taken"
        assert list(_field_errors(response)) == ["email"]
    assert await _total(client, admin) == before
    assert (await login(client, "nadia2", NEW_NURSE["password"])).status_code == 401


async def test_changing_a_users_email_to_another_users_in_other_case_returns_409_email_taken(
    client, as_role, make_user
):
    admin = await as_role("admin")
    await make_user("nurse", username="nadia", email="nadia@example.org")
    other = await make_user("doctor", username="dmensah", email="d.mensah@example.org")
    response = await client.patch(
        f"/api/v1/users/{other.id}", headers=admin, json={"email": "Nadia@Example.ORG"}
    )
    assert response.status_code == 409 and response.json()["code"] == "email_taken"
    unchanged = await client.get(f"/api/v1/users/{other.id}", headers=admin)
    assert unchanged.json()["email"] == "d.mensah@example.org"


async def test_creating_a_user_with_a_weak_password_returns_422_weak_password(client, as_role):
    admin = await as_role("admin")
    for password, reason in [
        ("Short-7", "at least 10 characters"),
        ("nadia-on-nights", "must not contain the username"),
        ("password123", "too common"),
        ("Welcome123!", "too common"),
    ]:
        response = await client.post(
            "/api/v1/users", headers=admin, json={**NEW_NURSE, "password": password}
        )
        assert response.status_code == 422, password
        body = response.json()
        assert body["code"] == "weak_password"
        errors = _field_errors(response)
        assert list(errors) == ["password"]
        assert reason in errors["password"] and reason in body["detail"], password
    assert await _total(client, admin, q="nadia") == 0


async def test_creating_a_user_with_an_unknown_role_returns_422_naming_role(client, as_role):
    admin = await as_role("admin")
    response = await client.post(
        "/api/v1/users", headers=admin, json={**NEW_NURSE, "role": "surgeon"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert "role" in _field_errors(response)
    assert await _total(client, admin, q="nadia") == 0


async def test_malformed_user_fields_return_422_naming_each_field(client, as_role):
    admin = await as_role("admin")
    for change, field, code in [
        ({"email": "not-an-email"}, "email", "validation_error"),
        ({"full_name": ""}, "full_name", "validation_error"),
        ({"username": "a b"}, "username", "invalid_username"),
        ({"username": "-nadia"}, "username", "invalid_username"),
        ({"extra": "field"}, "extra", "validation_error"),
    ]:
        response = await client.post("/api/v1/users", headers=admin, json={**NEW_NURSE, **change})
        assert response.status_code == 422, change
        assert response.json()["code"] == code, change
        assert list(_field_errors(response)) == [field], change
    assert await _total(client, admin, q="nadia") == 0


async def test_creating_a_user_without_a_required_field_names_it(client, as_role):
    admin = await as_role("admin")
    for missing in ("username", "password", "full_name", "role"):
        body = {k: v for k, v in NEW_NURSE.items() if k != missing}
        response = await client.post("/api/v1/users", headers=admin, json=body)
        assert response.status_code == 422, missing
        assert _field_errors(response) == {missing: "This field is required."}


async def test_a_password_is_kept_exactly_as_typed_for_the_api_and_the_pages(app, client, as_role):
    admin = await as_role("admin")
    spaced = "  Night-Shift-Ward-7 "
    created = await client.post(
        "/api/v1/users", headers=admin, json={**NEW_NURSE, "password": spaced}
    )
    assert created.status_code == 201
    assert (await login(client, "nadia", spaced)).status_code == 200
    assert (await login(client, "nadia", spaced.strip())).status_code == 401
    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 50100))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        page = await sign_in(browser, "nadia", spaced)
        assert page.status_code == 303 and page.headers["location"] == "/dashboard"


# ---------------------------------------------------------------- read and change


async def test_patching_a_user_changes_only_the_fields_sent(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user(
        "receptionist", username="rosa", full_name="Rosa D", email="rosa@example.org"
    )
    response = await client.patch(
        f"/api/v1/users/{user.id}",
        headers=admin,
        json={"full_name": "Rosa Delgado", "phone": "+34 600 000 000"},
    )
    assert response.status_code == 200
    body = (await client.get(f"/api/v1/users/{user.id}", headers=admin)).json()
    assert body["full_name"] == "Rosa Delgado" and body["phone"] == "+34 600 000 000"
    assert body["email"] == "rosa@example.org" and body["role"] == "receptionist"


async def test_patching_an_unknown_role_returns_422_naming_role(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user("nurse")
    response = await client.patch(
        f"/api/v1/users/{user.id}", headers=admin, json={"role": "superuser"}
    )
    assert response.status_code == 422 and "role" in _field_errors(response)
    assert (await client.get(f"/api/v1/users/{user.id}", headers=admin)).json()["role"] == "nurse"


async def test_patching_a_weak_password_returns_422_and_keeps_the_old_one(
    client, as_role, make_user
):
    admin = await as_role("admin")
    user = await make_user("nurse", username="nadia")
    response = await client.patch(
        f"/api/v1/users/{user.id}", headers=admin, json={"password": "password123"}
    )
    assert response.status_code == 422 and response.json()["code"] == "weak_password"
    assert list(_field_errors(response)) == ["password"]
    assert (await login(client, "nadia", STRONG_PASSWORD)).status_code == 200


async def test_an_unknown_user_id_returns_404_user_not_found(client, as_role):
    admin = await as_role("admin")
    for method, action in [
        ("GET", ""),
        ("PATCH", ""),
        ("POST", "/deactivate"),
        ("POST", "/activate"),
        ("POST", "/approve"),
        ("POST", "/unlock"),
        ("POST", "/reset-mfa"),
    ]:
        body = {"full_name": "Nobody"} if method == "PATCH" else None
        url = f"/api/v1/users/999999{action}"
        response = await client.request(method, url, headers=admin, json=body)
        assert response.status_code == 404, (method, url)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "user_not_found"


# ---------------------------------------------------------------- ending sign-ins


async def test_changing_a_users_password_ends_their_sign_ins(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user("nurse", username="nadia")
    pair = (await login(client, "nadia")).json()
    response = await client.patch(
        f"/api/v1/users/{user.id}", headers=admin, json={"password": "Brand-New-Secret-9"}
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=_auth(pair))).status_code == 401
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refresh.status_code == 401
    assert (await login(client, "nadia", STRONG_PASSWORD)).status_code == 401
    assert (await login(client, "nadia", "Brand-New-Secret-9")).status_code == 200


async def test_changing_a_users_role_ends_their_sign_ins(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user("receptionist", username="rosa")
    pair = (await login(client, "rosa")).json()
    response = await client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"role": "nurse"})
    assert response.status_code == 200 and response.json()["role"] == "nurse"
    assert (await client.get("/api/v1/auth/me", headers=_auth(pair))).status_code == 401
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refresh.status_code == 401
    fresh = await bearer(client, "rosa")
    assert (await client.get("/api/v1/auth/me", headers=fresh)).json()["role"] == "nurse"


async def test_a_password_or_role_change_also_signs_the_user_out_of_the_browser(
    app, client, as_role, make_user
):
    admin = await as_role("admin")
    user = await make_user("receptionist", username="rosa")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 50100))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        for change in ({"role": "nurse"}, {"password": "Brand-New-Secret-9"}):
            password = STRONG_PASSWORD if "role" in change else "Brand-New-Secret-9"
            browser.cookies.clear()
            signed_in = await sign_in(browser, "rosa", STRONG_PASSWORD)
            assert signed_in.status_code == 303, change
            assert (await browser.get("/api/v1/auth/me")).status_code == 200
            patched = await client.patch(f"/api/v1/users/{user.id}", headers=admin, json=change)
            assert patched.status_code == 200
            assert (await browser.get("/api/v1/auth/me")).status_code == 401, change
            assert (await login(client, "rosa", password)).status_code == 200


async def test_an_admin_demoted_loses_user_management_at_once(client, as_role, make_user):
    admin = await as_role("admin")
    second = await make_user("admin", username="second-admin")
    theirs = await bearer(client, "second-admin")
    assert (await client.get("/api/v1/users", headers=theirs)).status_code == 200
    await client.patch(f"/api/v1/users/{second.id}", headers=admin, json={"role": "billing"})
    assert (await client.get("/api/v1/users", headers=theirs)).status_code == 401
    fresh = await bearer(client, "second-admin")
    denied = await client.get("/api/v1/users", headers=fresh)
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"


async def test_changing_only_contact_details_keeps_the_user_signed_in(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user("nurse", username="nadia")
    pair = (await login(client, "nadia")).json()
    await client.patch(
        f"/api/v1/users/{user.id}",
        headers=admin,
        json={"full_name": "Nadia Haddad-Okoro", "email": "nadia.h@example.org", "role": "nurse"},
    )
    me = await client.get("/api/v1/auth/me", headers=_auth(pair))
    assert me.status_code == 200 and me.json()["full_name"] == "Nadia Haddad-Okoro"
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refresh.status_code == 200


# ---------------------------------------------------------------- the last admin


async def test_the_last_active_admin_cannot_be_deactivated(client, make_user):
    only = await make_user("admin", username="only-admin")
    headers = await bearer(client, "only-admin")
    response = await client.post(
        f"/api/v1/users/{only.id}/deactivate", headers=headers, json={"reason": "leaving"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["is_active"] is True
    assert (await login(client, "only-admin")).status_code == 200


async def test_the_last_active_admin_cannot_be_demoted(client, make_user):
    only = await make_user("admin", username="only-admin")
    headers = await bearer(client, "only-admin")
    response = await client.patch(
        f"/api/v1/users/{only.id}", headers=headers, json={"role": "nurse"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["role"] == "admin"


async def test_a_deactivated_admin_does_not_count_toward_keeping_one(client, make_user):
    first = await make_user("admin", username="first-admin")
    second = await make_user("admin", username="second-admin")
    headers = await bearer(client, "first-admin")
    off = await client.post(f"/api/v1/users/{second.id}/deactivate", headers=headers)
    assert off.status_code == 200 and off.json()["is_active"] is False
    self_off = await client.post(f"/api/v1/users/{first.id}/deactivate", headers=headers)
    assert self_off.status_code == 409 and self_off.json()["code"] == "last_admin"
    demote = await client.patch(
        f"/api/v1/users/{first.id}", headers=headers, json={"role": "nurse"}
    )
    assert demote.status_code == 409 and demote.json()["code"] == "last_admin"
    # With the second admin back, either of them may step down.
    assert (await client.post(f"/api/v1/users/{second.id}/activate", headers=headers)).is_success
    demote = await client.patch(
        f"/api/v1/users/{first.id}", headers=headers, json={"role": "nurse"}
    )
    assert demote.status_code == 200 and demote.json()["role"] == "nurse"


# ---------------------------------------------------------------- deactivate and activate


async def test_deactivate_stops_sign_in_and_activate_restores_it(client, as_role, make_user):
    admin = await as_role("admin")
    user = await make_user("billing", username="bilal")
    pair = (await login(client, "bilal")).json()
    off = await client.post(
        f"/api/v1/users/{user.id}/deactivate", headers=admin, json={"reason": "extended leave"}
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await client.get("/api/v1/auth/me", headers=_auth(pair))).status_code == 401
    refused = await login(client, "bilal")
    assert refused.status_code == 403 and refused.json()["code"] == "account_disabled"
    inactive = await client.get("/api/v1/users", headers=admin, params={"status": "inactive"})
    assert [u["id"] for u in inactive.json()["items"]] == [user.id]
    on = await client.post(f"/api/v1/users/{user.id}/activate", headers=admin)
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert (await login(client, "bilal")).status_code == 200


# ---------------------------------------------------------------- list, search and pages


async def test_pages_of_the_list_cover_every_user_once_with_the_right_total(
    client, as_role, make_user
):
    admin = await as_role("admin")
    made = [await make_user("nurse", full_name=f"Ward Nurse {letter}") for letter in "ABCDE"]
    await make_user("doctor", full_name="Ward Doctor")
    seen: list[int] = []
    for offset in (0, 2, 4):
        page = await client.get(
            "/api/v1/users", headers=admin, params={"role": "nurse", "limit": 2, "offset": offset}
        )
        assert page.status_code == 200
        body = page.json()
        assert body["total"] == 5
        assert len(body["items"]) == (2 if offset < 4 else 1)
        assert {u["role"] for u in body["items"]} == {"nurse"}
        seen += [u["id"] for u in body["items"]]
    assert sorted(seen) == sorted(u.id for u in made)
    past_the_end = await client.get(
        "/api/v1/users", headers=admin, params={"role": "nurse", "limit": 2, "offset": 10}
    )
    assert past_the_end.json() == {"items": [], "total": 5}
    everyone = (await client.get("/api/v1/users", headers=admin)).json()
    assert everyone["total"] == 7 and len(everyone["items"]) == 7  # with the admin


async def test_bad_list_parameters_return_422_naming_them(client, as_role):
    admin = await as_role("admin")
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"role": "surgeon"}, "role"),
    ]:
        response = await client.get("/api/v1/users", headers=admin, params=params)
        assert response.status_code == 422, params
        assert list(_field_errors(response)) == [field]


async def test_q_matches_name_username_and_email_fragments_ignoring_case(
    client, as_role, make_user
):
    admin = await as_role("admin")
    people = {
        "amara": await make_user(
            "doctor", username="aokafor", full_name="Amara Okafor", email="amara@stmary.example"
        ),
        "bilal": await make_user(
            "billing", username="night-desk-7", full_name="Bilal Chaudhry", email="bc@city.example"
        ),
        "chen": await make_user(
            "nurse", username="chen.li", full_name="Li Chen", email="li.chen@riverside.example"
        ),
    }
    for q, role, expected in [
        ("OKAF", None, {"amara"}),  # name and username
        ("mara ok", None, {"amara"}),  # a fragment of the full name, across the space
        ("NIGHT-DESK", None, {"bilal"}),  # username only
        ("StMary", None, {"amara"}),  # e-mail only
        ("RIVERSIDE.example", None, {"chen"}),  # e-mail only
        ("ch", None, {"bilal", "chen"}),  # Chaudhry; chen.li
        ("ch", "nurse", {"chen"}),  # with the role filter
        ("no-such-person", None, set()),
    ]:
        params = {"q": q, **({"role": role} if role else {})}
        response = await client.get("/api/v1/users", headers=admin, params=params)
        assert response.status_code == 200
        body = response.json()
        ids = {people[name].id for name in expected}
        assert {u["id"] for u in body["items"]} == ids, params
        assert body["total"] == len(ids), params


async def test_q_treats_percent_and_underscore_as_plain_characters(client, as_role, make_user):
    admin = await as_role("admin")
    await make_user("nurse", username="axb.nurse", full_name="Axb Nurse", email="axb@example.org")
    underscored = await make_user(
        "nurse", username="a_b.nurse", full_name="Ab Nurse", email="ab@example.org"
    )
    for q, expected in [("_", [underscored.id]), ("a_b", [underscored.id]), ("%", [])]:
        response = await client.get("/api/v1/users", headers=admin, params={"q": q})
        assert [u["id"] for u in response.json()["items"]] == expected, q
        assert response.json()["total"] == len(expected), q
