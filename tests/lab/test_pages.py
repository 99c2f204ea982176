"""The lab's pages, driven like a browser: ordering, the worklist, result entry, the patient."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.lab.factories import order, through, ward
from tests.scheduling.factories import new_patient_user
from tests.web.pages import csrf_of, sign_in, text_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@asynccontextmanager
async def browser(app: Any, username: str):
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 52000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        signed = await sign_in(http, username)
        assert signed.status_code == 303, signed.text[:300]
        yield http


async def _post(http: httpx.AsyncClient, page: str, action: str, **fields: Any):
    shown = await http.get(page)
    assert shown.status_code == 200, shown.text[:300]
    return await http.post(action, data={"csrf_token": csrf_of(shown.text), **fields})


async def _setup(app, client, as_role, make_user):
    w = await ward(client, as_role)
    _headers, account = await new_patient_user(client)
    await client.post(
        f"/api/v1/patients/{account['patient_id']}/care-team",
        headers=w.admin,
        json={"doctor_id": w.doctor_row["id"]},
    )
    tech = await make_user("lab_technician")
    return w, account, tech


async def test_doctor_orders_lipid_panel_and_lab_takes_it_to_verified(
    app, client, as_role, make_user
):
    w, account, tech = await _setup(app, client, as_role, make_user)
    page = f"/lab/orders/new?patient_id={account['patient_id']}"
    async with browser(app, w.doctor_row["username"]) as doctor:
        form = await doctor.get(page)
        assert re.search(
            r'<label class="form-check-label" for="t-LIPID">Lipid panel</label>', form.text
        )
        assert "Place order" in form.text
        placed = await _post(
            doctor,
            page,
            "/lab/orders/new",
            patient_id=str(account["patient_id"]),
            tests="LIPID",
            priority="urgent",
            clinical_notes="Family history of early MI",
        )
        assert placed.status_code == 303
        order_url = placed.headers["location"]
        order_id = int(order_url.rsplit("/", 1)[1])
    async with browser(app, tech.username) as lab:
        worklist = await lab.get("/lab/worklist")
        assert f'href="/lab/orders/{order_id}"' in worklist.text
        assert "Urgent" in text_of(worklist.text)
        for button, action in (("Collect specimen", "collect"), ("Start", "start")):
            shown = await lab.get(order_url)
            assert f">{button}</button>" in shown.text
            moved = await _post(lab, order_url, f"{order_url}/{action}")
            assert moved.status_code == 303
        entry = await lab.get(order_url)
        for name in ("Total cholesterol", "LDL cholesterol", "HDL cholesterol", "Triglycerides"):
            assert re.search(rf'<label class="[^"]*" for="f-r-\w+">{name}</label>', entry.text)
        bad = await _post(lab, order_url, f"{order_url}/results", **{"r-LDL": "high-ish"})
        assert bad.status_code == 200
        assert re.search(r'id="e-r-LDL">[^<]*number', bad.text)
        saved = await _post(
            lab,
            order_url,
            f"{order_url}/results",
            **{"r-CHOL": "7.9", "r-LDL": "5.2", "r-HDL": "0.9", "r-TRIG": "12.4"},
        )
        assert saved.status_code == 303
        refused = await _post(lab, order_url, f"{order_url}/verify")  # who entered them
        assert refused.status_code == 303
        assert "another technician verifies them" in text_of((await lab.get(order_url)).text)
    second = await make_user("lab_technician")
    async with browser(app, second.username) as colleague:
        verified = await _post(colleague, order_url, f"{order_url}/verify")
        assert verified.status_code == 303
    async with browser(app, w.doctor_row["username"]) as doctor:
        shown = text_of((await doctor.get(order_url)).text)
        assert "Verified" in shown and "Critical high" in shown
        acknowledged = await _post(doctor, order_url, f"{order_url}/acknowledge")
        assert acknowledged.status_code == 303
        bell = (await client.get("/api/v1/notifications", headers=w.doctor)).json()["items"]
        assert any(n["kind"] == "lab.critical_result" for n in bell)
    async with browser(app, account["username"]) as patient:
        mine = await patient.get("/my/results")
        assert mine.status_code == 200
        assert f'href="/my/results/lab/{order_id}"' in mine.text
        result = await patient.get(f"/my/results/lab/{order_id}")
        words = text_of(result.text)
        assert "Lipid panel" in words and "Triglycerides" in words and "Critical high" in words
        assert f"/api/v1/lab/orders/{order_id}/pdf" in result.text
        assert (await patient.get(f"/api/v1/lab/orders/{order_id}/pdf")).status_code == 200


async def test_patient_cannot_open_an_unverified_result_page(app, client, as_role, make_user):
    w, account, _tech = await _setup(app, client, as_role, make_user)
    placed = await order(client, w.doctor, account["patient_id"], ["LIPID"])
    await through(client, w.lab, placed["id"], upto="resulted")
    async with browser(app, account["username"]) as patient:
        page = await patient.get(f"/my/results/lab/{placed['id']}")
        assert page.status_code == 404
        mine = text_of((await patient.get("/my/results")).text)
        assert "Not ready yet" in mine and "Lipid panel" in mine


async def test_ordering_without_tests_re_renders_with_the_message(app, client, as_role, make_user):
    w, account, _tech = await _setup(app, client, as_role, make_user)
    page = f"/lab/orders/new?patient_id={account['patient_id']}"
    async with browser(app, w.doctor_row["username"]) as doctor:
        failed = await _post(doctor, page, "/lab/orders/new", patient_id=str(account["patient_id"]))
        assert failed.status_code == 200
        assert "Choose at least one test." in text_of(failed.text)


async def test_orders_list_filters_by_status_and_search_finds_patients(app, client, as_role):
    w = await ward(client, as_role)
    await order(client, w.doctor, w.patient["id"], ["CBC"])
    async with browser(app, w.doctor_row["username"]) as doctor:
        listed = text_of((await doctor.get("/lab/orders?status=ordered")).text)
        assert "Complete blood count" in listed
        assert "No lab orders match." in text_of(
            (await doctor.get("/lab/orders?status=verified")).text
        )
        search = await doctor.get(f"/lab/orders/new?q={w.patient['family_name']}")
        assert f"/lab/orders/new?patient_id={w.patient['id']}" in search.text
