"""Unusual but valid-looking input gets a clear refusal, never a 500: digits that are not
0-9, year 9999, odd quantities, tokens naming no user, and clinical dates that cannot be
true (issue 10, item 9). Each test here failed with a 500, or was accepted, before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from openward.core import security
from openward.core.params import parse_id, parse_int
from tests.clinical.helpers import clinic
from tests.conftest import bearer, login
from tests.identity.test_mfa_api import _enable_totp, _mfa_token
from tests.pharmacy.factories import item, medicine, pharmacy, prescribe, receive
from tests.scheduling.factories import code, field_errors, new_doctor, new_patient
from tests.web.pages import csrf_of, sign_in, text_of

# The database matters to none of these: SQLite only (the page fuzz and API fuzz cover more).
sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# Each passes str.isdigit(); int() refuses the first and reads the others as 3 and 1.
NOT_ASCII_DIGITS = ["²", "٣", "１"]


async def _browser(app, username: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.21", 52100))
    browser = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    signed = await sign_in(browser, username)
    assert signed.status_code == 303, signed.text[:300]
    return browser


async def _username(client, headers) -> str:
    return (await client.get("/api/v1/auth/me", headers=headers)).json()["username"]


# ---------------------------------------------------------------- ids


def test_ids_are_ascii_digits_only():
    assert [parse_id(text) for text in NOT_ASCII_DIGITS] == [None, None, None]
    assert parse_id("42") == 42 and parse_id("0") is None and parse_id("9" * 5000) is None
    assert parse_int("-1", -5, 5) == -1 and parse_int("1e309", 0, 9) is None


@sqlite
async def test_page_filters_with_superscript_ids_answer_a_page_not_a_500(
    client, app, make_user, as_role
):
    """/appointments?doctor_id=² and the audit trail's actor filter crashed int()."""
    await make_user("admin", username="chief")
    browser = await _browser(app, "chief")
    for value in NOT_ASCII_DIGITS:
        listed = await browser.get("/appointments", params={"doctor_id": value})
        assert listed.status_code == 200, (value, listed.status_code)
        audit = await browser.get("/admin/audit", params={"actor": value, "patient_id": value})
        assert audit.status_code == 200, (value, audit.status_code)
        assert "Audit" in text_of(audit.text)
        missing = await browser.get(f"/patients/{value}")
        assert missing.status_code in (404, 422)


# ---------------------------------------------------------------- MFA codes


@sqlite
async def test_a_code_of_arabic_digits_is_a_wrong_code_and_counts_towards_lockout(
    client, make_user
):
    await make_user("doctor", username="dmensah")
    await _enable_totp(client, await bearer(client, "dmensah"))
    token = await _mfa_token(client, "dmensah")
    for typed in ["٣٣٣٣٣٣", "²²²²²²", "１２３４５６", "٣٣٣٣٣٣", "²²²²²²"]:
        wrong = await client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": typed})
        assert wrong.status_code == 401, (typed, wrong.text[:200])
        assert wrong.json()["code"] == "mfa_invalid"
    locked = await login(client, "dmensah")  # five failures: the lockout counted them all
    assert locked.status_code == 429 and locked.json()["code"] == "account_locked"


# ---------------------------------------------------------------- tokens


@sqlite
@pytest.mark.parametrize("subject", ["²", "abc", "99999999999999999999"])
async def test_a_signed_token_whose_subject_is_no_user_id_is_an_invalid_token(client, app, subject):
    secret = app.state.settings.resolved_secret_key()
    for purpose, method, path, body in [
        ("access", "GET", "/api/v1/auth/me", None),
        ("mfa", "POST", "/api/v1/auth/mfa", {"code": "123456"}),
    ]:
        token, _ = security.encode_jwt(
            secret, subject, purpose, timedelta(minutes=5), fam="x", setup=False
        )
        if purpose == "access":
            response = await client.request(
                method, path, headers={"Authorization": f"Bearer {token}"}
            )
        else:
            response = await client.request(method, path, json={**body, "mfa_token": token})
        assert response.status_code == 401, (purpose, subject, response.text[:200])
        assert response.json()["code"] == "invalid_token"


# ---------------------------------------------------------------- the calendar's ends


@sqlite
async def test_year_9999_is_refused_by_booking_and_lists_and_ignored_by_page_filters(
    client, app, as_role, make_user
):
    admin = await as_role("admin")
    doctor = await new_doctor(client, admin)
    patient = await new_patient(client, admin)
    for start in ["9999-12-31T23:30:00", "9999-12-31T23:30:00+00:00", "0001-01-01T00:00:00"]:
        booked = await client.post(
            "/api/v1/appointments",
            headers=admin,
            json={"patient_id": patient["id"], "doctor_id": doctor["id"], "start": start},
        )
        assert booked.status_code == 422, (start, booked.text[:300])
        assert "start" in field_errors(booked)
    listed = await client.get("/api/v1/appointments", headers=admin, params={"to": "9999-12-31"})
    assert listed.status_code == 422 and "to" in field_errors(listed)
    slots = await client.get(
        f"/api/v1/doctors/{doctor['id']}/slots", headers=admin, params={"date": "9999-12-31"}
    )
    assert slots.status_code == 422
    audit = await client.get("/api/v1/audit", headers=admin, params={"to": "9999-12-31T23:59"})
    assert audit.status_code == 422

    await make_user("admin", username="chief")
    browser = await _browser(app, "chief")
    page = await browser.get("/appointments", params={"date": "9999-12-31"})
    assert page.status_code == 200
    audit_page = await browser.get("/admin/audit", params={"since": "0001-01-01"})
    assert audit_page.status_code == 200
    form = await browser.get("/appointments/new")
    booked = await browser.post(
        "/appointments/new",
        data={
            "csrf_token": csrf_of(form.text),
            "patient_id": str(patient["id"]),
            "choice": f"doctor:{doctor['id']}",
            "date": "9999-12-31",
            "time": "23:30",
            "reason": "",
        },
    )
    assert booked.status_code == 200 and "Choose a date." in text_of(booked.text)


