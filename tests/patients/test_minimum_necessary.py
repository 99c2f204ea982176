"""Minimum necessary: the front desk and the administrator see a patient's visits and orders
with their status, never the clinical content (diagnoses, notes, prescriptions, result
values, report text, images), in the JSON, the pages, the CSV and the PDFs; the doctor in
the patient's care sees it all. Doctors' leave reasons stay with the schedule's keepers, a
doctor's imaging order names that doctor, and every refusal is audited."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import PermissionDenied
from openward.db import session_scope
from openward.lab.demo import seed_catalogue as seed_lab
from openward.pharmacy import reading
from openward.radiology.demo import demo_radiograph
from openward.radiology.demo import seed_catalogue as seed_radiology
from tests.conftest import STRONG_PASSWORD, bearer
from tests.lab.factories import order as lab_order
from tests.lab.factories import through
from tests.pharmacy.factories import item, medicine, prescribe
from tests.radiology.conftest import advance
from tests.radiology.conftest import order as imaging_order
from tests.scheduling.factories import (
    ENCOUNTER,
    at,
    book,
    code,
    complete,
    doctor_headers,
    local_day,
    new_doctor,
    new_patient,
)
from tests.web.pages import sign_in, text_of

CLINICAL_TEXT = (ENCOUNTER["assessment"], ENCOUNTER["plan"], "J30.1")
LAB_NOTES = "Query familial hypercholesterolaemia"
# Values that appear nowhere else on a page (not in a reference range).
LIPIDS = {"CHOL": 6.37, "LDL": 4.19, "HDL": 1.23, "TRIG": 2.71}
IMAGING_NOTES = "Three weeks of cough; rule out consolidation"
FINDINGS = "Patchy opacity in the right lower zone."
IMPRESSION = "Right lower lobe pneumonia."
PNG = demo_radiograph(48)


@dataclass
class Clinic:
    app: Any
    admin: dict[str, str]
    desk: dict[str, str]
    doctor: dict[str, str]
    doctor_row: dict[str, Any]
    desk_user: Any
    admin_user: Any
    patient: dict[str, Any]
    visit: dict[str, Any]


@pytest.fixture
async def clinic(app, client, make_user) -> Clinic:
    """A completed visit with its signed encounter, by a doctor on the patient's care team."""
    async with session_scope(app.state.sessionmaker) as db:
        await seed_lab(db)
        await seed_radiology(db)
    admin_user = await make_user("admin")
    desk_user = await make_user("receptionist")
    admin = await bearer(client, admin_user.username)
    desk = await bearer(client, desk_user.username)
    doctor_row = await new_doctor(client, admin, full_name="Dr Kofi Mensah")
    doctor = await doctor_headers(client, doctor_row)
    patient = await new_patient(client, desk, given_name="Ana", family_name="Pérez")
    visit = await book(client, desk, patient["id"], at(1, 9), doctor_row["id"], reason="Cough")
    await complete(client, desk, doctor, visit["id"])
    return Clinic(app, admin, desk, doctor, doctor_row, desk_user, admin_user, patient, visit)


