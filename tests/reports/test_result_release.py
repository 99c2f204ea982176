"""Results reach the patient only after the ordering doctor acknowledged them, or once
OPENWARD_RESULT_RELEASE_HOURS have passed since verification: lab results and imaging
reports alike, on the patient's results page and API, with a frozen clock in several zones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine

from openward.db import session_scope
from openward.lab.starter_catalogue import seed_catalogue as seed_lab
from openward.radiology.demo import seed_catalogue as seed_radiology
from tests.conftest import bearer
from tests.lab.factories import LIPID_NORMAL, order, through, ward
from tests.lab.test_pages import browser
from tests.scheduling.factories import new_patient_user
from tests.web.pages import text_of

# (hospital zone, local hour the result is verified, release delay in hours)
CLOCKS = [
    ("Pacific/Kiritimati", 23, 72),  # UTC+14, late evening: the delay crosses local midnights
    ("Pacific/Honolulu", 1, 72),  # UTC-10, small hours
    ("Europe/London", 12, 24),  # a hospital that chose a one-day delay
]


@pytest.fixture(autouse=True)
async def catalogues(app: Any) -> None:
    async with session_scope(app.state.sessionmaker) as db:
        await seed_lab(db)
        await seed_radiology(db)


async def _results_ready(client: httpx.AsyncClient, as_role: Any) -> dict[str, Any]:
    """A patient with an online account, a verified lab order and a verified imaging report
    both requested by their doctor."""
    w = await ward(client, as_role)
    patient_headers, account = await new_patient_user(client)
    added = await client.post(
        f"/api/v1/patients/{account['patient_id']}/care-team",
        headers=w.admin,
        json={"doctor_id": w.doctor_row["id"]},
    )
    assert added.status_code in (200, 201), added.text
    lab = await order(client, w.doctor, account["patient_id"], ["LIPID"])
    await through(client, w.lab, lab["id"], LIPID_NORMAL)
    imaging = await client.post(
        "/api/v1/radiology/orders",
        headers=w.doctor,
        json={"patient_id": account["patient_id"], "exam_code": "XR-CHEST-PA"},
    )
    assert imaging.status_code == 201, imaging.text
    image_id = imaging.json()["id"]
    reader, second_reader = await as_role("radiologist"), await as_role("radiologist")
    soon = (datetime.now(ZoneInfo("UTC")) + timedelta(hours=2)).isoformat()
    for action, headers, body in (
        ("schedule", w.desk, {"scheduled_at": soon}),
        ("perform", reader, None),
        ("report", reader, {"findings": "Clear lungs.", "impression": "Normal chest."}),
        ("verify", second_reader, None),
    ):
        done = await client.post(
            f"/api/v1/radiology/orders/{image_id}/{action}", headers=headers, json=body
        )
        assert done.status_code == 200, (action, done.text)
    return {
        "ward": w,
        "patient": patient_headers,
        "username": account["username"],
        "lab_id": lab["id"],
        "image_id": image_id,
    }


async def _what_the_patient_reads(
    client: httpx.AsyncClient, case: dict[str, Any]
) -> dict[str, bool]:
    """Sign in afresh (the clock moved past any token) and look everywhere a patient looks."""
    me = await bearer(client, case["username"])
    lab = (await client.get(f"/api/v1/lab/orders/{case['lab_id']}", headers=me)).json()
    listed = (await client.get("/api/v1/lab/orders", headers=me)).json()["items"]
    image = (await client.get(f"/api/v1/radiology/orders/{case['image_id']}", headers=me)).json()
    pdf = await client.get(f"/api/v1/lab/orders/{case['lab_id']}/pdf", headers=me)
    return {
        "lab values": bool(lab["results"]) and lab["results_visible"],
        "lab flag in list": listed[0]["released_to_patient"],
        "lab report pdf": pdf.status_code == 200,
        "imaging report": image["report_visible"] and image["impression"] == "Normal chest.",
    }


def _travel_to(zone: str, hour: int) -> datetime:
    return datetime(2026, 12, 8, hour, 30, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(("zone", "hour", "delay"), CLOCKS)
async def test_results_reach_the_patient_once_the_release_delay_has_passed(
    app, client, as_role, zone, hour, delay
):
    app.state.settings = app.state.settings.model_copy(
        update={"timezone": zone, "result_release_hours": delay}
    )
    verified_at = _travel_to(zone, hour)
    with time_machine.travel(verified_at, tick=False) as clock:
        case = await _results_ready(client, as_role)
        assert set((await _what_the_patient_reads(client, case)).values()) == {False}
        clock.move_to(verified_at + timedelta(hours=delay) - timedelta(minutes=1))
        assert set((await _what_the_patient_reads(client, case)).values()) == {False}
        clock.move_to(verified_at + timedelta(hours=delay, minutes=1))
        assert set((await _what_the_patient_reads(client, case)).values()) == {True}


@pytest.mark.parametrize(("zone", "hour", "delay"), CLOCKS)
async def test_results_reach_the_patient_as_soon_as_the_doctor_acknowledges_them(
    app, client, as_role, zone, hour, delay
):
    app.state.settings = app.state.settings.model_copy(
        update={"timezone": zone, "result_release_hours": delay}
    )
    verified_at = _travel_to(zone, hour)
    with time_machine.travel(verified_at, tick=False) as clock:
        case = await _results_ready(client, as_role)
        clock.move_to(verified_at + timedelta(minutes=50))
        doctor = await bearer(client, case["ward"].doctor_row["username"])
        for path in (
            f"/api/v1/lab/orders/{case['lab_id']}/acknowledge",
            f"/api/v1/radiology/orders/{case['image_id']}/acknowledge",
        ):
            done = await client.post(path, headers=doctor)
            assert done.status_code == 200, done.text
            assert datetime.fromisoformat(done.json()["released_at"]) == verified_at + timedelta(
                minutes=50
            )
        assert set((await _what_the_patient_reads(client, case)).values()) == {True}


async def test_the_patients_results_page_says_the_doctor_looks_first(app, client, as_role):
    case = await _results_ready(client, as_role)
    async with browser(app, case["username"]) as patient:
        page = text_of((await patient.get("/my/results")).text)
        assert "Not ready yet" in page and "With your doctor" in page
        assert "No imaging reports yet" in page
        hidden = await patient.get(f"/my/results/lab/{case['lab_id']}")
        assert hidden.status_code == 404
        doctor = await bearer(client, case["ward"].doctor_row["username"])
        await client.post(f"/api/v1/lab/orders/{case['lab_id']}/acknowledge", headers=doctor)
        await client.post(
            f"/api/v1/radiology/orders/{case['image_id']}/acknowledge", headers=doctor
        )
        page = text_of((await patient.get("/my/results")).text)
        assert "With your doctor" not in page and "Chest X-ray PA" in page
        shown = await patient.get(f"/my/results/lab/{case['lab_id']}")
        assert shown.status_code == 200 and "Triglycerides" in text_of(shown.text)
