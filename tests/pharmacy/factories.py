"""A small pharmacy for the tests: a doctor caring for a patient who can sign in, a second
doctor who has never seen them, a pharmacist, and medicines added through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tests.scheduling.factories import doctor_headers, new_doctor, new_patient_user


@dataclass
class Pharmacy:
    admin: dict[str, str]
    nurse: dict[str, str]
    doctor: dict[str, str]
    doctor_row: dict[str, Any]
    stranger: dict[str, str]
    pharmacist: dict[str, str]
    patient: dict[str, str]  # the patient's own headers
    patient_id: int


async def pharmacy(client: httpx.AsyncClient, as_role) -> Pharmacy:
    admin = await as_role("admin")
    doctor_row = await new_doctor(client, admin, full_name="Dr Ada Mensah")
    other = await new_doctor(client, admin, department_id=doctor_row["department_id"])
    patient_headers, registered = await new_patient_user(client)
    patient_id = registered["patient_id"]
    assigned = await client.post(
        f"/api/v1/patients/{patient_id}/care-team",
        headers=admin,
        json={"doctor_id": doctor_row["id"]},
    )
    assert assigned.status_code == 201, assigned.text
    return Pharmacy(
        admin=admin,
        nurse=await as_role("nurse"),
        doctor=await doctor_headers(client, doctor_row),
        doctor_row=doctor_row,
        stranger=await doctor_headers(client, other),
        pharmacist=await as_role("pharmacist"),
        patient=patient_headers,
        patient_id=patient_id,
    )


def today() -> date:
    return datetime.now(UTC).date()


async def medicine(
    client: httpx.AsyncClient, headers: dict[str, str], generic: str, **overrides: Any
) -> dict[str, Any]:
    body = {
        "name": overrides.pop("name", generic.title()),
        "generic_name": generic,
        "form": "tablet",
        "strength": f"{uuid.uuid4().int % 900 + 10} mg",
        "unit": "tablet",
        "unit_price": "0.50",
        "reorder_level": 10,
    }
    body.update(overrides)
    response = await client.post("/api/v1/pharmacy/medicines", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def receive(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    medicine_id: int,
    quantity: int,
    *,
    days: int = 365,
    batch: str | None = None,
    unit_cost: str = "0.20",
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/pharmacy/stock/receipts",
        headers=headers,
        json={
            "medicine_id": medicine_id,
            "batch_number": batch or f"B{uuid.uuid4().hex[:8].upper()}",
            "expiry_date": (today() + timedelta(days=days)).isoformat(),
            "quantity": quantity,
            "unit_cost": unit_cost,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def item(medicine_id: int, quantity: int = 10, **overrides: Any) -> dict[str, Any]:
    body = {
        "medicine_id": medicine_id,
        "dose": "1 tablet",
        "route": "oral",
        "frequency": "twice daily",
        "duration_days": 5,
        "quantity": quantity,
        "instructions": "After food",
    }
    body.update(overrides)
    return body


async def try_prescribe(
    client: httpx.AsyncClient, headers: dict[str, str], patient_id: int, *items, **extra: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/prescriptions",
        headers=headers,
        json={"patient_id": patient_id, "items": list(items), **extra},
    )


async def prescribe(client, headers, patient_id, *items, **extra) -> dict[str, Any]:
    response = await try_prescribe(client, headers, patient_id, *items, **extra)
    assert response.status_code == 201, response.text
    return response.json()


async def add_allergy(app: Any, patient_id: int, substance: str, severity: str) -> None:
    """An allergy on the patient's chart (the clinical domain's row, written as it would)."""
    from sqlalchemy import select

    from openward.clinical.models import Allergy
    from openward.db import session_scope
    from openward.identity.models import User

    async with session_scope(app.state.sessionmaker) as db:
        recorder = await db.scalar(select(User.id).where(User.role == "doctor").limit(1))
        db.add(
            Allergy(
                patient_id=patient_id,
                substance=substance,
                reaction="Rash",
                severity=severity,
                status="active",
                recorded_by=recorder,
            )
        )


async def expire_lot(app: Any, lot_id: int, days_ago: int = 1) -> None:
    """A lot received in good time whose expiry date has since passed."""
    from openward.db import session_scope
    from openward.pharmacy.models import StockLot

    async with session_scope(app.state.sessionmaker) as db:
        lot = await db.get(StockLot, lot_id)
        assert lot is not None
        lot.expiry_date = today() - timedelta(days=days_ago)


async def audit_rows(client, admin: dict[str, str], action: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", headers=admin, params={"action": action})
    assert response.status_code == 200, response.text
    return response.json()["items"]
