"""The chart and encounter pages as a doctor, a nurse and a patient use them."""

from __future__ import annotations

import pytest

from tests.clinical.helpers import clinic, open_encounter
from tests.conftest import STRONG_PASSWORD
from tests.scheduling.factories import new_patient_user
from tests.web.pages import beside, csrf_of, sign_in, submit, text_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _signed_in_as(client, username):
    response = await sign_in(client, username, STRONG_PASSWORD)
    assert response.status_code in (302, 303), response.text[:300]


async def _usernames(client, headers):
    return (await client.get("/api/v1/auth/me", headers=headers)).json()["username"]


async def test_the_chart_shows_every_section(client, as_role):
    c = await clinic(client, as_role)
    pid = c.patient["id"]
    await client.post(
        f"/api/v1/patients/{pid}/allergies",
        headers=c.nurse,
        json={"substance": "Penicillin", "reaction": "Anaphylaxis", "severity": "life_threatening"},
    )
    await client.post(f"/api/v1/patients/{pid}/problems", headers=c.doctor, json={"code": "I10"})
    await client.post(
        f"/api/v1/patients/{pid}/vitals", headers=c.nurse, json={"systolic": 150, "diastolic": 92}
    )
    await client.post(
        f"/api/v1/patients/{pid}/vitals", headers=c.nurse, json={"systolic": 132, "diastolic": 84}
    )
    await client.post(
        f"/api/v1/patients/{pid}/care-plans",
        headers=c.doctor,
        json={"title": "Blood pressure control", "goals": "Below 135/85 at home"},
    )
    encounter = await open_encounter(client, c.doctor, pid)
    await _signed_in_as(client, c.doctor_row["username"])
    page = await client.get(f"/patients/{pid}/chart")
    assert page.status_code == 200, page.text[:500]
    html, text = page.text, text_of(page.text)
    assert 'data-testid="banner-allergies"' in html
    allergies = html[html.index('data-testid="banner-allergies"') :]
    allergies = allergies[: allergies.index("</div>")]
    assert "text-danger" in allergies and "text-bg-danger" in allergies  # red: severe
    assert "Penicillin (Anaphylaxis) — life-threatening" in text
    assert "Essential (primary) hypertension" in text
    assert 'data-testid="vitals-trend"' in html and "<polyline" in html
    assert "Blood pressure control" in text
    assert f'href="/encounters/{encounter["id"]}"' in html
    for button in ("New encounter", "Record vitals"):
        assert button in text
    assert 'data-kind="vitals" data-flag="abnormal"' in html  # the 150/92 set is highlighted
    assert "style=" not in html.split("<main", 1)[-1]  # the CSP forbids inline styles


async def test_a_nurse_records_vitals_from_the_chart(client, as_role, make_user):
    c = await clinic(client, as_role)
    nurse = await make_user("nurse")
    await _signed_in_as(client, nurse.username)
    url = f"/patients/{c.patient['id']}/chart"
    ok = await submit(
        client,
        url,
        f"{url}/vitals",
        systolic="118",
        diastolic="76",
        pulse="64",
        weight_kg="70",
        height_cm="175",
    )
    assert ok.status_code == 303
    page = await client.get(url)
    assert "118/76" in text_of(page.text) and "22.9" in page.text
    bad = await submit(client, url, f"{url}/vitals", pulse="5000")
    assert bad.status_code == 200
    assert beside(bad.text, "vitals-pulse")


