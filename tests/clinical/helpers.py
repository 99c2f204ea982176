"""A small clinic for the clinical tests: a doctor with a booked patient (so a care
relationship), a nurse, and a second doctor who has never seen the patient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.scheduling.factories import (
    act,
    book,
    bring_to_its_day,
    doctor_headers,
    iso,
    new_doctor,
    new_patient,
)


@dataclass
class Clinic:
    admin: dict[str, str]
    nurse: dict[str, str]
    doctor: dict[str, str]
    doctor_row: dict[str, Any]
    stranger: dict[str, str]  # a doctor without any relationship to the patient
    patient: dict[str, Any]
    appointment: dict[str, Any]


async def clinic(client: httpx.AsyncClient, as_role) -> Clinic:
    admin = await as_role("admin")
    nurse = await as_role("nurse", full_name="Nadia Haddad")
    doctor_row = await new_doctor(client, admin, full_name="Dr Ada Mensah")
    other = await new_doctor(client, admin, department_id=doctor_row["department_id"])
    patient = await new_patient(client, nurse)
    appointment = await book(client, nurse, patient["id"], iso(1, 10), doctor_row["id"])
    # The patient has arrived: the visit is today and checked in, so its encounter can be
    # signed (signing completes the visit).
    await bring_to_its_day(client, nurse, appointment["id"])
    checked_in = await act(client, nurse, appointment["id"], "check-in")
    assert checked_in.status_code == 200, checked_in.text
    appointment = checked_in.json()
    return Clinic(
        admin=admin,
        nurse=nurse,
        doctor=await doctor_headers(client, doctor_row),
        doctor_row=doctor_row,
        stranger=await doctor_headers(client, other),
        patient=patient,
        appointment=appointment,
    )


ENCOUNTER = {
    "chief_complaint": "Routine review of cholesterol",
    "history": "Father had a heart attack at 58.",
    "examination": "BP 138/86, BMI 27.",
    "assessment": "Raised LDL cholesterol.",
    "plan": "Start atorvastatin 20 mg; repeat lipids in 12 weeks.",
    "next_visit_date": None,
    "diagnoses": [{"code": "E78.5", "primary": True}, {"code": "I10", "primary": False}],
}


def encounter_body(patient_id: int, appointment_id: int | None = None, **changes: Any):
    return {"patient_id": patient_id, "appointment_id": appointment_id, **ENCOUNTER, **changes}


async def open_encounter(client, headers, patient_id, appointment_id=None, **changes):
    response = await client.post(
        "/api/v1/encounters",
        headers=headers,
        json=encounter_body(patient_id, appointment_id, **changes),
    )
    assert response.status_code == 201, response.text
    return response.json()
