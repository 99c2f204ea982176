"""Every work card on every role's dashboard links to the list behind it, and that list
opens for that role and counts what the card counts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from openward.config import ROLES
from openward.db import session_scope
from openward.lab.starter_catalogue import seed_catalogue as seed_lab
from openward.radiology.demo import seed_catalogue as seed_radiology
from tests.conftest import bearer
from tests.lab.factories import LIPID_NORMAL, order, through, ward
from tests.lab.test_pages import browser
from tests.scheduling.factories import new_patient_user

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(autouse=True)
async def catalogues(app: Any) -> None:
    async with session_scope(app.state.sessionmaker) as db:
        await seed_lab(db)
        await seed_radiology(db)


async def _a_working_day(client, as_role, make_user) -> dict[str, str]:
    """Something behind the cards: a critical lab value verified and not yet acknowledged,
    an encounter to sign, out-of-range vital signs; returns a username for every role."""
    w = await ward(client, as_role)
    critical = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, critical["id"], {**LIPID_NORMAL, "TRIG": 14.0})
    draft = await client.post(
        "/api/v1/encounters",
        headers=w.doctor,
        json={"patient_id": w.patient["id"], "chief_complaint": "Chest tightness on exertion"},
    )
    assert draft.status_code == 201, draft.text
    nurse = await make_user("nurse")
    vitals = await client.post(
        f"/api/v1/patients/{w.patient['id']}/vitals",
        headers=await bearer(client, nurse.username),
        json={"systolic": 196, "diastolic": 112, "pulse": 118},
    )
    assert vitals.status_code == 201, vitals.text
    _headers, patient = await new_patient_user(client)
    usernames = {"doctor": w.doctor_row["username"], "nurse": nurse.username}
    usernames["patient"] = patient["username"]
    for role in ROLES:
        if role not in usernames:
            usernames[role] = (await make_user(role)).username
    return usernames


async def test_every_card_on_every_dashboard_opens_its_list_for_that_role(
    app, client, as_role, make_user
):
    usernames = await _a_working_day(client, as_role, make_user)
    walked = 0
    for role, username in usernames.items():
        dashboard = await client.get("/api/v1/dashboard", headers=await bearer(client, username))
        assert dashboard.status_code == 200, (role, dashboard.text)
        cards = dashboard.json()["lists"]["work"]
        async with browser(app, username) as web:
            page = await web.get("/dashboard")
            assert page.status_code == 200, role
            for card in cards:
                assert card["href"], f"{role}: the card {card['label']!r} leads nowhere"
                link = re.search(
                    rf'<a [^>]*href="{re.escape(card["href"]).replace("&", "&(amp;)?")}"[^>]*>'
                    rf'\s*<div [^>]*data-testid="work-{card["key"]}"',
                    page.text,
                )
                assert link, f"{role}: the card {card['label']!r} is not a link on the page"
                opened = await web.get(card["href"])
                assert opened.status_code == 200, (role, card["label"], card["href"])
                walked += 1
    assert walked >= 20  # doctor, nurse, pharmacist, lab, radiology and admin cards


async def test_the_lists_behind_the_cards_count_what_the_cards_count(
    app, client, as_role, make_user
):
    usernames = await _a_working_day(client, as_role, make_user)
    expected = {
        "doctor": {
            "to_acknowledge": 1,
            "drafts": 1,
        },
        "nurse": {"flagged_vitals": 1, "vitals_today": 1},
        "lab_technician": {"critical_today": 1},
    }
    for role, keys in expected.items():
        username = usernames[role]
        dashboard = await client.get("/api/v1/dashboard", headers=await bearer(client, username))
        cards = {c["key"]: c for c in dashboard.json()["lists"]["work"]}
        async with browser(app, username) as web:
            for key, count in keys.items():
                assert cards[key]["value"] == count, (role, key)
                listed = await web.get(cards[key]["href"])
                rows = re.findall(r'data-kind="|<li class="list-group-item d-flex', listed.text)
                assert len(rows) == count, (role, key, cards[key]["href"])
