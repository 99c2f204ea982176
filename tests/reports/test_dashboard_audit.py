"""Dashboards name patients; each view of them is in the audit trail like any other read."""

from __future__ import annotations

from tests.conftest import bearer
from tests.scheduling.factories import at, book, new_department, new_doctor, new_patient


async def test_a_doctors_dashboard_view_is_audited_with_the_patients_it_showed(
    client, as_role, make_user
):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    department = await new_department(client, admin)
    doctor = await new_doctor(client, admin, department_id=department["id"])
    patient = await new_patient(client, desk)
    await book(client, desk, patient["id"], at(1, 9), doctor["id"])

    shown = await client.get("/api/v1/dashboard", headers=await bearer(client, doctor["username"]))
    assert [a["patient_id"] for a in shown.json()["lists"]["upcoming"]] == [patient["id"]]

    trail = await client.get(
        "/api/v1/audit",
        params={"action": "appointment.list", "limit": 50},
        headers=admin,
    )
    by_doctor = [e for e in trail.json()["items"] if e["actor_username"] == doctor["username"]]
    assert any(patient["id"] in e["detail"]["patients"] for e in by_doctor), by_doctor
