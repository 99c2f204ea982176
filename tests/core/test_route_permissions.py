"""Default deny: every route declares a permission, and each role gets exactly its own."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from openward.app import create_app
from openward.config import ROLES, Settings
from openward.core.permissions import ROLE_PERMISSIONS, all_routes, undeclared_routes
from openward.identity.access import public, require


def test_every_route_of_the_app_declares_a_permission(tmp_path):
    app = create_app(
        Settings(
            _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", secret_key="s" * 40
        )
    )
    assert undeclared_routes(app.routes) == []
    paths = {route.path for route in all_routes(app.routes)}
    assert {"/api/v1/users", "/api/v1/auth/login", "/admin/users", "/dashboard"} <= paths


def test_a_new_route_without_a_declaration_is_reported():
    app = FastAPI()
    declared = APIRouter()

    @declared.get("/fine", dependencies=[public])
    async def fine() -> dict:
        return {}

    @declared.get("/guarded", dependencies=[require("users:manage")])
    async def guarded() -> dict:
        return {}

    @app.get("/forgotten")
    async def forgotten() -> dict:
        return {}

    app.include_router(declared)
    assert undeclared_routes(app.routes) == ["GET /forgotten"]


def test_create_app_refuses_to_start_with_an_undeclared_route(tmp_path, monkeypatch):
    from openward.reports import api as reports_api

    router = APIRouter()

    @router.get("/api/v1/oops")
    async def oops() -> dict:
        return {}

    monkeypatch.setattr(reports_api, "router", router)
    settings = Settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", secret_key="s" * 40
    )
    with pytest.raises(RuntimeError, match="GET /api/v1/oops"):
        create_app(settings)


def test_only_admins_manage_users_and_read_the_audit_trail():
    for role in ROLES:
        assert ("users:manage" in ROLE_PERMISSIONS[role]) == (role == "admin")
        assert ("audit:read" in ROLE_PERMISSIONS[role]) == (role == "admin")
        assert "account:self" in ROLE_PERMISSIONS[role]


# (method, path, permission it needs); {id} is filled with a real user's id.
IDENTITY_ROUTES = [
    ("GET", "/api/v1/auth/me", "account:self"),
    ("GET", "/api/v1/dashboard", "dashboard:view"),
    ("GET", "/api/v1/users", "users:manage"),
    ("POST", "/api/v1/users", "users:manage"),
    ("GET", "/api/v1/users/{id}", "users:manage"),
    ("PATCH", "/api/v1/users/{id}", "users:manage"),
    ("POST", "/api/v1/users/{id}/deactivate", "users:manage"),
    ("POST", "/api/v1/users/{id}/activate", "users:manage"),
    ("POST", "/api/v1/users/{id}/approve", "users:manage"),
    ("POST", "/api/v1/users/{id}/unlock", "users:manage"),
    ("POST", "/api/v1/users/{id}/reset-mfa", "users:manage"),
    ("GET", "/api/v1/audit", "audit:read"),
    ("GET", "/api/v1/audit/verify", "audit:read"),
]


async def test_each_role_against_each_identity_route(client, make_user, as_role):
    target = await make_user("billing", username="target-user")
    headers = {role: await as_role(role) for role in ROLES}
    admin = headers["admin"]
    denials_expected = 0
    for method, path, permission in IDENTITY_ROUTES:
        url = path.replace("{id}", str(target.id))
        for role in ROLES:
            body = {"full_name": "Target User"} if method == "PATCH" else None
            if method == "POST" and path == "/api/v1/users":
                body = {"username": "x"}  # invalid on purpose: authorization comes first
            response = await client.request(method, url, headers=headers[role], json=body)
            allowed = permission in ROLE_PERMISSIONS[role]
            if allowed:
                assert response.status_code not in (401, 403), (role, method, path, response.text)
            else:
                denials_expected += 1
                assert response.status_code == 403, (role, method, path, response.status_code)
                assert response.json()["code"] == "permission_denied"
        anonymous = await client.request(method, url)
        assert anonymous.status_code == 401, (method, path)
    denied = await client.get(
        "/api/v1/audit", headers=admin, params={"action": "access.denied", "limit": 1}
    )
    assert denied.json()["total"] == denials_expected
    latest = denied.json()["items"][0]
    assert latest["outcome"] == "denied" and latest["detail"]["permission"] == "audit:read"
