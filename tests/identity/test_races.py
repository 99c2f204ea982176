"""Invariants under real concurrency: a live server on PostgreSQL, many requests at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD
from tests.live_server import live_server, openward, server_env


@pytest.fixture(scope="module")
def pg_server(module_pg_database: str):
    """One live server for the module (starting one takes seconds); each test uses its own
    accounts and records."""
    env = server_env(module_pg_database)
    with live_server(env, workers=2) as base:
        openward(env, "users", "create-admin", "--username", "chief", "--password", STRONG_PASSWORD)
        yield base, env


async def _login(http: httpx.AsyncClient, username: str) -> dict:
    response = await http.post(
        "/api/v1/auth/login", json={"username": username, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_25_concurrent_refreshes_of_one_token_let_exactly_one_through(pg_server):
    base, _env = pg_server
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        pair = await _login(http, "chief")
        responses = await asyncio.gather(
            *[
                http.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
                for _ in range(25)
            ]
        )
        codes = sorted(r.status_code for r in responses)
        assert codes.count(200) == 1, codes
        assert codes.count(401) == 24, codes
        # A losing racer counts as reuse: the family is revoked, the winner's pair included.
        winner = next(r.json() for r in responses if r.status_code == 200)
        again = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]}
        )
        assert again.status_code == 401


async def test_concurrent_registrations_of_one_username_create_exactly_one_account(pg_server):
    body = {
        "username": "samesame",
        "password": STRONG_PASSWORD,
        "full_name": "Sam Same",
        "date_of_birth": "1990-01-01",
        "sex": "other",
    }
    base, _env = pg_server
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        responses = await asyncio.gather(
            *[
                http.post("/api/v1/auth/register", json={**body, "email": f"sam{i}@example.org"})
                for i in range(12)
            ]
        )
        codes = sorted(r.status_code for r in responses)
        assert codes.count(201) == 1, codes
        assert all(
            r.json()["code"] == "username_taken" for r in responses if r.status_code == 409
        ), [r.text for r in responses]
        assert codes.count(409) == 11, codes
        admin = await _login(http, "chief")
        headers = {"Authorization": f"Bearer {admin['access_token']}"}
        listed = await http.get("/api/v1/users", params={"q": "samesame"}, headers=headers)
        assert listed.json()["total"] == 1


async def test_audit_chain_stays_intact_under_concurrent_writes(pg_server):
    base, env = pg_server
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        responses = await asyncio.gather(
            *[
                http.post(
                    "/api/v1/auth/login",
                    json={
                        "username": "chief" if i % 2 else f"ghost{i}",
                        "password": STRONG_PASSWORD,
                    },
                )
                for i in range(30)
            ]
        )
    assert sorted({r.status_code for r in responses}) == [200, 401]
    result = openward(env, "audit", "verify")
    assert "intact" in result.stdout
