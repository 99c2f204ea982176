"""Errors read the same everywhere: problem+json with a stable code, never a stack trace."""

from __future__ import annotations

import logging

import httpx
import pytest

from openward.app import create_app
from openward.identity.access import public

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "instance", "request_id"}


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("GET", "/api/v1/auth/me", 401, "not_authenticated"),
        ("GET", "/api/v1/nothing-here", 404, "not_found"),
        ("DELETE", "/api/v1/auth/login", 405, "method_not_allowed"),
        ("POST", "/api/v1/auth/login", 422, "validation_error"),
    ],
)
async def test_api_errors_are_problem_details(client, method, path, status, code):
    response = await client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert PROBLEM_KEYS <= body.keys()
    assert body["status"] == status and body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]


async def test_validation_errors_name_every_bad_field(client):
    response = await client.post(
        "/api/v1/auth/register",
        json={"username": "ok-name", "password": "x", "date_of_birth": "soon", "sex": "?"},
    )
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"full_name", "date_of_birth", "sex"} <= fields
    assert all(e["message"] for e in response.json()["errors"])


async def test_an_unexpected_error_is_a_500_without_a_traceback(settings, caplog):
    app = create_app(settings)

    @app.get("/api/v1/explode", dependencies=[public])
    async def explode() -> dict:
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/explode-page", dependencies=[public])
    async def explode_page() -> dict:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            with caplog.at_level(logging.ERROR, logger="openward.errors"):
                response = await http.get("/api/v1/explode")
            page = await http.get("/explode-page", headers={"accept": "text/html"})
    finally:
        await app.state.engine.dispose()
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == body["request_id"]
    assert response.headers["x-frame-options"] == "DENY"
    assert body["request_id"] in caplog.text  # operators can find it in the log
    assert page.status_code == 500 and "Something went wrong on our side" in page.text
    assert "secret internals" not in page.text


async def test_a_sane_incoming_request_id_is_kept_and_a_strange_one_replaced(client, caplog):
    with caplog.at_level(logging.INFO, logger="openward.access"):
        kept = await client.get("/healthz", headers={"x-request-id": "lb-1234567890abcdef"})
    assert kept.headers["x-request-id"] == "lb-1234567890abcdef"
    assert "request_id=lb-1234567890abcdef method=GET path=/healthz status=200" in caplog.text
    odd = await client.get("/healthz", headers={"x-request-id": "<script>"})
    assert odd.headers["x-request-id"] != "<script>" and len(odd.headers["x-request-id"]) == 32


async def test_api_responses_carry_security_headers_and_are_not_cached(client):
    response = await client.post("/api/v1/auth/login", json={"username": "a", "password": "b"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
