"""Cross-origin API use: only for the origins in OPENWARD_CORS_ORIGINS (none by default),
only under /api/, never with credentials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from openward.app import configure
from openward.config import Settings

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no SQL here

FRONT_END = "https://app.ward.example"
PREFLIGHT = {
    "Origin": FRONT_END,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.fixture
async def with_origins(app: Any, settings_factory: Callable[..., Settings]):
    """Reconfigure the test app with these CORS origins (the app is assembled once)."""

    async def set_origins(origins: str) -> None:
        replaced = app.state.engine
        configure(app, settings_factory(cors_origins=origins))
        await replaced.dispose()

    return set_origins


@SQLITE_ONLY
async def test_by_default_no_origin_is_ever_allowed(client):
    response = await client.get("/api/v1/auth/me", headers={"Origin": FRONT_END})
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options("/api/v1/auth/login", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers


@SQLITE_ONLY
async def test_a_listed_origin_may_call_the_api(client, with_origins):
    await with_origins(f"{FRONT_END}, https://other.example")
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": "nobody", "password": "not-a-password"},
        headers={"Origin": FRONT_END},
    )
    assert response.status_code == 401  # the answer itself is unchanged
    assert response.headers["access-control-allow-origin"] == FRONT_END
    assert "access-control-allow-credentials" not in response.headers
    assert "X-Request-ID" in response.headers["access-control-expose-headers"]


@SQLITE_ONLY
async def test_a_preflight_from_a_listed_origin_is_answered(client, with_origins):
    await with_origins(FRONT_END)
    response = await client.options("/api/v1/auth/login", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONT_END
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"  # our headers still apply


@SQLITE_ONLY
async def test_an_origin_not_listed_is_refused(client, with_origins):
    await with_origins(FRONT_END)
    evil = "https://evil.example"
    response = await client.get("/api/v1/auth/me", headers={"Origin": evil})
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options("/api/v1/auth/login", headers={**PREFLIGHT, "Origin": evil})
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


@SQLITE_ONLY
async def test_pages_never_answer_cross_origin(client, with_origins):
    await with_origins(FRONT_END)
    page = await client.get("/login", headers={"Origin": FRONT_END})
    assert "access-control-allow-origin" not in page.headers
    health = await client.get("/healthz", headers={"Origin": FRONT_END})
    assert "access-control-allow-origin" not in health.headers


@SQLITE_ONLY
async def test_any_origin_is_allowed_only_without_credentials(client, with_origins):
    await with_origins("*")
    response = await client.get("/api/v1/auth/me", headers={"Origin": FRONT_END})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    preflight = await client.options("/api/v1/auth/login", headers=PREFLIGHT)
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers


@pytest.mark.parametrize(
    "origins",
    ["https://app.example/", "https://app.example/api", "app.example", "*, https://app.example"],
)
def test_a_value_that_is_not_an_origin_is_refused_naming_the_setting(origins):
    with pytest.raises(ValidationError, match="cors_origins"):
        Settings(_env_file=None, cors_origins=origins)


def test_origins_are_read_comma_separated_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENWARD_CORS_ORIGINS", "https://App.Example.org, http://localhost:5173")
    settings = Settings(_env_file=None)
    assert settings.cors_origins == ["https://app.example.org", "http://localhost:5173"]
    assert Settings(_env_file=None, cors_origins="").cors_origins == []
