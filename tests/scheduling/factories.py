"""Small factories for the clinic's API tests: departments, doctors with a week of hours,
patients, patients who can sign in, and bookings, all built through the HTTP API."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import httpx

from tests.conftest import STRONG_PASSWORD, bearer

# Every day of the week, 08:00 to 18:00: a booking at any whole or half hour in that range
# fits the grid.
FULL_WEEK = [{"weekday": weekday, "start": "08:00", "end": "18:00"} for weekday in range(7)]


# ---------------------------------------------------------------- times


def at(days: int, hour: int, minute: int = 0, zone: tzinfo = UTC) -> datetime:
    """`days` from today at hour:minute in the hospital's zone (UTC unless a test says)."""
    today = datetime.now(zone).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=zone)


def iso(days: int, hour: int, minute: int = 0, zone: tzinfo = UTC) -> str:
    return at(days, hour, minute, zone).isoformat()


def local_day(days: int, zone: tzinfo = UTC) -> date:
    return datetime.now(zone).date() + timedelta(days=days)


def parse(value: str) -> datetime:
    """An ISO 8601 time from the API; it must carry an offset."""
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value!r} has no offset"
    return parsed


def hhmm(value: str) -> str:
    """'09:00:00' or '09:00' -> '09:00'."""
    return value[:5]


# ---------------------------------------------------------------- responses


def code(response: httpx.Response) -> str | None:
    try:
        return response.json().get("code")
    except ValueError:
        return None


def field_errors(response: httpx.Response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]


# ---------------------------------------------------------------- staff


def _uid() -> str:
    return uuid.uuid4().hex[:8]


