"""The doctor's results inbox keeps critical results they have not acknowledged at the top,
however old, shows who acknowledged what and when, and acknowledges from the list."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from openward.db import session_scope, utcnow
from openward.lab.models import LabOrder
from openward.lab.starter_catalogue import seed_catalogue as seed_lab
from tests.lab.factories import LIPID_NORMAL, order, through, ward
from tests.lab.test_pages import browser
from tests.web.pages import csrf_of, text_of

INBOX = "/api/v1/results/inbox"


@pytest.fixture(autouse=True)
async def catalogue(app: Any) -> None:
    async with session_scope(app.state.sessionmaker) as db:
        await seed_lab(db)


async def _three_results(app, client, as_role):
    """An old critical result, a newer critical one and a normal one, all verified."""
    w = await ward(client, as_role, given_name="Amal", family_name="Haddad")
    old = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, old["id"], {**LIPID_NORMAL, "TRIG": 13.0})
    newer = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, newer["id"], {**LIPID_NORMAL, "CHOL": 16.0})
    normal = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, normal["id"], LIPID_NORMAL)
    async with session_scope(app.state.sessionmaker) as db:
        (await db.get(LabOrder, old["id"])).verified_at = utcnow() - timedelta(days=40)
    return w, old["id"], newer["id"], normal["id"]


async def test_unacknowledged_critical_results_stay_at_the_top_however_old(app, client, as_role):
    w, old, newer, normal = await _three_results(app, client, as_role)
    items = (await client.get(INBOX, headers=w.doctor)).json()["items"]
    assert [i["order_id"] for i in items] == [newer, old, normal]
    assert all(i["acknowledged_at"] is None for i in items)

    acknowledged = await client.post(f"/api/v1/lab/orders/{newer}/acknowledge", headers=w.doctor)
    assert acknowledged.status_code == 200
    items = (await client.get(INBOX, headers=w.doctor)).json()["items"]
    # The 40-day-old critical result still waits at the top; the acknowledged one follows.
    assert [i["order_id"] for i in items] == [old, newer, normal]
    assert items[1]["acknowledged_at"] == acknowledged.json()["acknowledged_at"]
    assert items[1]["acknowledged_by_name"] == acknowledged.json()["acknowledged_by_name"]

    waiting = await client.get(INBOX, params={"to_acknowledge": True}, headers=w.doctor)
    assert [i["order_id"] for i in waiting.json()["items"]] == [old, normal]


async def test_the_doctor_acknowledges_from_the_results_list_and_the_card_counts_down(
    app, client, as_role
):
    w, old, newer, normal = await _three_results(app, client, as_role)
    async with browser(app, w.doctor_row["username"]) as web:
        dashboard = await web.get("/dashboard")
        card = re.search(
            r'data-testid="work-to_acknowledge">\s*<div class="ow-stat-value">(\d+)', dashboard.text
        )
        assert card and card.group(1) == "3"
        page = await web.get("/results?show=to_acknowledge")
        assert page.status_code == 200
        assert page.text.count('data-testid="acknowledge"') == 3
        first_row = page.text.index(f'data-order="{newer}"')
        assert (
            first_row
            < page.text.index(f'data-order="{old}"')
            < page.text.index(f'data-order="{normal}"')
        )
        done = await web.post(
            f"/lab/orders/{newer}/acknowledge",
            data={"csrf_token": csrf_of(page.text), "return_to": "/results"},
        )
        assert done.status_code == 303 and done.headers["location"] == "/results"
        listed = await web.get("/results")
        words = text_of(listed.text)
        assert f"Lab order #{newer} acknowledged" in words
        row = listed.text[listed.text.index(f'data-order="{newer}"') :]
        row = row[: row.index("</tr>")]
        assert "Not yet" not in row and w.doctor_row["full_name"] in row
        remaining = await web.get("/results?show=to_acknowledge")
        assert f'data-order="{newer}"' not in remaining.text
        dashboard = await web.get("/dashboard")
        assert re.search(
            r'data-testid="work-to_acknowledge">\s*<div class="ow-stat-value">2<', dashboard.text
        )
        order_page = text_of((await web.get(f"/lab/orders/{newer}")).text)
        assert "Acknowledged by the doctor" in order_page
