"""One allergy assessment a patient under real concurrency: a live server on PostgreSQL with
two worker processes, ten nurses recording "no known allergies" for one patient at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD
from tests.live_server import LiveApi, live_server, openward, server_env


@pytest.fixture(scope="module")
def pg_server(module_pg_database: str):
    env = server_env(module_pg_database)
    with live_server(env, workers=2) as base:
        openward(env, "users", "create-admin", "--username", "chief", "--password", STRONG_PASSWORD)
        yield base


async def test_ten_nurses_recording_no_known_allergies_at_once_all_succeed_once(pg_server):
    with httpx.Client(base_url=pg_server, timeout=60) as sync_http:
        api = LiveApi(sync_http, STRONG_PASSWORD)
        admin = api.headers_of("chief")
        nurses = []
        for n in range(10):
            api.send(
                "POST",
                "/api/v1/users",
                {
                    "username": f"race-nurse-{n}",
                    "password": STRONG_PASSWORD,
                    "full_name": f"Nurse {n}",
                    "role": "nurse",
                },
                admin,
            )
            nurses.append(api.headers_of(f"race-nurse-{n}"))
        patient = api.send(
            "POST",
            "/api/v1/patients",
            {
                "given_name": "Race",
                "family_name": "Patient",
                "date_of_birth": "1970-01-01",
                "sex": "female",
            },
            admin,
        )
    url = f"/api/v1/patients/{patient['id']}/allergies/none-known"
    async with httpx.AsyncClient(base_url=pg_server, timeout=60) as http:
        answers = await asyncio.gather(*(http.post(url, headers=h) for h in nurses))
        assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
        listed = await http.get(f"/api/v1/patients/{patient['id']}/allergies", headers=nurses[0])
    body = listed.json()
    assert body["state"] == "no_known_allergies" and body["items"] == []
    assert body["assessment"]["assessed_by_name"].startswith("Nurse ")
