"""A patient first registered at the front desk opens an online account for that same
record with the MRN, the date of birth and a one-time activation code from the desk; a
printed MRN and a guessed birth date are never enough."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import time_machine

from tests.conftest import STRONG_PASSWORD, bearer
from tests.pharmacy.factories import audit_rows
from tests.web.pages import sign_in, submit, text_of


def _front_desk_patient(**overrides):
    body = {
        "given_name": "Chloé",
        "family_name": "Lefèvre",
        "date_of_birth": "1991-05-06",
        "sex": "female",
        "phone": "+33 6 12 34 56 78",
    }
    body.update(overrides)
    return body


def _account(mrn: str, code: str | None, **overrides):
    body = {
        "username": "chloe",
        "password": STRONG_PASSWORD,
        "full_name": "Chloé Lefèvre",
        "date_of_birth": "1991-05-06",
        "sex": "female",
        "mrn": mrn,
        "activation_code": code,
    }
    body.update(overrides)
    return body


async def _record(client, desk, **overrides) -> dict:
    created = await client.post(
        "/api/v1/patients", json=_front_desk_patient(**overrides), headers=desk
    )
    assert created.status_code == 201, created.text
    return created.json()


async def _register_on_the_page(client, mrn: str, code: str):
    return await submit(
        client,
        "/register",
        username="chloe",
        password=STRONG_PASSWORD,
        full_name="Chloé Lefèvre",
        date_of_birth="1991-05-06",
        sex="female",
        email="",
        phone="",
        mrn=mrn,
        activation_code=code,
    )


async def _code(client, desk, patient_id: int) -> str:
    issued = await client.post(f"/api/v1/patients/{patient_id}/activation-code", headers=desk)
    assert issued.status_code == 201, issued.text
    return issued.json()["code"]


async def test_the_desk_code_links_the_account_to_the_front_desk_record(client, as_role):
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    code = await _code(client, desk, record["id"])
    dashed = f"{record['mrn'][:3]}-{record['mrn'][3:6]}-{record['mrn'][6:9]}-{record['mrn'][9]}"

    # Typed from the slip in lower case, without the dashes: still the same code.
    created = await client.post(
        "/api/v1/auth/register", json=_account(dashed, code.replace("-", "").lower())
    )

    assert created.status_code == 201, created.text
    assert created.json()["patient_id"] == record["id"]
    mine = await client.get("/api/v1/me/patient", headers=await bearer(client, "chloe"))
    assert mine.json()["id"] == record["id"]
    listed = await client.get("/api/v1/patients", params={"q": "lefevre"}, headers=desk)
    assert listed.json()["total"] == 1  # no second record


async def test_the_mrn_and_birth_date_alone_no_longer_take_over_a_record(client, as_role):
    """The penetration test's script: the printed MRN and 31 consecutive birth dates."""
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    await _code(client, desk, record["id"])  # a code exists, but the attacker does not have it
    answers = []
    for day in range(31):
        born = date(1991, 5, 1) + timedelta(days=day)
        attempt = _account(
            record["mrn"], "AAAA-BBBB-CCCC", username=f"thief{day}", date_of_birth=born.isoformat()
        )
        answers.append((await client.post("/api/v1/auth/register", json=attempt)).status_code)

    assert 201 not in answers
    assert set(answers) <= {422, 429}
    assert answers.count(429) >= 25, "after a few failures the record is throttled"
    admin = await as_role("admin")
    failures = [
        row
        for row in await audit_rows(client, admin, "patient.link_login")
        if row["outcome"] == "failure"
    ]
    assert len(failures) == 31, "every failed attempt leaves an audit row"
    assert all(row["patient_id"] == record["id"] for row in failures)
    thief = await client.post(
        "/api/v1/auth/login", json={"username": "thief9", "password": STRONG_PASSWORD}
    )
    assert thief.status_code == 401  # no login was created, none was linked


async def test_an_mrn_without_a_code_is_refused_naming_the_code(client, as_role):
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    refused = await client.post("/api/v1/auth/register", json=_account(record["mrn"], None))
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["activation_code"]


async def test_a_wrong_birth_date_or_an_unknown_mrn_links_nothing_and_creates_no_login(
    client, as_role
):
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    code = await _code(client, desk, record["id"])
    for attempt in (
        _account(record["mrn"], code, date_of_birth="1991-05-07"),
        _account("1234567897", code),
    ):
        refused = await client.post("/api/v1/auth/register", json=attempt)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "record_not_matched"
        assert refused.json()["errors"][0]["field"] == "activation_code"
    signed_in = await client.post(
        "/api/v1/auth/login", json={"username": "chloe", "password": STRONG_PASSWORD}
    )
    assert signed_in.status_code == 401  # the refused registrations left no account behind
    # The right details still work: two slips of the finger do not burn the code.
    assert (
        await client.post("/api/v1/auth/register", json=_account(record["mrn"], code))
    ).status_code == 201


