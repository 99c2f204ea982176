"""The prescribing and pharmacy pages, driven like a browser: the doctor prescribes (and
overrides a severe warning), the pharmacist dispenses and sees stock fall, the patient asks
for a renewal and the doctor approves it."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.pharmacy.factories import item, medicine, pharmacy, prescribe, receive
from tests.scheduling.factories import new_patient_user
from tests.web.pages import csrf_of, sign_in, submit, text_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def ph(client, as_role):
    return await pharmacy(client, as_role)


async def _browser(app, username: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 52000))
    browser = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    signed = await sign_in(browser, username)
    assert signed.status_code == 303, signed.text[:300]
    return browser


def _row(index: int, medicine_id: int, quantity: int) -> dict[str, str]:
    return {
        f"medicine_id_{index}": str(medicine_id),
        f"dose_{index}": "1 tablet",
        f"route_{index}": "oral",
        f"frequency_{index}": "once daily",
        f"duration_days_{index}": "7",
        f"quantity_{index}": str(quantity),
        f"instructions_{index}": "",
    }


async def test_doctor_prescribes_two_medicines_and_overrides_a_severe_warning(client, app, ph):
    warfarin = await medicine(client, ph.pharmacist, "warfarin")
    aspirin = await medicine(client, ph.pharmacist, "aspirin")
    doctor = await _browser(app, ph.doctor_row["username"])
    url = f"/prescriptions/new?patient_id={ph.patient_id}"
    form = await doctor.get(url)
    assert form.status_code == 200
    html = form.text
    for label in ("Medicine", "Dose", "Route", "Frequency", "Days", "Quantity"):
        assert re.search(rf">{label}( <span[^>]*>\*</span>)?</label>", html), label
    assert "Add another medicine" in html and ">Prescribe</button>" in html
    assert html.count('data-testid="item-row"') == 3

    fields = {
        "csrf_token": csrf_of(html),
        "patient_id": str(ph.patient_id),
        "row_count": "3",
        "action": "prescribe",
        **_row(0, warfarin["id"], 28),
        **_row(1, aspirin["id"], 28),
    }
    blocked = await doctor.post("/prescriptions/new", data=fields)
    assert blocked.status_code == 200
    assert "A severe warning blocks" in text_of(blocked.text)
    assert 'name="override_reason"' in blocked.text
    more = await doctor.post("/prescriptions/new", data={**fields, "action": "add_row"})
    assert more.text.count('data-testid="item-row"') == 4

    done = await doctor.post(
        "/prescriptions/new",
        data={**fields, "override_reason": "Valve replacement; cardiology agrees"},
    )
    assert done.status_code == 303
    page = await doctor.get(done.headers["location"])
    words = text_of(page.text)
    assert "Warfarin" in words and "Aspirin" in words and "Severe" in words
    assert "/pdf" in page.text


async def test_pharmacist_dispenses_from_the_queue_and_stock_falls(client, app, ph):
    drug = await medicine(client, ph.pharmacist, "amlodipine", name="Amlodipine")
    lot = await receive(client, ph.pharmacist, drug["id"], 40, batch="AML-7")
    created = await prescribe(client, ph.doctor, ph.patient_id, item(drug["id"], 28))
    pharmacist = await _browser(
        app, (await client.get("/api/v1/auth/me", headers=ph.pharmacist)).json()["username"]
    )
    queue = await pharmacist.get("/pharmacy")
    assert f"/pharmacy/prescriptions/{created['id']}" in queue.text
    page = await pharmacist.get(f"/pharmacy/prescriptions/{created['id']}")
    assert "AML-7 × 28" in text_of(page.text)
    item_id = created["items"][0]["id"]
    assert f'name="qty_{item_id}"' in page.text and 'value="28"' in page.text
    done = await pharmacist.post(
        f"/pharmacy/prescriptions/{created['id']}/dispense",
        data={"csrf_token": csrf_of(page.text), f"qty_{item_id}": "28"},
    )
    assert done.status_code == 303
    after = await pharmacist.get(done.headers["location"])
    assert "lot AML-7 × 28" in text_of(after.text)
    stock = await pharmacist.get("/pharmacy/stock?q=amlodipine")
    assert re.search(r'data-testid="on-hand">12\b', stock.text)
    assert f"#{lot['id']} AML-7" in text_of(stock.text)


async def test_stock_forms_receive_and_adjust_with_errors_beside_fields(client, app, ph):
    drug = await medicine(client, ph.pharmacist, "omeprazole")
    username = (await client.get("/api/v1/auth/me", headers=ph.pharmacist)).json()["username"]
    pharmacist = await _browser(app, username)
    bad = await submit(
        pharmacist,
        "/pharmacy/stock",
        "/pharmacy/stock/receive",
        medicine_id=str(drug["id"]),
        batch_number="OM-1",
        expiry_date="2001-01-01",
        quantity="10",
        unit_cost="0.10",
        supplier="",
    )
    assert bad.status_code == 200 and "expired" in text_of(bad.text)
    good = await submit(
        pharmacist,
        "/pharmacy/stock",
        "/pharmacy/stock/receive",
        medicine_id=str(drug["id"]),
        batch_number="OM-1",
        expiry_date="2099-01-01",
        quantity="10",
        unit_cost="0.10",
        supplier="",
    )
    assert good.status_code == 303
    lot_id = (
        await client.get(
            "/api/v1/pharmacy/stock", headers=ph.pharmacist, params={"medicine_id": drug["id"]}
        )
    ).json()["items"][0]["lots"][0]["id"]
    too_much = await submit(
        pharmacist,
        "/pharmacy/stock",
        "/pharmacy/stock/adjust",
        adj_lot_id=str(lot_id),
        adj_quantity="-11",
        adj_reason="Broken",
    )
    assert too_much.status_code == 200 and "below zero" in text_of(too_much.text)
    fixed = await submit(
        pharmacist,
        "/pharmacy/stock",
        "/pharmacy/stock/adjust",
        adj_lot_id=str(lot_id),
        adj_quantity="-1",
        adj_reason="Broken",
    )
    assert fixed.status_code == 303
    for url in ("/pharmacy/alerts", "/pharmacy/reports/inventory-value", "/pharmacy/medicines"):
        assert (await pharmacist.get(url)).status_code == 200, url
    added = await submit(
        pharmacist,
        "/pharmacy/medicines",
        "/pharmacy/medicines",
        name="Naproxen",
        generic_name="naproxen",
        form="tablet",
        strength="250 mg",
        unit="tablet",
        unit_price="0.08",
        reorder_level="100",
    )
    assert added.status_code == 303
    listed = await pharmacist.get("/pharmacy/medicines?q=naprox")
    assert "Naproxen 250 mg tablet" in text_of(listed.text)


async def test_patient_requests_a_renewal_and_the_doctor_approves_it(client, app, ph):
    drug = await medicine(client, ph.pharmacist, "levothyroxine", name="Levothyroxine")
    created = await prescribe(client, ph.doctor, ph.patient_id, item(drug["id"], 28))
    me = (await client.get("/api/v1/auth/me", headers=ph.patient)).json()["username"]
    patient = await _browser(app, me)
    mine = await patient.get("/my/prescriptions")
    assert "Levothyroxine" in text_of(mine.text) and "Request renewal" in mine.text
    asked = await patient.post(
        f"/my/prescriptions/{created['id']}/renewal",
        data={"csrf_token": csrf_of(mine.text), "note": "Nearly out"},
    )
    assert asked.status_code == 303
    assert "waiting for your doctor" in text_of((await patient.get("/my/prescriptions")).text)

    doctor = await _browser(app, ph.doctor_row["username"])
    inbox = await doctor.get("/prescriptions/renewals")
    assert "Nearly out" in text_of(inbox.text)
    request_id = re.search(r"/prescriptions/renewals/(\d+)/approve", inbox.text).group(1)
    approved = await doctor.post(
        f"/prescriptions/renewals/{request_id}/approve",
        data={"csrf_token": csrf_of(inbox.text), "note": "", "override_reason": ""},
    )
    assert approved.status_code == 303
    assert "Approved" in text_of((await patient.get("/my/prescriptions")).text)


async def test_other_patients_cannot_open_a_prescription_page(client, app, ph):
    drug = await medicine(client, ph.pharmacist, "cetirizine")
    created = await prescribe(client, ph.doctor, ph.patient_id, item(drug["id"], 7))
    _headers, other = await new_patient_user(client)
    stranger = await _browser(app, other["username"])
    assert (await stranger.get(f"/prescriptions/{created['id']}")).status_code == 403
    assert (await stranger.get("/pharmacy")).status_code == 403
