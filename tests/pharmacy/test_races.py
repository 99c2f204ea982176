"""Stock never goes negative under real concurrency: a live server on PostgreSQL with two
worker processes, twenty dispenses fired at once against a lot that can serve five."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

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
        yield base


async def _login(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post(
        "/api/v1/auth/login", json={"username": username, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _post(http, url, headers, body):
    response = await http.post(url, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_20_concurrent_dispenses_against_a_lot_of_5_let_exactly_5_through(pg_server):
    async with httpx.AsyncClient(base_url=pg_server, timeout=60) as http:
        admin = await _login(http, "chief")
        department = await _post(http, "/api/v1/departments", admin, {"name": "Racing clinic"})
        profile = {  # a doctor account comes with its doctor profile
            "department_id": department["id"],
            "specialization": "General practice",
            "license_number": "GMC-RACE-1",
        }
        for role, name in (("pharmacist", "racer-pharmacist"), ("doctor", "racer-doctor")):
            await _post(
                http,
                "/api/v1/users",
                admin,
                {
                    "username": name,
                    "password": STRONG_PASSWORD,
                    "role": role,
                    "full_name": f"Racing {role}",
                    **(profile if role == "doctor" else {}),
                },
            )
        pharmacist, doctor = (
            await _login(http, "racer-pharmacist"),
            await _login(http, "racer-doctor"),
        )
        medicine = await _post(
            http,
            "/api/v1/pharmacy/medicines",
            pharmacist,
            {
                "name": "Amoxicillin",
                "generic_name": "amoxicillin",
                "form": "capsule",
                "strength": "500 mg",
                "unit": "capsule",
                "unit_price": "0.11",
            },
        )
        expiry = (datetime.now(UTC).date() + timedelta(days=200)).isoformat()
        lot = await _post(
            http,
            "/api/v1/pharmacy/stock/receipts",
            pharmacist,
            {
                "medicine_id": medicine["id"],
                "batch_number": "RACE-1",
                "expiry_date": expiry,
                "quantity": 5,
                "unit_cost": "0.05",
            },
        )
        prescription_ids = []
        for n in range(20):
            patient = await _post(
                http,
                "/api/v1/patients",
                admin,
                {
                    "given_name": "Racer",
                    "family_name": f"Number{n}",
                    "date_of_birth": "1980-01-01",
                    "sex": "other",
                    "allow_duplicate": True,
                },
            )
            prescription = await _post(
                http,
                "/api/v1/prescriptions",
                {**doctor, "X-Break-Glass-Reason": "Race test: ward round cover"},
                {
                    "patient_id": patient["id"],
                    "items": [
                        {
                            "medicine_id": medicine["id"],
                            "dose": "500 mg",
                            "route": "oral",
                            "frequency": "three times daily",
                            "quantity": 1,
                        }
                    ],
                },
            )
            prescription_ids.append(prescription["id"])

        responses = await asyncio.gather(
            *[
                http.post(f"/api/v1/prescriptions/{pid}/dispense", headers=pharmacist)
                for pid in prescription_ids
            ]
        )
        codes = [r.status_code for r in responses]
        assert 500 not in codes, [r.text for r in responses if r.status_code == 500]
        assert codes.count(200) == 5, [r.text for r in responses if r.status_code != 409]
        assert codes.count(409) == 15, codes
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"out_of_stock"}
        assert all(
            r.json()["lines"][0]["lots"]
            == [
                {
                    "lot_id": lot["id"],
                    "batch_number": "RACE-1",
                    "expiry_date": expiry,
                    "quantity": 1,
                }
            ]
            for r in responses
            if r.status_code == 200
        )

        stock = await http.get(
            "/api/v1/pharmacy/stock", params={"medicine_id": medicine["id"]}, headers=pharmacist
        )
        line = stock.json()["items"][0]
        assert line["on_hand"] == 0
        assert line["lots"] == [], "an empty lot is no longer listed as holding stock"
        queue = await http.get("/api/v1/pharmacy/queue", headers=pharmacist)
        assert queue.json()["total"] == 15
