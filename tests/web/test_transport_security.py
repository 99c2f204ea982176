"""Over HTTPS (directly or through a trusted proxy, which makes the ASGI scheme "https"):
HSTS, and `Secure` on every cookie. Over plain http: neither, unless cookies are forced
Secure. The web session cookie lasts for the browser session only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from openward.app import configure
from tests.web.pages import sign_in, submit

HSTS = "max-age=31536000; includeSubDomains"
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no SQL here


@pytest.fixture
async def https_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="https://ward.example") as http:
        yield http


def attributes(set_cookie: str) -> set[str]:
    return {part.strip().split("=", 1)[0].lower() for part in set_cookie.split(";")[1:]}


async def every_cookie_of_a_day_at_work(client: httpx.AsyncClient, make_user) -> list[str]:
    """Set-Cookie headers of: the sign-in page, signing in, a flash message (password
    changed), reading it, and signing out."""
    await make_user("nurse", username="nadia")
    seen: list[str] = []
    seen += (await client.get("/login")).headers.get_list("set-cookie")
    seen += (await sign_in(client, "nadia")).headers.get_list("set-cookie")
    changed = await submit(
        client,
        "/account",
        "/account/password",
        current_password="Correct-Horse-Battery-42",
        new_password="Fresh-Start-Ward-2026",
        confirm_password="Fresh-Start-Ward-2026",
    )
    assert changed.status_code == 303, changed.text[:300]
    seen += changed.headers.get_list("set-cookie")
    seen += (await client.get("/account")).headers.get_list("set-cookie")
    seen += (await submit(client, "/account", "/logout")).headers.get_list("set-cookie")
    names = {cookie.split("=", 1)[0] for cookie in seen}
    assert {"ow_csrf", "ow_session", "ow_flash"} <= names, names
    return seen


async def test_over_https_every_response_carries_hsts(https_client):
    for path in ("/login", "/healthz", "/api/v1/auth/me", "/static/favicon.svg"):
        response = await https_client.get(path)
        assert response.headers.get("strict-transport-security") == HSTS, path


async def test_over_plain_http_there_is_no_hsts(client):
    for path in ("/login", "/healthz", "/api/v1/auth/me"):
        assert "strict-transport-security" not in (await client.get(path)).headers, path


async def test_over_https_every_cookie_is_secure(https_client, make_user):
    for cookie in await every_cookie_of_a_day_at_work(https_client, make_user):
        assert "secure" in attributes(cookie), cookie


async def test_over_plain_http_no_cookie_is_marked_secure(client, make_user):
    for cookie in await every_cookie_of_a_day_at_work(client, make_user):
        assert "secure" not in attributes(cookie), cookie


async def test_cookie_secure_setting_still_forces_secure_over_http(
    app, client, settings_factory, make_user
):
    replaced = app.state.engine
    configure(app, settings_factory(cookie_secure=True))
    await replaced.dispose()
    response = await client.get("/login")
    cookies = response.headers.get_list("set-cookie")
    assert cookies and all("secure" in attributes(cookie) for cookie in cookies), cookies
    assert "strict-transport-security" not in response.headers  # HSTS only over HTTPS


async def test_the_session_cookie_ends_with_the_browser_session(client, make_user):
    await make_user("nurse", username="nadia")
    response = await sign_in(client, "nadia")
    assert response.status_code == 303
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if c.startswith("ow_session")]
    assert {"max-age", "expires"}.isdisjoint(attributes(cookie)), cookie
    assert {"httponly", "samesite"} <= attributes(cookie)
