"""Stock and dispensing through the API: receipts, adjustments, first-expiry-first
dispensing that never touches an expired lot, partial dispensing, alerts and value."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.pharmacy.factories import (
    audit_rows,
    expire_lot,
    item,
    medicine,
    pharmacy,
    prescribe,
    receive,
    today,
)
from tests.scheduling.factories import code, field_errors


@pytest.fixture
async def ph(client, as_role):
    return await pharmacy(client, as_role)


async def test_receipts_refuse_expired_lots_and_duplicate_batches(client, ph):
    drug = await medicine(client, ph.pharmacist, "amlodipine")
    body = {
        "medicine_id": drug["id"],
        "batch_number": "AML-001",
        "expiry_date": today().isoformat(),
        "quantity": 100,
        "unit_cost": "0.02",
    }
    expired = await client.post("/api/v1/pharmacy/stock/receipts", headers=ph.pharmacist, json=body)
    assert expired.status_code == 422 and code(expired) == "expired_lot"
    assert "expiry_date" in field_errors(expired)
    body["expiry_date"] = (today() + timedelta(days=400)).isoformat()
    first = await client.post("/api/v1/pharmacy/stock/receipts", headers=ph.pharmacist, json=body)
    assert first.status_code == 201 and first.json()["quantity"] == 100
    assert first.json()["unit_cost"] == "0.02"
    again = await client.post("/api/v1/pharmacy/stock/receipts", headers=ph.pharmacist, json=body)
    assert again.status_code == 409 and code(again) == "duplicate_batch"
    nurse = await client.post("/api/v1/pharmacy/stock/receipts", headers=ph.nurse, json=body)
    assert nurse.status_code == 403


async def test_adjustments_never_take_a_lot_below_zero(client, ph):
    drug = await medicine(client, ph.pharmacist, "bisoprolol")
    lot = await receive(client, ph.pharmacist, drug["id"], 30)
    url = "/api/v1/pharmacy/stock/adjustments"
    broken = await client.post(
        url, headers=ph.pharmacist, json={"lot_id": lot["id"], "quantity": -2, "reason": "Broken"}
    )
    assert broken.status_code == 200 and broken.json()["quantity"] == 28
    found = await client.post(
        url, headers=ph.pharmacist, json={"lot_id": lot["id"], "quantity": 1, "reason": "Recount"}
    )
    assert found.json()["quantity"] == 29
    too_many = await client.post(
        url, headers=ph.pharmacist, json={"lot_id": lot["id"], "quantity": -30, "reason": "Lost"}
    )
    assert too_many.status_code == 409 and code(too_many) == "insufficient_stock"
    no_reason = await client.post(
        url, headers=ph.pharmacist, json={"lot_id": lot["id"], "quantity": -1}
    )
    assert no_reason.status_code == 422 and "reason" in field_errors(no_reason)
    zero = await client.post(
        url, headers=ph.pharmacist, json={"lot_id": lot["id"], "quantity": 0, "reason": "Nothing"}
    )
    assert zero.status_code == 422
    stock = await client.get(
        "/api/v1/pharmacy/stock", headers=ph.pharmacist, params={"medicine_id": drug["id"]}
    )
    assert stock.json()["items"][0]["on_hand"] == 29
    assert len(await audit_rows(client, ph.admin, "stock.adjust")) == 2


async def test_dispensing_takes_first_expiry_first_and_never_from_an_expired_lot(client, app, ph):
    drug = await medicine(client, ph.pharmacist, "atorvastatin", reorder_level=0)
    late = await receive(client, ph.pharmacist, drug["id"], 50, days=300, batch="LATE")
    soon = await receive(client, ph.pharmacist, drug["id"], 6, days=30, batch="SOON")
    old = await receive(client, ph.pharmacist, drug["id"], 40, days=10, batch="OLD")
    await expire_lot(app, old["id"])
    created = await prescribe(client, ph.doctor, ph.patient_id, item(drug["id"], 10))

    queue = await client.get("/api/v1/pharmacy/queue", headers=ph.pharmacist)
    [entry] = queue.json()["items"]
    assert entry["items"][0]["remaining"] == 10
    assert entry["items"][0]["in_stock"] == 56, "expired units are not counted as in stock"

    done = await client.post(
        f"/api/v1/prescriptions/{created['id']}/dispense", headers=ph.pharmacist
    )
    assert done.status_code == 200, done.text
    assert done.json()["complete"] is True and done.json()["status"] == "dispensed"
    [line] = done.json()["lines"]
    assert [(lot["batch_number"], lot["quantity"]) for lot in line["lots"]] == [
        ("SOON", 6),
        ("LATE", 4),
    ]
    stock = (
        await client.get(
            "/api/v1/pharmacy/stock", headers=ph.pharmacist, params={"medicine_id": drug["id"]}
        )
    ).json()["items"][0]
    assert stock["on_hand"] == 46
    assert stock["expired_on_hand"] == 40
    assert {lot["batch_number"]: lot["quantity"] for lot in stock["lots"]} == {
        "OLD": 40,
        "LATE": 46,
    }
    assert soon["id"] not in [lot["id"] for lot in stock["lots"]]
    assert late["id"] in [lot["id"] for lot in stock["lots"]]
    again = await client.post(
        f"/api/v1/prescriptions/{created['id']}/dispense", headers=ph.pharmacist
    )
    assert again.status_code == 409 and code(again) == "invalid_transition"
    assert (await client.get("/api/v1/pharmacy/queue", headers=ph.pharmacist)).json()["total"] == 0


async def test_partial_dispensing_out_of_stock_and_quantities_beyond_what_remains(client, ph):
    ramipril = await medicine(client, ph.pharmacist, "ramipril")
    cetirizine = await medicine(client, ph.pharmacist, "cetirizine")
    await receive(client, ph.pharmacist, ramipril["id"], 5)
    created = await prescribe(
        client, ph.doctor, ph.patient_id, item(ramipril["id"], 8), item(cetirizine["id"], 3)
    )
    ramipril_item, cetirizine_item = created["items"]
    url = f"/api/v1/prescriptions/{created['id']}/dispense"

    nothing = await client.post(
        url,
        headers=ph.pharmacist,
        json={"items": [{"item_id": cetirizine_item["id"], "quantity": 3}]},
    )
    assert nothing.status_code == 409 and code(nothing) == "out_of_stock"
    beyond = await client.post(
        url,
        headers=ph.pharmacist,
        json={"items": [{"item_id": ramipril_item["id"], "quantity": 9}]},
    )
    assert beyond.status_code == 422 and "items.0.quantity" in field_errors(beyond)
    foreign = await client.post(
        url, headers=ph.pharmacist, json={"items": [{"item_id": 999_999, "quantity": 1}]}
    )
    assert foreign.status_code == 422

    partial = await client.post(url, headers=ph.pharmacist)
    assert partial.status_code == 200
    body = partial.json()
    assert body["complete"] is False and body["status"] == "partially_dispensed"
    assert [(line["dispensed"], line["remaining"]) for line in body["lines"]] == [(5, 3), (0, 3)]
    shown = (await client.get(f"/api/v1/prescriptions/{created['id']}", headers=ph.patient)).json()
    assert [i["quantity_dispensed"] for i in shown["items"]] == [5, 0]
    empty = await client.post(url, headers=ph.pharmacist)
    assert empty.status_code == 409 and code(empty) == "out_of_stock"

    await receive(client, ph.pharmacist, ramipril["id"], 10)
    await receive(client, ph.pharmacist, cetirizine["id"], 10)
    rest = await client.post(url, headers=ph.pharmacist)
    assert rest.json()["complete"] is True
    assert [line["dispensed"] for line in rest.json()["lines"]] == [3, 3]
    assert (await client.post(url, headers=ph.doctor)).status_code == 403


async def test_alerts_list_low_stock_expiring_and_expired_lots(client, app, ph):
    low = await medicine(client, ph.pharmacist, "digoxin", reorder_level=100)
    plenty = await medicine(client, ph.pharmacist, "levothyroxine", reorder_level=10)
    await receive(client, ph.pharmacist, low["id"], 20, days=400)
    expiring = await receive(client, ph.pharmacist, plenty["id"], 30, days=20)
    expired = await receive(client, ph.pharmacist, plenty["id"], 15, days=20)
    await expire_lot(app, expired["id"])
    await receive(client, ph.pharmacist, plenty["id"], 30, days=400)

    alerts = (await client.get("/api/v1/pharmacy/alerts", headers=ph.pharmacist)).json()
    assert [(a["medicine"]["id"], a["on_hand"]) for a in alerts["low_stock"]] == [(low["id"], 20)]
    assert [a["lot"]["id"] for a in alerts["expiring"]] == [expiring["id"]]
    assert [a["lot"]["id"] for a in alerts["expired"]] == [expired["id"]]
    assert alerts["days"] == 90
    narrow = (
        await client.get("/api/v1/pharmacy/alerts", headers=ph.pharmacist, params={"days": 7})
    ).json()
    assert narrow["expiring"] == [] and narrow["days"] == 7


async def test_inventory_value_at_cost_and_price_with_expired_stock_apart(client, app, ph):
    drug = await medicine(client, ph.pharmacist, "gliclazide", unit_price="0.50")
    await receive(client, ph.pharmacist, drug["id"], 10, unit_cost="0.20")
    await receive(client, ph.pharmacist, drug["id"], 5, unit_cost="0.30")
    old = await receive(client, ph.pharmacist, drug["id"], 4, unit_cost="0.25")
    await expire_lot(app, old["id"])
    report = (
        await client.get("/api/v1/pharmacy/reports/inventory-value", headers=ph.pharmacist)
    ).json()
    [line] = report["items"]
    assert line["quantity"] == 15
    assert line["value_at_cost"] == "3.50"
    assert line["value_at_price"] == "7.50"
    assert line["expired_quantity"] == 4 and line["expired_value_at_cost"] == "1.00"
    assert report["total_at_cost"] == "3.50" and report["expired_at_cost"] == "1.00"


async def test_dashboard_figures_for_the_pharmacist(client, app, ph):
    from openward.core.actors import Actor
    from openward.db import session_scope
    from openward.pharmacy import stock as stock_service

    drug = await medicine(client, ph.pharmacist, "warfarin", reorder_level=500)
    await receive(client, ph.pharmacist, drug["id"], 10, unit_cost="1.00")
    await prescribe(client, ph.doctor, ph.patient_id, item(drug["id"], 5))
    async with session_scope(app.state.sessionmaker) as db:
        figures = await stock_service.dashboard_figures(db, Actor.system("test"))
    assert figures["queue_length"] == 1
    assert figures["low_stock"] == 1
    assert figures["inventory_value_at_cost"] == "10.00"
