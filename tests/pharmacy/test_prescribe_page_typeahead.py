"""The prescribing page chooses medicines by search, not from a <select> of the whole
catalogue: with JavaScript the type-ahead fills each row's medicine; without it, "Find"
lists the matches (the doctor's recent choices first) to pick from. Placeholders read as
hints, and the required fields are marked."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.pharmacy.factories import item, medicine, pharmacy, prescribe
from tests.web.pages import csrf_of, sign_in, text_of

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


def _row(index: int, **fields: str) -> dict[str, str]:
    values = {
        "medicine_id": "",
        "medicine_q": "",
        "dose": "1 tablet",
        "route": "oral",
        "frequency": "once daily",
        "duration_days": "7",
        "quantity": "7",
        "instructions": "",
    }
    values.update(fields)
    return {f"{name}_{index}": value for name, value in values.items()}


async def _form(doctor: httpx.AsyncClient, patient_id: int) -> tuple[str, dict[str, str]]:
    page = await doctor.get(f"/prescriptions/new?patient_id={patient_id}")
    assert page.status_code == 200, page.text[:300]
    base = {
        "csrf_token": csrf_of(page.text),
        "patient_id": str(patient_id),
        "row_count": "3",
        "action": "prescribe",
    }
    return page.text, base


async def _prescriptions(client, headers, patient_id) -> list[dict]:
    response = await client.get(
        "/api/v1/prescriptions", headers=headers, params={"patient_id": patient_id}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_the_page_has_no_select_of_medicines_but_a_search_box_per_row(client, app, ph):
    for n in ("Amlodipine", "Bisoprolol", "Captopril"):
        await medicine(client, ph.pharmacist, n.lower())
    doctor = await _browser(app, ph.doctor_row["username"])
    html, _ = await _form(doctor, ph.patient_id)
    form = html[html.index('data-testid="prescribe-form"') :]
    assert "<select" not in form
    assert "Amlodipine" not in html and "Captopril" not in html  # no catalogue in the page
    assert form.count("data-medicine-search") == 3
    assert form.count('role="combobox"') == 3
    assert "/static/js/medicine-picker.js" in html
    script = await doctor.get("/static/js/medicine-picker.js")
    assert script.status_code == 200 and "order=recent" in script.text


async def test_a_medicine_chosen_by_the_type_ahead_is_prescribed(client, app, ph):
    amlodipine = await medicine(client, ph.pharmacist, "amlodipine", strength="5 mg")
    doctor = await _browser(app, ph.doctor_row["username"])
    _, base = await _form(doctor, ph.patient_id)
    done = await doctor.post(
        "/prescriptions/new",
        data={
            **base,
            **_row(0, medicine_id=str(amlodipine["id"]), medicine_q="Amlodipine 5 mg tablet"),
        },
    )
    assert done.status_code == 303, text_of(done.text)[:500]
    [written] = await _prescriptions(client, ph.doctor, ph.patient_id)
    assert [i["medicine_id"] for i in written["items"]] == [amlodipine["id"]]


async def test_without_javascript_find_lists_matches_with_recent_first_and_a_pick_prescribes(
    client, app, ph
):
    five = await medicine(client, ph.pharmacist, "amlodipine", strength="5 mg")
    ten = await medicine(client, ph.pharmacist, "amlodipine", strength="10 mg")
    await medicine(client, ph.pharmacist, "atenolol", strength="50 mg")
    await prescribe(client, ph.doctor, ph.patient_id, item(ten["id"]))
    doctor = await _browser(app, ph.doctor_row["username"])
    _, base = await _form(doctor, ph.patient_id)

    found = await doctor.post(
        "/prescriptions/new",
        data={**base, "action": "find", **_row(0, medicine_q="amlo", route="")},
    )
    assert found.status_code == 200
    matches = found.text[found.text.index('data-testid="medicine-matches"') :]
    picks = re.findall(r'name="medicine_pick_0" value="(\d+)"', matches)
    assert picks == [str(ten["id"]), str(five["id"])]  # my recent choice first
    words = text_of(matches)
    assert "Amlodipine 10 mg tablet amlodipine recent" in words
    assert "Atenolol" not in words

    picked = await doctor.post(
        "/prescriptions/new",
        data={
            **base,
            **_row(0, medicine_q="amlo", route=""),
            "medicine_pick_0": str(five["id"]),
            "action": "find",
        },
    )
    assert picked.status_code == 200
    assert 'value="Amlodipine 5 mg tablet"' in picked.text
    assert f'name="medicine_id_0" value="{five["id"]}"' in picked.text
    assert re.search(r'name="route_0" value="oral"', picked.text)  # the tablet's usual route

    done = await doctor.post(
        "/prescriptions/new",
        data={**base, **_row(0, medicine_q="amlo"), "medicine_pick_0": str(five["id"])},
    )
    assert done.status_code == 303, text_of(done.text)[:500]
    latest = (await _prescriptions(client, ph.doctor, ph.patient_id))[0]
    assert [i["medicine_id"] for i in latest["items"]] == [five["id"]]


async def test_words_typed_but_no_medicine_chosen_prescribe_nothing_and_say_so(client, app, ph):
    await medicine(client, ph.pharmacist, "amlodipine", strength="5 mg")
    await medicine(client, ph.pharmacist, "amlodipine", strength="10 mg")
    doctor = await _browser(app, ph.doctor_row["username"])
    _, base = await _form(doctor, ph.patient_id)

    unchosen = await doctor.post("/prescriptions/new", data={**base, **_row(0, medicine_q="amlo")})
    assert unchosen.status_code == 200
    assert "Choose one of the medicines found for “amlo”." in text_of(unchosen.text)
    assert 'data-testid="medicine-matches"' in unchosen.text

    unknown = await doctor.post(
        "/prescriptions/new", data={**base, **_row(0, medicine_q="zzzmedicine")}
    )
    assert unknown.status_code == 200
    assert "No medicine in the catalogue matches “zzzmedicine”." in text_of(unknown.text)
    assert await _prescriptions(client, ph.doctor, ph.patient_id) == []


async def test_a_name_changed_after_choosing_is_searched_again_not_prescribed(client, app, ph):
    amlodipine = await medicine(client, ph.pharmacist, "amlodipine", strength="5 mg")
    await medicine(client, ph.pharmacist, "zopiclone", strength="7.5 mg")
    doctor = await _browser(app, ph.doctor_row["username"])
    _, base = await _form(doctor, ph.patient_id)
    changed = await doctor.post(
        "/prescriptions/new",
        data={**base, **_row(0, medicine_id=str(amlodipine["id"]), medicine_q="zopi")},
    )
    assert changed.status_code == 200
    assert "Choose one of the medicines found for “zopi”." in text_of(changed.text)
    assert "Zopiclone 7.5 mg tablet" in text_of(changed.text)
    assert await _prescriptions(client, ph.doctor, ph.patient_id) == []


async def test_placeholders_read_as_hints_and_required_fields_are_marked(client, app, ph):
    doctor = await _browser(app, ph.doctor_row["username"])
    html, _ = await _form(doctor, ph.patient_id)
    form = html[html.index('data-testid="prescribe-form"') :]
    placeholders = re.findall(r'placeholder="([^"]*)"', form)
    assert 'placeholder="oral"' not in html
    assert "e.g. oral" in placeholders
    for hint in placeholders:
        assert hint.startswith(("e.g. ", "Type ")), hint
    for label in ("Medicine", "Dose", "Route", "Frequency", "Quantity"):
        assert re.search(rf'>{label} <span class="text-danger" aria-hidden="true">\*</span>', html)
    assert not re.search(r'>Days <span class="text-danger"', html)  # optional


async def test_odd_search_text_or_picks_get_a_message_never_an_error_page(client, app, ph):
    doctor = await _browser(app, ph.doctor_row["username"])
    _, base = await _form(doctor, ph.patient_id)
    for typed, pick in (("x" * 5000, ""), ("%_\\", ""), ("amlo", "²"), ("amlo", "99999999")):
        answer = await doctor.post(
            "/prescriptions/new",
            data={**base, **_row(0, medicine_q=typed), "medicine_pick_0": pick},
        )
        assert answer.status_code == 200, (typed[:10], pick, answer.status_code)
        assert "No medicine in the catalogue matches" in text_of(answer.text)
    assert await _prescriptions(client, ph.doctor, ph.patient_id) == []
