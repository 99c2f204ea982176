"""No double booking under real concurrency: a live server on PostgreSQL with two worker
processes, many bookings fired at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD
from tests.live_server import live_server, openward, server_env

WEEK = [{"weekday": day, "start": "08:00", "end": "18:00"} for day in range(7)]


def _tomorrow_at(hour: int) -> str:
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


@pytest.fixture(scope="module")
def pg_server(module_pg_database: str):
    """One live server for the module (starting one takes seconds); each test uses its own
    accounts and records."""
    env = server_env(module_pg_database)
    with live_server(env, workers=2) as base:
        openward(env, "users", "create-admin", "--username", "chief", "--password", STRONG_PASSWORD)
        yield base


async def _headers(http: httpx.AsyncClient) -> dict[str, str]:
    response = await http.post(
        "/api/v1/auth/login", json={"username": "chief", "password": STRONG_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _clinic(http: httpx.AsyncClient, headers: dict, doctors: int, patients: int):
    """A department of its own (the module shares one server), its doctors and patients."""
    tag = uuid.uuid4().hex[:6]
    department = await http.post(
        "/api/v1/departments", json={"name": f"Cardiology {tag}"}, headers=headers
    )
    assert department.status_code == 201, department.text
    doctor_ids = []
    for n in range(doctors):
        created = await http.post(
            "/api/v1/doctors",
            json={
                "username": f"dr{n}-{tag}",
                "password": STRONG_PASSWORD,
                "full_name": f"Doctor Number{n}",
                "email": f"dr{n}-{tag}@example.org",
                "department_id": department.json()["id"],
                "specialization": "Cardiology",
                "license_number": f"LIC-{n}-{tag}",
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        doctor_id = created.json()["id"]
        schedule = await http.put(
            f"/api/v1/doctors/{doctor_id}/availability",
            json={"slot_minutes": 30, "weekly": WEEK},
            headers=headers,
        )
        assert schedule.status_code == 200, schedule.text
        doctor_ids.append(doctor_id)
    patient_ids = []
    for n in range(patients):
        created = await http.post(
            "/api/v1/patients",
            json={
                "given_name": "Racer",
                "family_name": f"Number{n} {tag}",
                "date_of_birth": "1980-01-01",
                "sex": "other",
                "allow_duplicate": True,
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        patient_ids.append(created.json()["id"])
    return department.json()["id"], doctor_ids, patient_ids


async def test_25_concurrent_bookings_of_one_slot_let_exactly_one_through(pg_server):
    async with httpx.AsyncClient(base_url=pg_server, timeout=60) as http:
        headers = await _headers(http)
        _dept, (doctor_id,), patient_ids = await _clinic(http, headers, 1, 25)
        start = _tomorrow_at(10)
        responses = await asyncio.gather(
            *[
                http.post(
                    "/api/v1/appointments",
                    json={"patient_id": pid, "doctor_id": doctor_id, "start": start},
                    headers=headers,
                )
                for pid in patient_ids
            ]
        )
        codes = sorted(r.status_code for r in responses)
        assert codes.count(201) == 1, [r.text for r in responses if r.status_code != 409]
        assert codes.count(409) == 24, codes
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_taken"}
        day = start[:10]
        booked = await http.get(
            "/api/v1/appointments",
            params={"doctor_id": doctor_id, "from": day, "to": day},
            headers=headers,
        )
        assert booked.json()["total"] == 1
        slots = await http.get(
            f"/api/v1/doctors/{doctor_id}/slots", params={"date": day}, headers=headers
        )
        assert start.replace("+00:00", "Z") not in [s["start"] for s in slots.json()]


async def test_one_patient_booked_with_many_doctors_at_once_gets_exactly_one(pg_server):
    async with httpx.AsyncClient(base_url=pg_server, timeout=60) as http:
        headers = await _headers(http)
        _dept, doctor_ids, (patient_id,) = await _clinic(http, headers, 6, 1)
        start = _tomorrow_at(11)
        responses = await asyncio.gather(
            *[
                http.post(
                    "/api/v1/appointments",
                    json={"patient_id": patient_id, "doctor_id": doctor_id, "start": start},
                    headers=headers,
                )
                for doctor_id in doctor_ids
                for _twice in range(2)
            ]
        )
        codes = sorted(r.status_code for r in responses)
        assert codes.count(201) == 1, [r.text for r in responses]
        assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
            "patient_busy",
            "slot_taken",
        }
        assert "patient_busy" in {r.json()["code"] for r in responses if r.status_code == 409}


async def test_concurrent_department_bookings_never_overlap_and_spread_over_doctors(pg_server):
    async with httpx.AsyncClient(base_url=pg_server, timeout=60) as http:
        headers = await _headers(http)
        department_id, doctor_ids, patient_ids = await _clinic(http, headers, 2, 12)
        start = _tomorrow_at(9)
        responses = await asyncio.gather(
            *[
                http.post(
                    "/api/v1/appointments",
                    json={"patient_id": pid, "department_id": department_id, "start": start},
                    headers=headers,
                )
                for pid in patient_ids
            ]
        )
        assert all(r.status_code == 201 for r in responses), [
            r.text for r in responses if r.status_code != 201
        ]
        taken = [(r.json()["doctor_id"], r.json()["start"]) for r in responses]
        assert len(set(taken)) == len(taken), "two patients got one doctor's slot"
        per_doctor = {d: sum(1 for doctor, _ in taken if doctor == d) for d in doctor_ids}
        assert max(per_doctor.values()) - min(per_doctor.values()) <= 2, per_doctor


async def test_many_desks_moving_visits_into_one_free_slot_at_once_move_exactly_one(pg_server):
    async with httpx.AsyncClient(base_url=pg_server, timeout=60) as http:
        headers = await _headers(http)
        _dept, (doctor_id,), patient_ids = await _clinic(http, headers, 1, 8)
        booked = []
        for n, patient_id in enumerate(patient_ids):
            made = await http.post(
                "/api/v1/appointments",
                json={
                    "patient_id": patient_id,
                    "doctor_id": doctor_id,
                    "start": _tomorrow_at(8 + n),
                },
                headers=headers,
            )
            assert made.status_code == 201, made.text
            booked.append(made.json()["id"])
        target = _tomorrow_at(17)
        responses = await asyncio.gather(
            *[
                http.patch(f"/api/v1/appointments/{a}", json={"start": target}, headers=headers)
                for a in booked
            ]
        )
        codes = sorted(r.status_code for r in responses)
        assert codes.count(200) == 1, [r.text for r in responses if r.status_code != 409]
        assert codes.count(409) == 7, codes
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_taken"}
        moved = next(r.json() for r in responses if r.status_code == 200)
        assert moved["patient_name"].startswith("Racer") and moved["doctor_name"]