async def test_the_encounter_form_searches_icd10_saves_and_signs(client, as_role):
    c = await clinic(client, as_role)
    await _signed_in_as(client, c.doctor_row["username"])
    new = f"/encounters/new?appointment_id={c.appointment['id']}"
    form = await client.get(new)
    assert form.status_code == 200
    for label in ("Chief complaint", "Assessment", "Plan", "Diagnosis code", "Save encounter"):
        assert label in form.text
    token = csrf_of(form.text)
    base = {
        "csrf_token": token,
        "patient_id": str(c.patient["id"]),
        "appointment_id": str(c.appointment["id"]),
        "chief_complaint": "High cholesterol",
    }
    searched = await client.post(
        "/encounters/new", data={**base, "icd_q": "hyperlipid", "action": "search"}
    )
    assert searched.status_code == 200 and 'value="pick:E78.5"' in searched.text
    missing = await client.post(
        "/encounters/new", data={**base, "chief_complaint": "", "action": "save"}
    )
    assert missing.status_code == 200 and beside(missing.text, "chief_complaint")
    unknown = await client.post(
        "/encounters/new", data={**base, "new_code": "ZZ9", "action": "save"}
    )
    assert unknown.status_code == 200 and "ZZ9" in beside(unknown.text, "new_code")
    saved = await client.post(
        "/encounters/new",
        data={
            **base,
            "assessment": "Raised LDL",
            "plan": "Statin",
            "new_code": "E78.5",
            "new_primary": "1",
            "action": "save",
        },
    )
    assert saved.status_code == 303, saved.text[:500]
    url = saved.headers["location"]
    draft = await client.get(url)
    assert "Sign encounter" in draft.text and "E78.5" in draft.text
    signed = await client.post(f"{url}/sign", data={"csrf_token": token})
    assert signed.status_code == 303
    view = text_of((await client.get(url)).text)
    assert "Signed" in view and "E78.5 Hyperlipidaemia, unspecified Primary" in view
    again = await client.get(new)  # the appointment already has its encounter
    assert again.status_code == 303 and again.headers["location"] == url


async def test_a_doctor_outside_the_care_relationship_breaks_the_glass(client, as_role, make_user):
    c = await clinic(client, as_role)
    doctor = await as_role("doctor")  # no doctor profile needed to read
    username = await _usernames(client, doctor)
    await _signed_in_as(client, username)
    url = f"/patients/{c.patient['id']}/chart"
    refused = await client.get(url)
    assert refused.status_code == 403 and "break the glass" in refused.text
    opened = await client.post(
        f"{url}/break-glass",
        data={"csrf_token": csrf_of(refused.text), "reason": "Collapsed in A&E"},
    )
    assert opened.status_code == 200 and 'data-testid="break-glass-banner"' in opened.text


async def test_a_patient_reads_their_own_chart_only(client, as_role):
    c = await clinic(client, as_role)
    _headers, me = await new_patient_user(client)
    await client.post(
        f"/api/v1/patients/{me['patient_id']}/allergies",
        headers=c.nurse,
        json={"substance": "Latex", "severity": "mild"},
    )
    await _signed_in_as(client, me["username"])
    mine = await client.get("/my/chart")
    assert mine.status_code == 200 and "Latex" in mine.text
    assert "Record vitals" not in mine.text and "Add allergy" not in mine.text
    other = await client.get(f"/patients/{c.patient['id']}/chart")
    assert other.status_code == 303 and other.headers["location"] == "/my/chart"


async def test_status_buttons_on_the_chart_change_and_return_or_flash_the_refusal(client, as_role):
    c = await clinic(client, as_role)
    pid = c.patient["id"]
    allergy = await client.post(
        f"/api/v1/patients/{pid}/allergies",
        headers=c.nurse,
        json={"substance": "Latex", "severity": "mild"},
    )
    problem = await client.post(
        f"/api/v1/patients/{pid}/problems", headers=c.doctor, json={"code": "I10"}
    )
    plan = await client.post(
        f"/api/v1/patients/{pid}/care-plans",
        headers=c.doctor,
        json={"title": "Blood pressure control", "goals": "Below 135/85 at home"},
    )
    await _signed_in_as(client, c.doctor_row["username"])
    chart = f"/patients/{pid}/chart"
    buttons = [
        (f"/allergies/{allergy.json()['id']}/status", "resolved", "#allergies", "#allergies"),
        (f"/problems/{problem.json()['id']}/status", "resolved", "#problems", ""),
        (f"/care-plans/{plan.json()['id']}/status", "on_hold", "#care-plans", ""),
    ]
    for action, status, anchor, anchor_on_refusal in buttons:
        refused = await submit(client, chart, action, status="bogus", patient_id=str(pid))
        assert refused.status_code == 303
        assert refused.headers["location"].endswith(f"{chart}{anchor_on_refusal}")
        done = await submit(client, chart, action, status=status, patient_id=str(pid))
        assert done.status_code == 303 and done.headers["location"].endswith(f"{chart}{anchor}")
    text = text_of((await client.get(chart)).text)
    assert "Care plan “Blood pressure control”: now on hold." in text
