"""Errors as API clients and operators meet them: RFC 9457 problem details with a stable
code, every bad field named, no stack trace on a crash, and a request id that ties the
response to the log line. Every response carries the browser security headers."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from openward.app import create_app
from openward.identity.access import public
from tests.web.pages import sign_in

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "instance", "request_id"}
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert PROBLEM_KEYS <= body.keys()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://openward.org/problems/{code}"
    assert body["title"] and body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body


@pytest.fixture
async def nurse(as_role) -> dict[str, str]:
    return await as_role("nurse")


async def test_401_without_or_with_a_bad_token(client):
    assert_problem(await client.get("/api/v1/auth/me"), 401, "not_authenticated")
    forged = await client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged.jwt.x"})
    assert_problem(forged, 401, "invalid_token")


async def test_403_says_which_permission_the_role_lacks(client, nurse):
    body = assert_problem(
        await client.get("/api/v1/users", headers=nurse), 403, "permission_denied"
    )
    assert "nurse" in body["detail"] and "users:manage" in body["detail"]


async def test_404_for_an_unknown_address_and_for_an_unknown_row(client, as_role):
    assert_problem(await client.get("/api/v1/no-such-thing"), 404, "not_found")
    admin = await as_role("admin")
    missing = await client.get("/api/v1/users/999999", headers=admin)
    assert_problem(missing, 404, "user_not_found")


async def test_405_names_the_methods_that_are_allowed(client):
    response = await client.delete("/api/v1/auth/login")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


async def test_422_lists_every_bad_field_by_name(client):
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "username": "paula",
            "password": "Correct-Horse-Battery-42",
            "date_of_birth": "not-a-date",
            "sex": "sometimes",
            "email": "paula-at-example",
            "favourite_colour": "green",
        },
    )
    body = assert_problem(response, 422, "validation_error")
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert set(messages) == {"full_name", "date_of_birth", "sex", "email", "favourite_colour"}
    assert messages["full_name"] == "This field is required."
    assert messages["favourite_colour"] == "This field is not allowed."
    assert all(messages.values())
    for field in messages:
        assert field in body["detail"]


async def test_422_names_bad_query_parameters_too(client, as_role):
    admin = await as_role("admin")
    response = await client.get(
        "/api/v1/audit", headers=admin, params={"limit": "0", "offset": "-1", "from": "soon"}
    )
    body = assert_problem(response, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"limit", "offset", "from"}


async def test_a_body_that_is_not_json_is_a_422_not_a_500(client):
    response = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "validation_error")


# ---------------------------------------------------------------- crashes


@pytest.fixture
async def crashing_app(settings):
    """The real app plus one route that fails the way a bug does."""
    app = create_app(settings)

    @app.get("/api/v1/crash", dependencies=[public])
    async def crash() -> dict:
        raise RuntimeError("connection to db-primary failed, password=hunter2")

    @app.get("/crash-page", dependencies=[public])
    async def crash_page() -> dict:
        raise RuntimeError("template context broke: password=hunter2")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await app.state.engine.dispose()


async def test_an_unexpected_error_is_a_500_problem_without_internals(crashing_app, caplog):
    with caplog.at_level(logging.INFO):
        response = await crashing_app.get("/api/v1/crash")

    body = assert_problem(response, 500, "internal_error")
    for leak in ("hunter2", "RuntimeError", "Traceback", "db-primary", 'File "'):
        assert leak not in response.text
    assert "request id" in body["detail"]
    request_id = response.headers["x-request-id"]
    assert GENERATED_ID.match(request_id)
    # The operator finds the traceback by the id the user quotes.
    crash_log = [r for r in caplog.records if r.name == "openward.errors"]
    assert crash_log and request_id in crash_log[0].getMessage()
    assert crash_log[0].exc_info is not None
    assert f"request_id={request_id} method=GET path=/api/v1/crash status=500" in caplog.text
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_crash_keeps_the_callers_request_id(crashing_app):
    response = await crashing_app.get("/api/v1/crash", headers={"X-Request-ID": "lb-7f3a9c21e0"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "lb-7f3a9c21e0"
    assert response.json()["request_id"] == "lb-7f3a9c21e0"


async def test_a_crash_on_a_page_shows_a_friendly_page_without_internals(crashing_app):
    response = await crashing_app.get("/crash-page", headers={"accept": "text/html"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side" in response.text
    assert "hunter2" not in response.text and "Traceback" not in response.text


# ---------------------------------------------------------------- request ids and headers


SANE_IDS = ["req-0123456789abcdef", "a1b2c3d4", "trace.id_with-dots.and_underscores", "A" * 64]
INSANE_IDS = [
    "<script>alert(1)</script>",
    "short",  # too short to be unique
    "A" * 65,
    "id with spaces in it",
    "../../etc/passwd",
    "",
]


async def test_a_sane_incoming_request_id_is_echoed(client):
    for incoming in SANE_IDS:
        response = await client.get("/api/v1/no-such-thing", headers={"X-Request-ID": incoming})
        assert response.headers["x-request-id"] == incoming
        assert response.json()["request_id"] == incoming


async def test_an_insane_incoming_request_id_is_replaced(client):
    for incoming in INSANE_IDS:
        response = await client.get("/api/v1/no-such-thing", headers={"X-Request-ID": incoming})
        replaced = response.headers["x-request-id"]
        assert replaced != incoming and GENERATED_ID.match(replaced), incoming
        assert response.json()["request_id"] == replaced


async def test_each_request_gets_its_own_id(client):
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3 and all(GENERATED_ID.match(i) for i in ids)


async def test_the_request_id_is_in_the_access_log_line(client, caplog, nurse):
    with caplog.at_level(logging.INFO, logger="openward.access"):
        ok = await client.get("/api/v1/auth/me", headers=nurse)
        denied = await client.get("/api/v1/users", headers=nurse)
    lines = [r.getMessage() for r in caplog.records if r.name == "openward.access"]
    for response, status in ((ok, 200), (denied, 403)):
        rid = response.headers["x-request-id"]
        [line] = [line for line in lines if f"request_id={rid} " in line]
        assert f"method=GET path={response.request.url.path} status={status}" in line


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


async def test_responses_carry_the_security_headers(client, nurse):
    for path, kind in [
        ("/api/v1/auth/me", "application/json"),
        ("/api/v1/no-such-thing", "application/problem+json"),
        ("/login", "text/html"),
        ("/no/such/page", "text/html"),
        ("/healthz", "application/json"),
    ]:
        signed_in = nurse if path.startswith("/api/v1/auth") else None
        response = await client.get(path, headers=signed_in)
        assert response.headers["content-type"].startswith(kind), path
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (path, name)
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert response.headers["cache-control"] == "no-store", path  # patient data


async def test_a_signed_in_page_carries_the_security_headers(client, make_user):
    user = await make_user("nurse")
    await sign_in(client, user.username)
    page = await client.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name, value in SECURITY_HEADERS.items():
        assert page.headers[name] == value, name
    assert "script-src 'self'" in page.headers["content-security-policy"]
