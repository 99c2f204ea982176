"""The audit trail page reads as words: a patient by formatted MRN, people, doctors and
departments by name, each event's details as "key: value" ("—" when empty), never raw JSON
or "None"."""

from __future__ import annotations

import re
from typing import Any

import httpx

from openward.patients.mrn import format_mrn
from tests.conftest import STRONG_PASSWORD
from tests.scheduling.factories import new_department, new_patient
from tests.web.pages import csrf_of, sign_in, text_of


def _cells(html: str, testid: str) -> list[str]:
    return [
        text_of(cell)
        for cell in re.findall(rf'data-testid="{testid}">(.*?)</td>', html, flags=re.DOTALL)
    ]


async def test_the_trail_shows_mrns_names_and_readable_details(
    client: httpx.AsyncClient, as_role: Any, make_user: Any
):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    cardiology = await new_department(client, admin, name="Cardiology")
    doctor = await client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "grace",
            "password": STRONG_PASSWORD,
            "full_name": "Dr Grace Mensah",
            "role": "doctor",
            "department_id": cardiology["id"],
            "specialization": "Cardiology",
            "license_number": "GMC-7741",
        },
    )
    assert doctor.status_code == 201, doctor.text
    patient = await new_patient(client, desk, given_name="Paula", family_name="Fischer")
    deactivated = await client.post(
        f"/api/v1/patients/{patient['id']}/deactivate",
        headers=desk,
        json={"reason": "Registered twice"},
    )
    assert deactivated.status_code == 200

    await make_user("admin", username="chief", full_name="Amara Okafor")
    await sign_in(client, "chief")
    page = await client.get("/admin/audit")
    # The verification's details hold empty values (no broken event, no finding).
    verified = await client.post("/admin/audit/verify", data={"csrf_token": csrf_of(page.text)})
    assert verified.status_code == 200
    page = await client.get("/admin/audit")
    assert page.status_code == 200
    words = text_of(page.text)

    mrn = format_mrn(patient["mrn"])
    assert re.fullmatch(r"\d{3}-\d{3}-\d{3}-\d", mrn)
    patients = _cells(page.text, "audit-patient")
    assert mrn in patients and str(patient["id"]) not in patients
    assert f'href="/patients/{patient["id"]}"' in page.text

    details = _cells(page.text, "audit-details")
    assert "Reason: Registered twice" in details
    assert any("User: Dr Grace Mensah" in d and "Department: Cardiology" in d for d in details)
    assert any(
        "Username: grace" in d and "Role: doctor" in d and "Approved: yes" in d for d in details
    )
    assert any("Checked:" in d and "Broken id: —" in d and "Finding: —" in d for d in details)
    assert "None" not in words
    for cell in details:
        assert "{" not in cell and "}" not in cell and '":' not in cell, cell
    assert "Patient " + mrn in words  # the record itself is named by its MRN, too