@asynccontextmanager
async def browser(app: Any, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A separate signed-in web session (its own cookies)."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 52000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
        signed_in = await sign_in(web, username, STRONG_PASSWORD)
        assert signed_in.status_code == 303, signed_in.text
        yield web


async def denied(app: Any, action: str) -> list[Any]:
    async with session_scope(app.state.sessionmaker) as db:
        found, _ = await audit.search(db, action=action, outcome="denied")
    return found


def front_desk(c: Clinic) -> list[tuple[str, dict[str, str]]]:
    return [("receptionist", c.desk), ("admin", c.admin)]


# ---------------------------------------------------------------- visit history


async def test_front_desk_and_admin_read_the_visits_but_not_the_encounter(client, clinic):
    url = f"/api/v1/patients/{clinic.patient['id']}/history"
    for role, headers in front_desk(clinic):
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, (role, response.text)
        [visit] = response.json()["items"]
        assert (visit["status"], visit["doctor_name"]) == ("completed", "Dr Kofi Mensah"), role
        assert visit["department_name"] and visit["start"]
        assert visit["encounter"] is None and response.json()["treatments_withheld"] is True
        for text in CLINICAL_TEXT:
            assert text not in response.text, (role, text)


async def test_the_doctor_caring_for_the_patient_reads_the_visits_encounter(client, clinic):
    response = await client.get(
        f"/api/v1/patients/{clinic.patient['id']}/history", headers=clinic.doctor
    )
    [visit] = response.json()["items"]
    assert visit["encounter"]["assessment"] == ENCOUNTER["assessment"]
    assert [d["code"] for d in visit["encounter"]["diagnoses"]] == ["J30.1"]
    assert visit["encounter"]["status"] == "signed"
    assert response.json()["treatments_withheld"] is False


async def test_the_history_csv_has_no_treatment_columns_for_the_front_desk(client, clinic):
    url = f"/api/v1/patients/{clinic.patient['id']}/treatments.csv"
    for role, headers in front_desk(clinic):
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, role
        header, row = list(csv.reader(io.StringIO(response.text)))
        assert header == ["date", "time", "doctor", "department", "status", "reason"], role
        assert row[2] == "Dr Kofi Mensah" and row[4] == "completed" and row[5] == "Cough"
        for text in CLINICAL_TEXT:
            assert text not in response.text, (role, text)
    doctors = await client.get(url, headers=clinic.doctor)
    header, row = list(csv.reader(io.StringIO(doctors.text)))
    assert row[header.index("diagnoses")].startswith("J30.1 ")
    assert row[header.index("assessment")] == ENCOUNTER["assessment"]


async def test_the_patient_and_appointment_pages_show_the_front_desk_no_treatment(app, clinic):
    for user in (clinic.desk_user, clinic.admin_user):
        async with browser(app, user.username) as web:
            for url in (
                f"/patients/{clinic.patient['id']}",
                f"/appointments/{clinic.visit['id']}",
            ):
                page = await web.get(url)
                assert page.status_code == 200, (user.role, url)
                words = text_of(page.text)
                assert "Completed" in words and "Dr Kofi Mensah" in words, (user.role, url)
                for text in CLINICAL_TEXT:
                    assert text not in page.text, (user.role, url, text)
    doctor = SimpleNamespace(username=clinic.doctor_row["username"])
    async with browser(app, doctor.username) as web:
        page = await web.get(f"/appointments/{clinic.visit['id']}")
        assert f"/appointments/{clinic.visit['id']}/record" in page.text
        record = await web.get(f"/appointments/{clinic.visit['id']}/record", follow_redirects=True)
        assert ENCOUNTER["assessment"] in text_of(record.text)


# ---------------------------------------------------------------- laboratory


async def _verified_lab_order(client, clinic: Clinic) -> dict[str, Any]:
    lab = await bearer(client, (await _lab_user(clinic)).username)
    second = await bearer(client, (await _lab_user(clinic, "second")).username)
    placed = await lab_order(
        client, clinic.doctor, clinic.patient["id"], ["LIPID"], clinical_notes=LAB_NOTES
    )
    await through(client, lab, placed["id"], LIPIDS, verifier=second)
    return placed


async def _lab_user(clinic: Clinic, which: str = "first") -> Any:
    from openward.identity import schemas as identity_schemas
    from openward.identity import service as identity_service

    data = identity_schemas.UserCreate(
        username=f"lab-{which}-{clinic.patient['id']}",
        password=STRONG_PASSWORD,
        role="lab_technician",
        full_name="Lee Lab",
    )
    async with session_scope(clinic.app.state.sessionmaker) as db:
        return await identity_service.create_user(db, Actor.system("test"), data, approved=True)


async def test_the_front_desk_sees_a_lab_orders_status_but_no_values(client, clinic):
    placed = await _verified_lab_order(client, clinic)
    shown = await client.get(f"/api/v1/lab/orders/{placed['id']}", headers=clinic.desk)
    assert shown.status_code == 200
    body = shown.json()
    assert body["status"] == "verified" and body["clinical_content_withheld"] is True
    assert body["results"] == [] and body["results_visible"] is False and body["flag"] is None
    assert body["clinical_notes"] is None
    assert all(
        a["result"] is None and a["previous"] == [] for t in body["tests"] for a in t["analytes"]
    )
    assert LAB_NOTES not in shown.text
    listed = await client.get(
        "/api/v1/lab/orders", headers=clinic.desk, params={"patient_id": clinic.patient["id"]}
    )
    assert [(o["status"], o["flag"]) for o in listed.json()["items"]] == [("verified", None)]
    # The administrator has no lab access at all.
    assert (
        await client.get(f"/api/v1/lab/orders/{placed['id']}", headers=clinic.admin)
    ).status_code == 403


async def test_the_doctor_sees_the_lab_values_and_notes(client, clinic):
    placed = await _verified_lab_order(client, clinic)
    body = (await client.get(f"/api/v1/lab/orders/{placed['id']}", headers=clinic.doctor)).json()
    assert {r["analyte_code"]: r["value"] for r in body["results"]} == LIPIDS
    assert body["clinical_notes"] == LAB_NOTES and body["flag"] == "abnormal"
    listed = await client.get(
        "/api/v1/lab/orders", headers=clinic.doctor, params={"patient_id": clinic.patient["id"]}
    )
    assert [o["flag"] for o in listed.json()["items"]] == ["abnormal"]


async def test_the_lab_pdf_and_trend_are_refused_to_the_front_desk_and_audited(app, client, clinic):
    placed = await _verified_lab_order(client, clinic)
    pdf = await client.get(f"/api/v1/lab/orders/{placed['id']}/pdf", headers=clinic.desk)
    assert pdf.status_code == 403 and code(pdf) == "clinical_content_withheld"
    trend = await client.get(
        f"/api/v1/patients/{clinic.patient['id']}/lab-trends",
        headers=clinic.desk,
        params={"analyte": "CHOL"},
    )
    assert trend.status_code == 403 and code(trend) == "clinical_content_withheld"
    [printed] = await denied(app, "lab.report.print")
    [trended] = await denied(app, "lab.trend")
    assert printed.patient_id == trended.patient_id == clinic.patient["id"]
    assert json.loads(printed.detail)["kind"] == "lab"
    ok = await client.get(f"/api/v1/lab/orders/{placed['id']}/pdf", headers=clinic.doctor)
    assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    doctor_trend = await client.get(
        f"/api/v1/patients/{clinic.patient['id']}/lab-trends",
        headers=clinic.doctor,
        params={"analyte": "CHOL"},
    )
    assert [p["value"] for p in doctor_trend.json()["items"]] == [LIPIDS["CHOL"]]


async def test_the_lab_order_page_shows_the_front_desk_the_status_only(app, client, clinic):
    placed = await _verified_lab_order(client, clinic)
    async with browser(app, clinic.desk_user.username) as web:
        page = await web.get(f"/lab/orders/{placed['id']}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Verified" in words and "shown to the clinicians caring for the patient" in words
    assert LAB_NOTES not in words and f"/lab/orders/{placed['id']}/pdf" not in page.text
    for value in LIPIDS.values():
        assert str(value) not in words, value
    async with browser(app, clinic.doctor_row["username"]) as web:
        page = await web.get(f"/lab/orders/{placed['id']}")
    assert str(LIPIDS["LDL"]) in text_of(page.text) and LAB_NOTES in text_of(page.text)


# ---------------------------------------------------------------- imaging


async def _reported_exam(client, clinic: Clinic, make_user) -> tuple[dict[str, Any], dict]:
    radiologist = await bearer(client, (await make_user("radiologist")).username)
    second_reader = await bearer(client, (await make_user("radiologist")).username)
    placed = await imaging_order(
        client, clinic.doctor, clinic.patient["id"], clinical_notes=IMAGING_NOTES
    )
    steps = SimpleNamespace(reception=clinic.desk, radiologist=radiologist)
    await advance(client, steps, placed["id"], "performed")
    uploaded = await client.post(
        f"/api/v1/radiology/orders/{placed['id']}/attachments",
        headers=radiologist,
        files={"file": ("film.png", PNG, "image/png")},
    )
    assert uploaded.status_code == 201, uploaded.text
    for action, body, who in (
        ("report", {"findings": FINDINGS, "impression": IMPRESSION}, radiologist),
        ("verify", None, second_reader),
    ):
        done = await client.post(
            f"/api/v1/radiology/orders/{placed['id']}/{action}", headers=who, json=body
        )
        assert done.status_code == 200, done.text
    return placed, uploaded.json()


async def test_the_front_desk_sees_an_exams_status_but_no_report_notes_or_images(
    app, client, clinic, make_user
):
    placed, attachment = await _reported_exam(client, clinic, make_user)
    shown = await client.get(f"/api/v1/radiology/orders/{placed['id']}", headers=clinic.desk)
    body = shown.json()
    assert body["status"] == "verified" and body["clinical_content_withheld"] is True
    assert body["findings"] is None and body["impression"] is None
    assert body["clinical_notes"] is None and IMAGING_NOTES not in shown.text
    listed = await client.get(
        f"/api/v1/radiology/orders/{placed['id']}/attachments", headers=clinic.desk
    )
    image = await client.get(attachment["url"], headers=clinic.desk)
    for refused in (listed, image):
        assert refused.status_code == 403 and code(refused) == "clinical_content_withheld"
    assert len(await denied(app, "radiology.attachment_list")) == 1
    assert len(await denied(app, "radiology.attachment_read")) == 1
    async with browser(app, clinic.desk_user.username) as web:
        page = await web.get(f"/radiology/orders/{placed['id']}")
    assert page.status_code == 200
    assert "Verified" in text_of(page.text)
    for hidden in (IMAGING_NOTES, FINDINGS, IMPRESSION, attachment["url"]):
        assert hidden not in page.text, hidden
    # The administrator has no imaging access at all.
    assert (
        await client.get(f"/api/v1/radiology/orders/{placed['id']}", headers=clinic.admin)
    ).status_code == 403


async def test_the_requesting_doctor_sees_the_report_notes_and_images(
    app, client, clinic, make_user
):
    placed, attachment = await _reported_exam(client, clinic, make_user)
    body = (
        await client.get(f"/api/v1/radiology/orders/{placed['id']}", headers=clinic.doctor)
    ).json()
    assert (body["findings"], body["clinical_notes"]) == (FINDINGS, IMAGING_NOTES)
    image = await client.get(attachment["url"], headers=clinic.doctor)
    assert image.status_code == 200 and image.content == PNG
    async with browser(app, clinic.doctor_row["username"]) as web:
        page = await web.get(f"/radiology/orders/{placed['id']}")
    assert IMPRESSION in text_of(page.text) and attachment["url"] in page.text


async def test_a_doctors_imaging_order_names_only_that_doctor(client, clinic, as_role):
    me = (await client.get("/api/v1/auth/me", headers=clinic.doctor)).json()
    colleague = await doctor_headers(client, await new_doctor(client, clinic.admin))
    colleague_id = (await client.get("/api/v1/auth/me", headers=colleague)).json()["id"]
    body = {"patient_id": clinic.patient["id"], "exam_code": "XR-CHEST-PA"}
    refused = await client.post(
        "/api/v1/radiology/orders",
        headers=clinic.doctor,
        json={**body, "doctor_user_id": colleague_id},
    )
    assert refused.status_code == 422 and code(refused) == "unknown_doctor"
    assert refused.json()["errors"][0]["field"] == "doctor_user_id"
    own = await client.post(
        "/api/v1/radiology/orders", headers=clinic.doctor, json={**body, "doctor_user_id": me["id"]}
    )
    assert own.status_code == 201 and own.json()["doctor_user_id"] == me["id"]
    nurse = await as_role("nurse")
    for_colleague = await client.post(
        "/api/v1/radiology/orders", headers=nurse, json={**body, "doctor_user_id": colleague_id}
    )
    assert for_colleague.status_code == 201
    assert for_colleague.json()["doctor_user_id"] == colleague_id


# ---------------------------------------------------------------- prescriptions


async def test_prescriptions_are_withheld_from_the_front_desk_in_the_service(app, client, clinic):
    pharmacist = await bearer(client, (await _pharmacist(clinic)).username)
    drug = await medicine(client, pharmacist, "amoxicillin")
    written = await prescribe(client, clinic.doctor, clinic.patient["id"], item(drug["id"], 21))
    desk = (await client.get("/api/v1/auth/me", headers=clinic.desk)).json()
    actor = Actor(id=desk["id"], username=desk["username"], role="receptionist", via="token")
    async with session_scope(app.state.sessionmaker) as db:
        with pytest.raises(PermissionDenied) as refused:
            await reading.get_for(db, actor, written["id"])
    assert refused.value.code == "clinical_content_withheld"
    [event] = await denied(app, "prescription.read")
    assert event.patient_id == clinic.patient["id"]
    pharmacy = await client.get(f"/api/v1/prescriptions/{written['id']}", headers=pharmacist)
    assert pharmacy.status_code == 200


async def _pharmacist(clinic: Clinic) -> Any:
    from openward.identity import schemas as identity_schemas
    from openward.identity import service as identity_service

    data = identity_schemas.UserCreate(
        username=f"pharm-{clinic.patient['id']}",
        password=STRONG_PASSWORD,
        role="pharmacist",
        full_name="Pia Pharm",
    )
    async with session_scope(clinic.app.state.sessionmaker) as db:
        return await identity_service.create_user(db, Actor.system("test"), data, approved=True)


# ---------------------------------------------------------------- leave reasons


async def test_a_doctors_leave_reason_is_seen_only_by_the_admin_and_the_doctor(
    client, clinic, as_role
):
    from tests.scheduling.factories import new_patient_user

    day = local_day(5).isoformat()
    added = await client.post(
        f"/api/v1/doctors/{clinic.doctor_row['id']}/availability/exceptions",
        headers=clinic.doctor,
        json={"date": day, "kind": "leave", "reason": "Chemotherapy week"},
    )
    assert added.status_code == 201, added.text
    patient, _ = await new_patient_user(client)
    url = f"/api/v1/doctors/{clinic.doctor_row['id']}/availability"
    for headers in (patient, clinic.desk, await as_role("nurse")):
        response = await client.get(url, headers=headers)
        [leave] = response.json()["exceptions"]
        assert (leave["date"], leave["kind"], leave["reason"]) == (day, "leave", None)
        assert "Chemotherapy" not in response.text
    for headers in (clinic.admin, clinic.doctor):
        [leave] = (await client.get(url, headers=headers)).json()["exceptions"]
        assert leave["reason"] == "Chemotherapy week"
