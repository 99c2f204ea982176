"""The doctor's results inbox and the dashboards' work cards: lab results and imaging
reports of the doctor's own orders in one list, critical values first and before they are
verified; each department sees the work waiting for it."""

from __future__ import annotations

from typing import Any

import pytest

from openward.db import session_scope
from openward.lab.demo import seed_catalogue as seed_lab
from openward.radiology.demo import seed_catalogue as seed_radiology
from tests.lab.factories import LIPID_NORMAL, order, through, ward
from tests.scheduling.factories import iso
from tests.web.pages import sign_in, text_of


@pytest.fixture(autouse=True)
async def catalogues(app: Any) -> None:
    async with session_scope(app.state.sessionmaker) as db:
        await seed_lab(db)
        await seed_radiology(db)


async def _imaging_verified(client, w, radiologist, second_reader) -> dict:
    made = await client.post(
        "/api/v1/radiology/orders",
        headers=w.doctor,
        json={"patient_id": w.patient["id"], "exam_code": "XR-CHEST-PA"},
    )
    assert made.status_code == 201, made.text
    order_id = made.json()["id"]
    for action, headers, body in (
        ("schedule", w.desk, {"scheduled_at": iso(1, 9)}),
        ("perform", radiologist, None),
        ("report", radiologist, {"findings": "Clear lungs.", "impression": "Normal chest."}),
        ("verify", second_reader, None),
    ):
        url = f"/api/v1/radiology/orders/{order_id}/{action}"
        response = await client.post(url, headers=headers, json=body)
        assert response.status_code == 200, response.text
    return made.json()


async def test_the_inbox_lists_lab_and_imaging_with_critical_values_first(client, as_role):
    w = await ward(client, as_role, given_name="Marta", family_name="Silva")
    radiologist = await as_role("radiologist")
    normal = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, normal["id"], LIPID_NORMAL)
    imaging = await _imaging_verified(client, w, radiologist, await as_role("radiologist"))
    critical = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, critical["id"], {**LIPID_NORMAL, "TRIG": 14.0}, upto="resulted")

    response = await client.get("/api/v1/results/inbox", headers=w.doctor)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["kind"], i["order_id"]) for i in items] == [
        ("lab", critical["id"]),  # critical, although not verified yet and not the newest
        ("imaging", imaging["id"]),
        ("lab", normal["id"]),
    ]
    assert items[0]["flag"] == "critical" and items[0]["status"] == "resulted"
    assert items[0]["patient_name"] == "Marta Silva"
    assert items[1]["title"] == "Chest X-ray PA" and items[1]["link"].endswith(
        f"/radiology/orders/{imaging['id']}"
    )
    assert items[2]["flag"] is None

    colleague = await as_role("doctor")
    assert (await client.get("/api/v1/results/inbox", headers=colleague)).json()["items"] == []
    nurse = await as_role("nurse")
    assert (await client.get("/api/v1/results/inbox", headers=nurse)).status_code == 403


async def test_the_doctors_dashboard_counts_critical_results_and_shows_the_latest(
    client, as_role, make_user
):
    w = await ward(client, as_role, given_name="Idris", family_name="Bello")
    critical = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, critical["id"], {**LIPID_NORMAL, "CHOL": 16.0}, upto="resulted")
    dashboard = (await client.get("/api/v1/dashboard", headers=w.doctor)).json()
    cards = {c["key"]: c for c in dashboard["lists"]["work"]}
    assert cards["critical_results"]["value"] == 1
    assert cards["critical_results"]["href"] == "/results"
    assert cards["pending_lab"]["value"] == 1
    assert dashboard["lists"]["results"][0]["order_id"] == critical["id"]
    assert dashboard["lists"]["results"][0]["flag"] == "critical"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_lab_technicians_dashboard_shows_the_work_waiting(client, as_role, make_user):
    w = await ward(client, as_role)
    await order(client, w.doctor, w.patient["id"], ["LIPID"], priority="stat")
    resulted = await order(client, w.doctor, w.patient["id"], ["HBA1C"])
    await through(client, w.lab, resulted["id"], {"HBA1C": 48}, upto="resulted")

    tech = await make_user("lab_technician", full_name="Tomás Novak")
    await sign_in(client, tech.username)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "1 STAT orders pending" in words
    assert "1 Specimens to collect" in words
    assert "1 Results to verify" in words
    assert 'href="/lab/worklist?status=resulted"' in page.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_results_page_marks_critical_rows(client, as_role):
    w = await ward(client, as_role, given_name="Ruth", family_name="Achieng")
    critical = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, critical["id"], {**LIPID_NORMAL, "TRIG": 12.5}, upto="resulted")
    me = (await client.get("/api/v1/auth/me", headers=w.doctor)).json()
    await sign_in(client, me["username"])
    page = await client.get("/results")
    assert page.status_code == 200
    assert "ow-row-critical" in page.text
    words = text_of(page.text)
    assert "Ruth Achieng" in words and "Critical" in words and "Lipid panel" in words