async def test_a_code_works_once(client, as_role):
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    code = await _code(client, desk, record["id"])
    first = await client.post("/api/v1/auth/register", json=_account(record["mrn"], code))
    assert first.status_code == 201
    second = await client.post(
        "/api/v1/auth/register",
        json=_account(record["mrn"], code, username="impostor", full_name="Someone Else"),
    )
    assert second.status_code == 422 and second.json()["code"] == "record_not_matched"
    again = await client.post(f"/api/v1/patients/{record['id']}/activation-code", headers=desk)
    assert again.status_code == 409 and again.json()["code"] == "already_linked"


async def test_a_code_expires_and_a_new_one_replaces_the_old(client, as_role):
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    old = await _code(client, desk, record["id"])
    new = await _code(client, desk, record["id"])
    replaced = await client.post("/api/v1/auth/register", json=_account(record["mrn"], old))
    assert replaced.status_code == 422
    with time_machine.travel(timedelta(hours=73)):  # the default validity is 72 hours
        late = await client.post("/api/v1/auth/register", json=_account(record["mrn"], new))
    assert late.status_code == 422 and late.json()["code"] == "record_not_matched"


async def test_wrong_codes_burn_the_code(client, as_role):
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    code = await _code(client, desk, record["id"])
    for n in range(5):
        wrong = _account(record["mrn"], f"ZZZZ-ZZZZ-ZZZ{n}", username=f"guess{n}")
        assert (await client.post("/api/v1/auth/register", json=wrong)).status_code == 422
    right = await client.post("/api/v1/auth/register", json=_account(record["mrn"], code))
    assert right.status_code in (422, 429)
    # The desk issues a new one and the patient gets in (the record throttle has passed).
    fresh = await _code(client, desk, record["id"])
    with time_machine.travel(timedelta(minutes=16)):
        done = await client.post("/api/v1/auth/register", json=_account(record["mrn"], fresh))
    assert done.status_code == 201, done.text


async def test_one_address_guessing_across_many_records_is_throttled(app, as_role, client):
    desk = await as_role("receptionist")
    records = [
        # Twelve namesakes one letter apart: registered deliberately past the duplicate check.
        await _record(
            client,
            desk,
            given_name=f"Zoë{n}",
            phone=f"+33 6 00 00 00 {n:02d}",
            allow_duplicate=True,
        )
        for n in range(12)
    ]
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as thief:
        codes = []
        for n, record in enumerate(records):
            attempt = _account(record["mrn"], "AAAA-AAAA-AAAA", username=f"thief{n}")
            codes.append((await thief.post("/api/v1/auth/register", json=attempt)).status_code)
    assert codes[:10] == [422] * 10
    assert codes[10:] == [429, 429]
    # Another address is not affected.
    record = records[0]
    code = await _code(client, desk, record["id"])
    ok = await client.post(
        "/api/v1/auth/register",
        json=_account(record["mrn"], code, full_name="Zoë0 Lefèvre"),
    )
    assert ok.status_code == 201, ok.text


async def test_the_front_desk_prints_a_code_and_the_registration_page_uses_it(
    client, make_user, as_role
):
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    await make_user("receptionist", username="rita")
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as browser:
        await sign_in(browser, "rita")
        page = await browser.get(f"/patients/{record['id']}")
        assert "Issue activation code" in text_of(page.text)
        slip = await submit(
            browser, f"/patients/{record['id']}", f"/patients/{record['id']}/activation-code"
        )
        assert slip.status_code == 200
        words = text_of(slip.text)
        assert "Activation code" in words and "/register" in words
        code = slip.text.split('data-testid="code">', 1)[1].split("<", 1)[0]
    done = await _register_on_the_page(client, record["mrn"], code)
    assert done.status_code == 201, text_of(done.text)[:400]
    assert f"{record['mrn'][:3]}-{record['mrn'][3:6]}" in text_of(done.text)


async def test_the_registration_page_says_what_is_wrong_without_a_code(client, as_role):
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    refused = await _register_on_the_page(client, record["mrn"], "")
    assert refused.status_code == 200  # the form again, with the message
    assert "activation code" in text_of(refused.text).lower()


async def test_no_code_is_issued_for_a_deactivated_record(client, as_role):
    desk = await as_role("receptionist")
    record = await _record(client, desk)
    await client.post(
        f"/api/v1/patients/{record['id']}/deactivate",
        json={"reason": "registered twice"},
        headers=desk,
    )
    refused = await client.post(f"/api/v1/patients/{record['id']}/activation-code", headers=desk)
    assert refused.status_code == 409 and refused.json()["code"] == "patient_inactive"
