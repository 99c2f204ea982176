"""The radiology pages as people use them: ordering, the worklist, each step's form, uploads
with thumbnails, and the patient's verified report."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.lab.test_pages import browser
from tests.radiology.conftest import REPORT, Clinic, advance, order, step
from tests.radiology.test_attachments import PNG
from tests.scheduling.factories import local_day
from tests.web.pages import beside, csrf_of, sign_in, submit, text_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _signed_in(client: httpx.AsyncClient, make_user: Any, role: str, **fields: Any):
    user = await make_user(role, **fields)
    response = await sign_in(client, user.username)
    assert response.status_code == 303, response.text[:300]
    return user


async def test_the_desk_orders_an_exam_from_the_grouped_list(
    client: httpx.AsyncClient, clinic: Clinic, make_user: Any
):
    await _signed_in(client, make_user, "receptionist")
    page = await client.get(f"/radiology/orders/new?patient_id={clinic.patient_id}")
    assert page.status_code == 200
    assert '<optgroup label="Computed tomography (CT)">' in page.text
    assert "Paula Fischer" in text_of(page.text)
    missing = await client.post(
        "/radiology/orders/new",
        data={"csrf_token": csrf_of(page.text), "patient_id": str(clinic.patient_id)},
    )
    assert missing.status_code == 200 and beside(missing.text, "exam_code") == "Choose the exam."
    placed = await client.post(
        "/radiology/orders/new",
        data={
            "csrf_token": csrf_of(page.text),
            "patient_id": str(clinic.patient_id),
            "exam_code": "US-PELVIS",
            "priority": "urgent",
            "clinical_notes": "Pelvic pain",
            "doctor_user_id": str(clinic.doctor_user_id),
        },
    )
    assert placed.status_code == 303
    detail = await client.get(placed.headers["location"])
    words = text_of(detail.text)
    assert "Pelvic ultrasound" in words and "Full bladder" in words and "Urgent" in words
    assert "Schedule for" in words and "Mark performed" not in words
    listed = text_of((await client.get("/radiology/orders")).text)
    assert "Pelvic ultrasound" in listed


async def test_the_radiologist_schedules_performs_reports_and_verifies_on_the_page(
    app: Any, client: httpx.AsyncClient, clinic: Clinic, make_user: Any
):
    created = await order(client, clinic.doctor, clinic.patient_id, priority="stat")
    await _signed_in(client, make_user, "radiologist")
    worklist = await client.get("/radiology/worklist")
    assert worklist.status_code == 200
    assert "Stat not yet reported" in text_of(worklist.text) and "Chest X-ray PA" in worklist.text
    url = f"/radiology/orders/{created['id']}"
    past = await submit(client, url, f"{url}/schedule", scheduled_at="2001-01-01T09:00")
    assert past.status_code == 200 and beside(past.text, "scheduled_at")
    done = await submit(
        client, url, f"{url}/schedule", scheduled_at=f"{local_day(1).isoformat()}T09:00"
    )
    assert done.status_code == 303
    assert "Mark performed" in (await client.get(url)).text
    assert (await submit(client, url, f"{url}/perform")).status_code == 303
    empty = await submit(client, url, f"{url}/report", findings="", impression="")
    assert empty.status_code == 200 and beside(empty.text, "findings")
    saved = await submit(client, url, f"{url}/report", **REPORT)
    assert saved.status_code == 303
    page = await client.get(url)
    assert "Draft — not verified" in text_of(page.text) and "Verify report" in page.text
    refused = await submit(client, url, f"{url}/verify")  # by the report's author
    assert refused.status_code == 303
    assert "another radiologist verifies it" in text_of((await client.get(url)).text)
    second = await make_user("radiologist")  # a second reader signs it off
    async with browser(app, second.username) as colleague:
        assert (await submit(colleague, url, f"{url}/verify")).status_code == 303
    final = text_of((await client.get(url)).text)
    assert "Verified" in final and "Draft" not in final and "Verify report" not in final


async def test_a_step_out_of_turn_on_the_page_says_why(
    client: httpx.AsyncClient, clinic: Clinic, make_user: Any
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await _signed_in(client, make_user, "radiologist")
    url = f"/radiology/orders/{created['id']}"
    response = await submit(client, url, f"{url}/verify")
    assert response.status_code == 303
    assert "cannot be verified" in text_of((await client.get(url)).text)


async def test_uploading_shows_a_thumbnail_and_a_bad_file_is_explained(
    client: httpx.AsyncClient, clinic: Clinic, make_user: Any
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "performed")
    await _signed_in(client, make_user, "radiologist")
    url = f"/radiology/orders/{created['id']}"
    token = csrf_of((await client.get(url)).text)
    bad = await client.post(
        f"{url}/attachments",
        data={"csrf_token": token},
        files={"file": ("notes.txt", b"plain text", "text/plain")},
    )
    assert bad.status_code == 303
    assert "not a JPEG, PNG, PDF or DICOM" in text_of((await client.get(url)).text)
    good = await client.post(
        f"{url}/attachments",
        data={"csrf_token": token},
        files={"file": ("knee.png", PNG, "image/png")},
    )
    assert good.status_code == 303
    page = await client.get(url)
    assert 'class="ow-rad-thumb" src="/api/v1/radiology/attachments/' in page.text
    huge = await client.post(
        f"{url}/attachments",
        data={"csrf_token": token},
        files={"file": ("big.png", PNG + b"\x00" * (2 * 1024 * 1024), "image/png")},
    )
    assert huge.status_code == 303
    assert "larger than the limit of 1 MB" in text_of((await client.get(url)).text)


async def test_the_patient_reads_a_verified_report_and_nothing_before(
    client: httpx.AsyncClient, clinic: Clinic
):
    verified = await order(client, clinic.doctor, clinic.patient_id, exam_code="MR-KNEE")
    draft = await order(client, clinic.doctor, clinic.patient_id, exam_code="CT-HEAD")
    await advance(client, clinic, verified["id"], "verified")
    await advance(client, clinic, draft["id"], "reported")
    theirs = await order(client, clinic.reception, clinic.other_patient_id)
    await advance(client, clinic, theirs["id"], "verified")
    me = (await client.get("/api/v1/auth/me", headers=clinic.patient)).json()
    assert (await sign_in(client, me["username"])).status_code == 303
    # Verified, but the doctor has not read it yet: not for the patient.
    assert (await client.get(f"/my/results/imaging/{verified['id']}")).status_code == 404
    await step(client, clinic.doctor, verified["id"], "acknowledge")
    page = await client.get(f"/my/results/imaging/{verified['id']}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "MRI knee" in words and REPORT["impression"] in words and REPORT["findings"] in words
    assert (await client.get(f"/my/results/imaging/{draft['id']}")).status_code == 404
    assert (await client.get(f"/my/results/imaging/{theirs['id']}")).status_code == 403
    redirected = await client.get(f"/radiology/orders/{verified['id']}")
    assert redirected.status_code == 303
    assert redirected.headers["location"] == f"/my/results/imaging/{verified['id']}"


async def test_the_doctor_sees_the_report_on_the_order_page_only_once_verified(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "reported")
    me = (await client.get("/api/v1/auth/me", headers=clinic.doctor)).json()
    assert (await sign_in(client, me["username"])).status_code == 303
    url = f"/radiology/orders/{created['id']}"
    before = text_of((await client.get(url)).text)
    assert REPORT["impression"] not in before and "waiting for a radiologist" in before
    assert "Save report" not in before
    await client.post(
        f"/api/v1/radiology/orders/{created['id']}/verify", headers=clinic.second_radiologist
    )
    assert REPORT["impression"] in text_of((await client.get(url)).text)
