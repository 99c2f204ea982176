"""The medicine type-ahead's JSON: `GET /api/v1/pharmacy/medicines?q=...&order=recent`
searches name, generic name and strength, puts the caller's own recent prescriptions first
(and nobody else's), pages, and is for the clinical and pharmacy staff only."""

from __future__ import annotations

import pytest

from tests.pharmacy.factories import item, medicine, pharmacy, prescribe
from tests.scheduling.factories import code, field_errors

URL = "/api/v1/pharmacy/medicines"


@pytest.fixture
async def ph(client, as_role):
    return await pharmacy(client, as_role)


async def _choices(client, headers, **params) -> dict:
    response = await client.get(URL, headers=headers, params={"order": "recent", **params})
    assert response.status_code == 200, response.text
    return response.json()


def _labels(body: dict) -> list[str]:
    return [m["label"] for m in body["items"]]


async def test_a_search_matches_the_name_the_generic_name_and_the_strength(client, ph):
    await medicine(client, ph.pharmacist, "amlodipine", name="Norvasc", strength="5 mg")
    await medicine(client, ph.pharmacist, "amlodipine", name="Norvasc", strength="10 mg")
    await medicine(client, ph.pharmacist, "atenolol", strength="50 mg")

    assert _labels(await _choices(client, ph.doctor, q="amlod")) == [
        "Norvasc 10 mg tablet",
        "Norvasc 5 mg tablet",
    ]
    assert _labels(await _choices(client, ph.doctor, q="norv 5mg")) == ["Norvasc 5 mg tablet"]
    assert _labels(await _choices(client, ph.doctor, q="NORVASC 10 mg")) == ["Norvasc 10 mg tablet"]
    assert (await _choices(client, ph.doctor, q="zzz-nothing"))["total"] == 0


async def test_the_doctors_recent_choices_come_first_most_recent_first(client, ph):
    names = ("Alfacalcidol", "Bisoprolol", "Candesartan", "Doxazosin", "Enalapril")
    made = {n: await medicine(client, ph.pharmacist, n.lower(), strength="1 mg") for n in names}
    await prescribe(client, ph.doctor, ph.patient_id, item(made["Doxazosin"]["id"]))
    await prescribe(client, ph.doctor, ph.patient_id, item(made["Bisoprolol"]["id"]))

    body = await _choices(client, ph.doctor)
    assert [m["name"] for m in body["items"]] == [
        "Bisoprolol",  # the latest choice
        "Doxazosin",
        "Alfacalcidol",  # then the catalogue, alphabetical
        "Candesartan",
        "Enalapril",
    ]
    recent = [m["name"] for m in body["items"] if m["last_prescribed_at"]]
    assert recent == ["Bisoprolol", "Doxazosin"]

    # Typing narrows the list; a recent choice that matches still leads.
    narrowed = await _choices(client, ph.doctor, q="o")
    assert [m["name"] for m in narrowed["items"]][:2] == ["Bisoprolol", "Doxazosin"]


async def test_another_doctors_choices_are_not_first_for_me(client, ph):
    for n in ("Amiloride", "Bumetanide", "Chlortalidone"):
        await medicine(client, ph.pharmacist, n.lower(), strength="1 mg")
    chosen = await medicine(client, ph.pharmacist, "zonisamide", strength="25 mg")
    await prescribe(client, ph.doctor, ph.patient_id, item(chosen["id"]))

    mine = await _choices(client, ph.doctor)
    assert mine["items"][0]["name"] == "Zonisamide"

    theirs = await _choices(client, ph.stranger)
    assert [m["name"] for m in theirs["items"]] == [
        "Amiloride",
        "Bumetanide",
        "Chlortalidone",
        "Zonisamide",
    ]
    assert all(m["last_prescribed_at"] is None for m in theirs["items"])


async def test_the_recent_order_pages_without_repeating_or_losing_a_medicine(client, ph):
    made = [
        await medicine(client, ph.pharmacist, f"pagemed{letter}", strength="1 mg")
        for letter in "abcdefg"
    ]
    await prescribe(client, ph.doctor, ph.patient_id, item(made[4]["id"]))
    whole = await _choices(client, ph.doctor, q="pagemed", limit=50)
    assert whole["total"] == 7 and whole["items"][0]["id"] == made[4]["id"]
    pages = []
    for offset in (0, 3, 6):
        page = await _choices(client, ph.doctor, q="pagemed", limit=3, offset=offset)
        assert page["total"] == 7
        pages.extend(m["id"] for m in page["items"])
    assert pages == [m["id"] for m in whole["items"]]


async def test_the_type_ahead_gives_the_route_a_form_implies(client, ph):
    await medicine(client, ph.pharmacist, "salbutamol", form="pressurised inhaler", unit="dose")
    await medicine(client, ph.pharmacist, "ceftriaxone", form="powder for injection", unit="vial")
    await medicine(client, ph.pharmacist, "metformin")
    routes = {
        m["generic_name"]: m["usual_route"] for m in (await _choices(client, ph.doctor))["items"]
    }
    assert routes == {"salbutamol": "inhaled", "ceftriaxone": None, "metformin": "oral"}


async def test_staff_who_prescribe_or_dispense_may_search_and_others_may_not(client, ph, as_role):
    await medicine(client, ph.pharmacist, "ramipril")
    for headers in (ph.doctor, ph.nurse, ph.pharmacist, ph.admin):
        response = await client.get(URL, headers=headers, params={"order": "recent", "q": "ram"})
        assert response.status_code == 200, response.text
        assert response.json()["total"] == 1
    for headers in (ph.patient, await as_role("receptionist")):
        response = await client.get(URL, headers=headers, params={"order": "recent", "q": "ram"})
        assert response.status_code == 403
    anonymous = await client.get(URL, params={"order": "recent", "q": "ram"})
    assert anonymous.status_code == 401


async def test_an_unknown_order_or_a_bad_page_is_refused_naming_the_field(client, ph):
    bad_order = await client.get(URL, headers=ph.doctor, params={"order": "popular"})
    assert bad_order.status_code == 422 and "order" in field_errors(bad_order)
    bad_limit = await client.get(URL, headers=ph.doctor, params={"order": "recent", "limit": 0})
    assert bad_limit.status_code == 422 and "limit" in field_errors(bad_limit)
    assert code(bad_limit) == "validation_error"
