"""Whatever a client sends, the API answers with problem details, never a 500.

Schemathesis generates requests from the OpenAPI document (valid and invalid bodies, odd
query strings, huge numbers) against a live server, signed in as an administrator so the
requests get past authorization to the validation and business rules.
"""

from __future__ import annotations

import itertools
import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import PG_URL, STRONG_PASSWORD, _pg_execute, need, pg_url_for
from tests.live_server import live_server, openward, server_env

_admins = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A live server with demo data, on SQLite and on PostgreSQL (whose driver is the
    stricter one: 32-bit integers, no NUL characters)."""
    database = None
    if request.param == "postgres":
        need(PG_URL is not None, "OPENWARD_TEST_POSTGRES_URL is not set: PostgreSQL run skipped")
        database = f"openward_fuzz_{os.getpid()}"
        _pg_execute(f'DROP DATABASE IF EXISTS "{database}"', f'CREATE DATABASE "{database}"')
        url = pg_url_for(database)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'openward.db'}"
    env = server_env(url)
    # The fuzzer signs in wrongly thousands of times from one address: the address throttles
    # (tested in tests/identity/test_sign_in_throttling.py) would stop it exploring the API.
    env.update(
        OPENWARD_LOGIN_IP_MAX_FAILURES="10000",
        OPENWARD_LOGIN_GLOBAL_MAX_FAILURES="1000000",
        OPENWARD_LINK_IP_MAX_FAILURES="10000",
    )
    try:
        with live_server(env) as base:
            logins = tmp_path_factory.mktemp("logins") / "demo-logins"
            openward(env, "demo", "--credentials-file", str(logins))
            yield base, env
    finally:
        if database:
            _pg_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class AdminToken:
    """A working admin bearer token; the fuzzer may lock, re-password or sign out the admin
    it uses, so a fresh admin is made whenever the current one stops working."""

    def __init__(self, base: str, env: dict[str, str]) -> None:
        self.base, self.env, self.token = base, env, ""
        self.renew()

    def renew(self) -> None:
        username = f"fuzz-admin-{next(_admins)}"
        openward(
            self.env, "users", "create-admin", "--username", username, "--password", STRONG_PASSWORD
        )
        response = httpx.post(
            f"{self.base}/api/v1/auth/login",
            json={"username": username, "password": STRONG_PASSWORD},
        )
        self.token = response.json()["access_token"]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def admin_token(fuzz_server) -> AdminToken:
    return AdminToken(*fuzz_server)


def _operations(base: str) -> list:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_no_request_makes_the_api_fail(fuzz_server, admin_token):
    base, _env = fuzz_server
    operations = _operations(base)
    assert len(operations) >= 20

    calls = 0
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def no_failure(case) -> None:
            nonlocal calls
            calls += 1
            response = case.call(base_url=base, headers=admin_token.headers(), timeout=30)
            if response.status_code == 401 and not case.path.startswith("/api/v1/auth/"):
                admin_token.renew()
                response = case.call(base_url=base, headers=admin_token.headers(), timeout=30)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, (where, response.text[:500])
            if response.status_code >= 400:
                content_type = response.headers.get("content-type", [""])
                content_type = content_type[0] if isinstance(content_type, list) else content_type
                assert content_type.startswith("application/problem+json"), (
                    where,
                    response.status_code,
                    response.text[:300],
                )
                assert response.json()["code"], response.text[:300]

        no_failure()
    assert calls >= 10 * len(operations)  # the generator really produced requests


def test_the_fuzzer_really_reaches_the_api(fuzz_server, admin_token):
    """Guards the test above: its admin token works against a protected route."""
    base, _env = fuzz_server
    response = httpx.get(f"{base}/api/v1/users", headers=admin_token.headers())
    assert response.status_code == 200 and response.json()["total"] >= 9