# ---------------------------------------------------------------- pharmacy forms


@sqlite
async def test_dispense_quantities_00_huge_or_superscript_get_a_form_message(client, app, as_role):
    ph = await pharmacy(client, as_role)
    drug = await medicine(client, ph.pharmacist, "amlodipine", name="Amlodipine")
    await receive(client, ph.pharmacist, drug["id"], 40, batch="AML-7")
    created = await prescribe(client, ph.doctor, ph.patient_id, item(drug["id"], 28))
    item_id = created["items"][0]["id"]
    browser = await _browser(app, await _username(client, ph.pharmacist))
    url = f"/pharmacy/prescriptions/{created['id']}"
    page = await browser.get(url)
    for typed, message in [
        ("00", "Enter a quantity to dispense."),
        ("9" * 30, "Enter a whole number from 1 to 100,000."),
        ("²", "Enter a whole number from 1 to 100,000."),
        ("-3", "Enter a whole number from 1 to 100,000."),
    ]:
        answer = await browser.post(
            f"{url}/dispense", data={"csrf_token": csrf_of(page.text), f"qty_{item_id}": typed}
        )
        assert answer.status_code == 200, (typed, answer.status_code)  # the form, with the message
        assert message in text_of(answer.text), typed
    api = await client.post(
        f"/api/v1/prescriptions/{created['id']}/dispense",
        headers=ph.pharmacist,
        json={"items": [{"item_id": item_id, "quantity": 10**12}]},
    )
    assert api.status_code == 422


@sqlite
async def test_prescription_form_with_row_count_abc_or_odd_numbers_still_renders(
    client, app, as_role
):
    ph = await pharmacy(client, as_role)
    browser = await _browser(app, await _username(client, ph.doctor))
    form = await browser.get(f"/prescriptions/new?patient_id={ph.patient_id}")
    for row_count in ["abc", "²", "1e309", "9" * 5000]:
        added = await browser.post(
            "/prescriptions/new",
            data={
                "csrf_token": csrf_of(form.text),
                "patient_id": str(ph.patient_id),
                "row_count": row_count,
                "action": "add_row",
            },
        )
        assert added.status_code == 200, (row_count[:10], added.status_code)
        assert added.text.count('data-testid="item-row"') == 4
    bad_quantity = await browser.post(
        "/prescriptions/new",
        data={
            "csrf_token": csrf_of(form.text),
            "patient_id": str(ph.patient_id),
            "row_count": "3",
            "action": "prescribe",
            "medicine_id_0": "²",
            "dose_0": "1 tablet",
            "route_0": "oral",
            "frequency_0": "daily",
            "duration_days_0": "٣",
            "quantity_0": "-²",
        },
    )
    assert bad_quantity.status_code == 200
    assert "Enter a whole number of days." in text_of(bad_quantity.text)


# ---------------------------------------------------------------- clinical dates


@sqlite
async def test_clinical_dates_before_birth_or_in_the_future_are_refused_naming_the_field(
    client, as_role
):
    c = await clinic(client, as_role)
    born = date.fromisoformat(c.patient["date_of_birth"])
    before_birth = born - timedelta(days=1)
    next_month = datetime.now(UTC).date() + timedelta(days=30)
    base = f"/api/v1/patients/{c.patient['id']}"
    cases = [
        (
            "vitals",
            c.nurse,
            {"pulse": 70, "taken_at": f"{before_birth}T10:00:00+00:00"},
            "taken_at",
        ),
        (
            "problems",
            c.doctor,
            {"code": "I10", "onset_date": before_birth.isoformat()},
            "onset_date",
        ),
        ("problems", c.doctor, {"code": "I10", "onset_date": next_month.isoformat()}, "onset_date"),
        (
            "care-plans",
            c.doctor,
            {"title": "Diet", "goals": "Lower LDL", "review_date": before_birth.isoformat()},
            "review_date",
        ),
        ("vitals", c.nurse, {"pulse": 70, "taken_at": "9999-12-31T10:00:00+00:00"}, "taken_at"),
    ]
    for path, headers, body, field in cases:
        refused = await client.post(f"{base}/{path}", headers=headers, json=body)
        assert refused.status_code == 422, (path, body, refused.text[:300])
        assert field in field_errors(refused), (path, refused.text[:300])
    planned = await client.post(
        f"{base}/care-plans",
        headers=c.doctor,
        json={"title": "Diet", "goals": "Lower LDL", "review_date": next_month.isoformat()},
    )
    assert planned.status_code == 201, planned.text  # a review is planned: the future is fine
    onset = await client.post(
        f"{base}/problems",
        headers=c.doctor,
        json={"code": "I10", "onset_date": before_birth.isoformat()},
    )
    assert code(onset) == "date_out_of_range"
    problem = await client.post(
        f"{base}/problems", headers=c.doctor, json={"code": "I10", "onset_date": str(born)}
    )
    assert problem.status_code == 201
    resolved = await client.patch(
        f"/api/v1/problems/{problem.json()['id']}",
        headers=c.doctor,
        json={"status": "resolved", "resolved_date": next_month.isoformat()},
    )
    assert resolved.status_code == 422 and "resolved_date" in field_errors(resolved)
