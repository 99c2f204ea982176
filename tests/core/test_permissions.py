"""Default deny: every route declares a permission, each role gets exactly its own, every
refusal is in the audit trail, and cookie-authenticated API writes need the CSRF header."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, FastAPI

import openward.web
from openward.app import create_app
from openward.config import ROLES, Settings
from openward.core.permissions import (
    FRAMEWORK_PUBLIC_PATHS,
    PUBLIC,
    STATIC_PREFIX,
    all_routes,
    declared_permission,
    permission_table,
    undeclared_routes,
)
from openward.identity.access import public, require
from tests.conftest import STRONG_PASSWORD
from tests.web.pages import csrf_of, sign_in

ALL_ROLES = (
    "admin",
    "receptionist",
    "nurse",
    "doctor",
    "pharmacist",
    "lab_technician",
    "radiologist",
    "billing",
    "patient",
)


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/routes.db",
        secret_key="s" * 40,
        log_level="WARNING",
    )


def _framework_route(route) -> bool:
    """OpenAPI, its docs and static files: no handler of ours, public by nature."""
    path = getattr(route, "path", "")
    return getattr(route, "dependant", None) is None and (
        path in FRAMEWORK_PUBLIC_PATHS
        or path == STATIC_PREFIX
        or path.startswith(STATIC_PREFIX + "/")
    )


# ---------------------------------------------------------------- (a) the real app


def test_every_route_of_the_app_declares_a_known_permission_or_public(tmp_path):
    app = create_app(_settings(tmp_path))
    routes = [r for r in all_routes(app.routes) if not _framework_route(r)]
    undeclared, unknown = [], []
    for route in routes:
        where = f"{','.join(sorted(getattr(route, 'methods', None) or ['*']))} {route.path}"
        permission = declared_permission(route)
        if permission is None:
            undeclared.append(where)
        elif permission != PUBLIC and permission not in permission_table():
            unknown.append(f"{where} -> {permission}")  # a typo nobody could ever hold
    assert undeclared == [], "routes without require(...) or public: " + "; ".join(undeclared)
    assert unknown == [], "routes declaring a permission no role has: " + "; ".join(unknown)
    # The walk really went through the included routers, down to the identity routes.
    paths = {route.path for route in routes}
    assert {
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/users/{user_id}/approve",
        "/api/v1/auth/login",
        "/api/v1/audit",
        "/api/v1/dashboard",
        "/admin/users",
        "/dashboard",
    } <= paths


def test_the_sign_in_and_registration_routes_are_the_public_ones(tmp_path):
    app = create_app(_settings(tmp_path))
    public_api = {
        route.path
        for route in all_routes(app.routes)
        if route.path.startswith("/api/") and declared_permission(route) == PUBLIC
    }
    assert public_api == {
        "/api/v1/auth/login",
        "/api/v1/auth/mfa",
        "/api/v1/auth/refresh",
        "/api/v1/auth/mfa/setup",  # these two check the sign-in (or enrolment token) inside
        "/api/v1/auth/mfa/enable",
        "/api/v1/auth/register",
        "/api/v1/auth/register-staff",
    }


# ---------------------------------------------------------------- (b) a new route is caught


def test_undeclared_routes_reports_a_route_without_a_declaration():
    app = FastAPI()
    guarded = APIRouter(prefix="/api/v1/wards", dependencies=[require("patients:read")])

    @guarded.get("")
    async def wards() -> dict:
        return {}

    nested = APIRouter(prefix="/api/v1")
    inner = APIRouter(prefix="/beds")

    @inner.get("/{bed_id}", dependencies=[require("patients:read")])
    async def bed(bed_id: int) -> dict:
        return {}

    @inner.post("/{bed_id}/clean")
    async def clean_bed(bed_id: int) -> dict:  # forgotten, two routers deep
        return {}

    nested.include_router(inner)

    @app.get("/api/v1/open", dependencies=[public])
    async def open_route() -> dict:
        return {}

    @app.get("/api/v1/mine")
    async def mine(actor: Annotated[Any, require("account:self")]) -> dict:  # in the signature
        return {}

    @app.get("/api/v1/forgotten")
    async def forgotten() -> dict:
        return {}

    app.include_router(guarded)
    app.include_router(nested)
    assert sorted(undeclared_routes(app.routes)) == [
        "GET /api/v1/forgotten",
        "POST /api/v1/beds/{bed_id}/clean",
    ]


def test_create_app_refuses_to_start_when_a_route_has_no_declaration(tmp_path, monkeypatch):
    install_web = openward.web.install

    def install_with_a_forgotten_route(app: FastAPI) -> None:
        install_web(app)

        @app.get("/api/v1/forgotten")
        async def forgotten() -> dict:
            return {}

    monkeypatch.setattr(openward.web, "install", install_with_a_forgotten_route)
    with pytest.raises(RuntimeError) as refused:
        create_app(_settings(tmp_path))
    assert str(refused.value) == "routes without a declared permission: GET /api/v1/forgotten"


def test_create_app_starts_when_the_new_route_declares_its_permission(tmp_path, monkeypatch):
    install_web = openward.web.install

    def install_with_a_declared_route(app: FastAPI) -> None:
        install_web(app)

        @app.get("/api/v1/declared", dependencies=[require("users:manage")])
        async def declared() -> dict:
            return {}

    monkeypatch.setattr(openward.web, "install", install_with_a_declared_route)
    app = create_app(_settings(tmp_path))
    assert "/api/v1/declared" in {route.path for route in all_routes(app.routes)}


# ---------------------------------------------------------------- (c) each role, each route


def test_the_nine_roles_are_the_hospitals():
    assert tuple(ROLES) == ALL_ROLES


# (method, path, body, status for an admin); everyone else gets 403 unless the route is
# "everyone's" (me, dashboard). {id} is a real user's id.
USERS = "users:manage"
AUDIT = "audit:read"
EVERYONE = "everyone"
IDENTITY_ROUTES = [
    ("GET", "/api/v1/auth/me", None, EVERYONE),
    ("GET", "/api/v1/dashboard", None, EVERYONE),
    ("GET", "/api/v1/users", None, USERS),
    ("POST", "/api/v1/users", "new-user", USERS),
    ("GET", "/api/v1/users/{id}", None, USERS),
    ("PATCH", "/api/v1/users/{id}", {"full_name": "Target User"}, USERS),
    ("POST", "/api/v1/users/{id}/deactivate", {"reason": "test"}, USERS),
    ("POST", "/api/v1/users/{id}/activate", None, USERS),
    ("POST", "/api/v1/users/{id}/approve", None, USERS),
    ("POST", "/api/v1/users/{id}/unlock", None, USERS),
    ("POST", "/api/v1/users/{id}/reset-mfa", None, USERS),
    ("GET", "/api/v1/audit", None, AUDIT),
    ("GET", "/api/v1/audit/verify", None, AUDIT),
]
ADMIN_STATUS = {("POST", "/api/v1/users"): 201}


def _new_user_body(role: str) -> dict:
    return {
        "username": f"made-by-{role}",
        "password": STRONG_PASSWORD,
        "full_name": f"Made By {role}",
        "role": "nurse",
    }


async def test_each_role_gets_exactly_its_own_identity_routes_and_denials_are_audited(
    client, make_user, as_role
):
    target = await make_user("billing", username="target-user")
    headers = {role: await as_role(role, username=f"{role.replace('_', '-')}-1") for role in ROLES}
    expected_denials: Counter = Counter()
    for method, path, body, needs in IDENTITY_ROUTES:
        url = path.replace("{id}", str(target.id))
        for role in ROLES:
            payload = _new_user_body(role) if body == "new-user" else body
            response = await client.request(method, url, headers=headers[role], json=payload)
            allowed = needs == EVERYONE or role == "admin"
            if allowed:
                expected = ADMIN_STATUS.get((method, path), 200)
                assert response.status_code == expected, (role, method, path, response.text)
            else:
                assert response.status_code == 403, (role, method, path, response.status_code)
                assert response.json()["code"] == "permission_denied", (role, method, path)
                expected_denials[(role, method, url, needs)] += 1

        anonymous = await client.request(method, url, json=body if isinstance(body, dict) else None)
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.json()["code"] == "not_authenticated", (method, path)

    # Only the admin's create went through.
    made = await client.get("/api/v1/users", headers=headers["admin"], params={"q": "made-by"})
    assert [u["username"] for u in made.json()["items"]] == ["made-by-admin"]

    # Every refusal, and nothing else, is an access.denied event naming who, what and where.
    denied = await client.get(
        "/api/v1/audit",
        headers=headers["admin"],
        params={"action": "access.denied", "limit": 500},
    )
    assert denied.status_code == 200
    body = denied.json()
    assert body["total"] == sum(expected_denials.values()) == 8 * 11
    recorded = Counter(
        (e["actor_role"], e["detail"]["method"], e["detail"]["path"], e["detail"]["permission"])
        for e in body["items"]
    )
    assert recorded == expected_denials
    for event in body["items"]:
        assert event["action"] == "access.denied" and event["outcome"] == "denied"
        assert event["actor_username"] == f"{event['actor_role'].replace('_', '-')}-1"
        assert event["ip"] == "203.0.113.7"


# ---------------------------------------------------------------- CSRF on cookie sign-ins


async def test_cookie_authenticated_api_writes_need_the_csrf_header(client, make_user):
    await make_user("admin", username="chief")
    signed_in = await sign_in(client, "chief")
    assert signed_in.status_code in (302, 303)
    assert client.cookies.get("ow_session")
    # Reads with the cookie work: it really is a signed-in session.
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["username"] == "chief"
    token = csrf_of((await client.get("/account")).text)
    new_user = {
        "username": "nadia",
        "password": STRONG_PASSWORD,
        "full_name": "Nadia Haddad",
        "role": "nurse",
    }

    missing = await client.post("/api/v1/users", json=new_user)
    assert missing.status_code == 403
    assert missing.json()["code"] == "csrf_failed"
    forged = await client.post("/api/v1/users", json=new_user, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    listed = await client.get("/api/v1/users", params={"q": "nadia"})
    assert listed.json()["total"] == 0  # nothing was created

    logout = await client.post("/api/v1/auth/logout")
    assert logout.status_code == 403 and logout.json()["code"] == "csrf_failed"

    with_header = await client.post("/api/v1/users", json=new_user, headers={"X-CSRF-Token": token})
    assert with_header.status_code == 201, with_header.text


async def test_bearer_writes_need_no_csrf_header(client, as_role):
    admin = await as_role("admin")
    response = await client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "nadia",
            "password": STRONG_PASSWORD,
            "full_name": "Nadia Haddad",
            "role": "nurse",
        },
    )
    assert response.status_code == 201
