"""Lab orders taken through their steps over the HTTP API, with the people who take them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.scheduling.factories import doctor_headers, new_doctor, new_patient

LIPID_NORMAL = {"CHOL": 4.6, "LDL": 2.5, "HDL": 1.5, "TRIG": 1.2}
# Each ward's technician -> the colleague who verifies what they enter (by bearer header).
SECOND_TECHNICIAN: dict[str, dict[str, str]] = {}


@dataclass
class Ward:
    """A doctor, the patient under their care (on the care team), the front desk and the lab."""

    admin: dict[str, str]
    desk: dict[str, str]
    lab: dict[str, str]
    verifier: dict[str, str]  # a second technician: results are verified by a second person
    doctor: dict[str, str]
    doctor_row: dict[str, Any]
    patient: dict[str, Any]


async def ward(client: httpx.AsyncClient, as_role: Any, **patient: Any) -> Ward:
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    lab = await as_role("lab_technician")
    verifier = await as_role("lab_technician")
    SECOND_TECHNICIAN[lab["Authorization"]] = verifier
    doctor_row = await new_doctor(client, admin)
    doctor = await doctor_headers(client, doctor_row)
    person = await new_patient(client, desk, **patient)
    added = await client.post(
        f"/api/v1/patients/{person['id']}/care-team",
        headers=desk,
        json={"doctor_id": doctor_row["id"]},
    )
    assert added.status_code in (200, 201), added.text
    return Ward(admin, desk, lab, verifier, doctor, doctor_row, person)


async def order(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    patient_id: int,
    tests: list[str],
    **extra: Any,
) -> dict[str, Any]:
    body = {"patient_id": patient_id, "tests": tests, "priority": "routine", **extra}
    response = await client.post("/api/v1/lab/orders", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def step(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: int, name: str, **body: Any
) -> httpx.Response:
    url = f"/api/v1/lab/orders/{order_id}/{name}"
    if body:
        return await client.post(url, headers=headers, json=body)
    return await client.post(url, headers=headers)


async def results(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: int, values: dict[str, Any]
) -> httpx.Response:
    body = {"results": [{"analyte_code": k, "value": v} for k, v in values.items()]}
    return await client.post(f"/api/v1/lab/orders/{order_id}/results", headers=headers, json=body)


async def through(
    client: httpx.AsyncClient,
    lab: dict[str, str],
    order_id: int,
    values: dict[str, Any] | None = None,
    *,
    upto: str = "verified",
    verifier: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Collect, start, enter `values` (the technician `lab`) and verify (`verifier`: by
    default the ward's second technician), stopping after `upto`."""
    last: httpx.Response | None = None
    for name in ("collect", "start"):
        last = await step(client, lab, order_id, name)
        assert last.status_code == 200, last.text
        if upto == {"collect": "collected", "start": "in_progress"}[name]:
            return last.json()
    last = await results(client, lab, order_id, values or LIPID_NORMAL)
    assert last.status_code == 200, last.text
    if upto == "resulted":
        return last.json()
    verifier = verifier or SECOND_TECHNICIAN[lab["Authorization"]]
    last = await step(client, verifier, order_id, "verify")
    assert last.status_code == 200, last.text
    return last.json()


def analyte(order: dict[str, Any], code: str) -> dict[str, Any]:
    for test in order["tests"]:
        for item in test["analytes"]:
            if item["code"] == code:
                return item
    raise AssertionError(f"no analyte {code}")
