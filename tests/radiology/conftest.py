"""Radiology fixtures: the starter catalogue, and a small clinic with every role involved."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from openward.db import session_scope
from openward.radiology.demo import seed_catalogue
from tests.scheduling.factories import (
    book,
    doctor_headers,
    iso,
    new_doctor,
    new_patient,
    new_patient_user,
)


@pytest.fixture
def settings(settings_factory: Any, tmp_path: Path):
    """Images go to this test's own media directory, with a 1 MB upload limit."""
    return settings_factory(media_dir=tmp_path / "media", upload_max_mb=1)


@pytest.fixture
async def catalogue(app: Any) -> None:
    async with session_scope(app.state.sessionmaker) as db:
        await seed_catalogue(db)


@dataclass
class Clinic:
    admin: dict[str, str]
    reception: dict[str, str]
    nurse: dict[str, str]
    radiologist: dict[str, str]
    second_radiologist: dict[str, str]  # verifies what the first reports
    doctor: dict[str, str]
    doctor_user_id: int
    other_doctor: dict[str, str]
    patient: dict[str, str]  # the patient's own sign-in
    patient_id: int
    other_patient: dict[str, str]
    other_patient_id: int
    stranger_id: int  # registered at the desk, never seen by the doctor


@pytest.fixture
async def clinic(client: httpx.AsyncClient, as_role: Any, catalogue: None) -> Clinic:
    admin = await as_role("admin")
    reception = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    other = await new_doctor(client, admin, department_id=doctor["department_id"])
    patient_headers, patient = await new_patient_user(client)
    other_headers, other_patient = await new_patient_user(client, full_name="Omar Haddad")
    stranger = await new_patient(client, reception)
    # The care relationship: the doctor has a visit booked with the patient.
    await book(client, reception, patient["patient_id"], iso(1, 10), doctor["id"])
    me = await client.get("/api/v1/auth/me", headers=await doctor_headers(client, doctor))
    return Clinic(
        admin=admin,
        reception=reception,
        nurse=await as_role("nurse"),
        radiologist=await as_role("radiologist"),
        second_radiologist=await as_role("radiologist"),
        doctor=await doctor_headers(client, doctor),
        doctor_user_id=me.json()["id"],
        other_doctor=await doctor_headers(client, other),
        patient=patient_headers,
        patient_id=patient["patient_id"],
        other_patient=other_headers,
        other_patient_id=other_patient["patient_id"],
        stranger_id=stranger["id"],
    )


async def order(
    client: httpx.AsyncClient, headers: dict[str, str], patient_id: int, **body: Any
) -> dict[str, Any]:
    payload = {"patient_id": patient_id, "exam_code": "XR-CHEST-PA", **body}
    response = await client.post("/api/v1/radiology/orders", headers=headers, json=payload)
    assert response.status_code == 201, response.text
    return response.json()


async def step(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    order_id: int,
    action: str,
    json: dict[str, Any] | None = None,
) -> httpx.Response:
    url = f"/api/v1/radiology/orders/{order_id}/{action}"
    if json is None and action == "schedule":
        json = {"scheduled_at": iso(1, 9)}
    if json is None and action == "report":
        json = REPORT
    if json is None and action == "cancel":
        json = {"reason": "Patient asked to cancel"}
    return await client.post(url, headers=headers, json=json)


REPORT = {
    "findings": "The lungs are clear. No effusion or pneumothorax. Normal heart size.",
    "impression": "Normal chest radiograph.",
}


async def advance(client: httpx.AsyncClient, c: Clinic, order_id: int, to: str) -> None:
    """Take an order through its steps up to `to` (a second radiologist verifies)."""
    steps = {
        "ordered": [],
        "scheduled": ["schedule"],
        "performed": ["schedule", "perform"],
        "reported": ["schedule", "perform", "report"],
        "verified": ["schedule", "perform", "report", "verify"],
        "cancelled": ["cancel"],
    }[to]
    who = {"schedule": "reception", "cancel": "reception", "verify": "second_radiologist"}
    path = [(action, getattr(c, who.get(action, "radiologist"))) for action in steps]
    for action, headers in path:
        response = await step(client, headers, order_id, action)
        assert response.status_code == 200, (action, response.text)