async def new_department(
    client: httpx.AsyncClient, admin: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    body = {"name": f"Department {_uid()}", "location": "Block A", "phone": "+44 20 7946 0001"}
    body.update(overrides)
    response = await client.post("/api/v1/departments", headers=admin, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def doctor_body(department_id: int, **overrides: Any) -> dict[str, Any]:
    uid = _uid()
    body = {
        "username": f"dr-{uid}",
        "password": STRONG_PASSWORD,
        "full_name": f"Dr Test {uid}",
        "email": f"dr-{uid}@example.org",
        "phone": "+44 20 7946 0200",
        "department_id": department_id,
        "specialization": "General medicine",
        "qualification": "MBBS",
        "experience_years": 7,
        "consultation_fee": "50.00",
        "license_number": f"LIC-{uid}",
    }
    body.update(overrides)
    return body


async def set_availability(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    doctor_id: int,
    weekly: list[dict[str, Any]],
    slot_minutes: int = 30,
) -> dict[str, Any]:
    response = await client.put(
        f"/api/v1/doctors/{doctor_id}/availability",
        headers=headers,
        json={"slot_minutes": slot_minutes, "weekly": weekly},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def new_doctor(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    *,
    department_id: int | None = None,
    weekly: list[dict[str, Any]] | None = None,
    slot_minutes: int = 30,
    **overrides: Any,
) -> dict[str, Any]:
    """A doctor (DoctorOut, as the admin sees it) working FULL_WEEK unless told otherwise.

    Sign in as them with `await bearer(client, doctor["username"])`."""
    if department_id is None:
        department_id = (await new_department(client, admin))["id"]
    response = await client.post(
        "/api/v1/doctors", headers=admin, json=doctor_body(department_id, **overrides)
    )
    assert response.status_code == 201, response.text
    doctor = response.json()
    await set_availability(
        client, admin, doctor["id"], FULL_WEEK if weekly is None else weekly, slot_minutes
    )
    return doctor


async def doctor_headers(client: httpx.AsyncClient, doctor: dict[str, Any]) -> dict[str, str]:
    return await bearer(client, doctor["username"], STRONG_PASSWORD)


async def slots(
    client: httpx.AsyncClient, headers: dict[str, str], doctor_id: int, day: date
) -> list[dict[str, str]]:
    response = await client.get(
        f"/api/v1/doctors/{doctor_id}/slots", headers=headers, params={"date": day.isoformat()}
    )
    assert response.status_code == 200, response.text
    return response.json()


def slot_starts(rows: list[dict[str, str]]) -> list[datetime]:
    return [parse(row["start"]) for row in rows]


# ---------------------------------------------------------------- patients


def patient_body(**overrides: Any) -> dict[str, Any]:
    born = date(1950, 1, 1) + timedelta(days=random.randrange(0, 365 * 50))
    body = {
        "given_name": "Test",
        "family_name": f"Patient-{_uid()}",
        "date_of_birth": born.isoformat(),
        "sex": "female",
    }
    body.update(overrides)
    return body


async def new_patient(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    """A patient registered at the front desk (headers: admin, receptionist or nurse)."""
    response = await client.post(
        "/api/v1/patients", headers=headers, json=patient_body(**overrides)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def new_patient_user(
    client: httpx.AsyncClient, username: str | None = None, **fields: Any
) -> tuple[dict[str, str], dict[str, Any]]:
    """A patient who registered themselves: (their bearer headers, {id, username, patient_id, mrn})."""
    username = username or f"pat-{_uid()}"
    body = {
        "username": username,
        "password": STRONG_PASSWORD,
        "full_name": "Paula Fischer",
        "email": f"{username}@example.org",
        "date_of_birth": "1984-03-14",
        "sex": "female",
    }
    body.update(fields)
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    return await bearer(client, username), response.json()


# ---------------------------------------------------------------- appointments


async def try_book(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    patient_id: int,
    start: str | datetime,
    doctor_id: int | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {
        "patient_id": patient_id,
        "start": start.isoformat() if isinstance(start, datetime) else start,
        "reason": "Check-up",
    }
    if doctor_id is not None:
        body["doctor_id"] = doctor_id
    body.update(extra)
    return await client.post("/api/v1/appointments", headers=headers, json=body)


async def book(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    patient_id: int,
    start: str | datetime,
    doctor_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = await try_book(client, headers, patient_id, start, doctor_id, **extra)
    assert response.status_code == 201, response.text
    return response.json()


async def act(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    appointment_id: int,
    action: str,
    json: dict[str, Any] | None = None,
) -> httpx.Response:
    """POST /appointments/{id}/{action}: cancel, check-in, no-show or complete (which only
    answers for a visit whose encounter is signed: 409 encounter_required before)."""
    if action == "cancel" and json is None:
        json = {"reason": "Patient called to cancel"}
    url = f"/api/v1/appointments/{appointment_id}/{action}"
    if json is None:
        return await client.post(url, headers=headers)
    return await client.post(url, headers=headers, json=json)


# The visit's record: an encounter with a coded diagnosis, signed by the doctor.
ENCOUNTER = {
    "chief_complaint": "Sneezing and itchy eyes every spring",
    "assessment": "Seasonal allergic rhinitis",
    "plan": "Advised to avoid pollen; review if no better in two weeks.",
    "diagnoses": [{"code": "J30.1"}],
    "next_visit_date": None,
}


async def sign_visit(
    client: httpx.AsyncClient,
    doctor: dict[str, str],
    appointment: dict[str, Any],
    encounter: dict[str, Any] | None = None,
) -> httpx.Response:
    """The doctor writes the visit's encounter and signs it (signing completes the visit);
    the answer is the signing's."""
    body = {**ENCOUNTER, **(encounter or {})}
    body.update(patient_id=appointment["patient_id"], appointment_id=appointment["id"])
    created = await client.post("/api/v1/encounters", headers=doctor, json=body)
    if created.status_code != 201:
        return created
    return await client.post(f"/api/v1/encounters/{created.json()['id']}/sign", headers=doctor)


async def complete(
    client: httpx.AsyncClient,
    front_desk: dict[str, str],
    doctor: dict[str, str],
    appointment_id: int,
    encounter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check the appointment in (front desk) and complete it by signing its encounter (its
    doctor); returns the completed appointment. A visit booked for a later day is first
    moved to today (a visit is checked in only on its day)."""
    await bring_to_its_day(client, front_desk, appointment_id)
    checked_in = await act(client, front_desk, appointment_id, "check-in")
    assert checked_in.status_code == 200, checked_in.text
    signed = await sign_visit(client, doctor, checked_in.json(), encounter)
    assert signed.status_code == 200, signed.text
    done = await act(client, doctor, appointment_id, "complete")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    return done.json()


async def bring_to_its_day(
    client: httpx.AsyncClient, headers: dict[str, str], appointment_id: int
) -> None:
    """Move a visit booked for a later day to today, at the same time of day (the app the
    in-process client serves)."""
    response = await client.get(f"/api/v1/appointments/{appointment_id}", headers=headers)
    assert response.status_code == 200, response.text
    start = parse(response.json()["start"])
    days = (start.date() - datetime.now(start.tzinfo).date()).days
    if days > 0:
        await move_into_the_past(client._transport.app, appointment_id, days)  # type: ignore[attr-defined]


async def move_into_the_past(app: Any, appointment_id: int, days: int) -> None:
    """Shift an appointment `days` back in time, as if it had been booked and held then.

    Bookings in the past are refused by the API, so a visit that already happened is
    made by moving a real one back (the ORM row, not raw SQL)."""
    from openward.db import session_scope
    from openward.scheduling.models import Appointment

    async with session_scope(app.state.sessionmaker) as db:
        appointment = await db.get(Appointment, appointment_id)
        assert appointment is not None
        shift = timedelta(days=days)
        appointment.start_at -= shift
        appointment.end_at -= shift
        for name in ("checked_in_at", "completed_at", "created_at"):
            value = getattr(appointment, name)
            if value is not None:
                setattr(appointment, name, value - shift)
