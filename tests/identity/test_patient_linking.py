"""A patient first registered at the front desk opens an online account for that same
record with the MRN and date of birth they were given, never a second record."""

from __future__ import annotations

from tests.conftest import STRONG_PASSWORD, bearer
from tests.web.pages import submit, text_of


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


def _account(mrn: str, **overrides):
    body = {
        "username": "chloe",
        "password": STRONG_PASSWORD,
        "full_name": "Chloé Lefèvre",
        "date_of_birth": "1991-05-06",
        "sex": "female",
        "mrn": mrn,
    }
    body.update(overrides)
    return body


async def test_an_account_opened_with_the_mrn_shows_the_front_desk_record(client, as_role):
    desk = await as_role("receptionist")
    record = (
        await client.post("/api/v1/patients", json=_front_desk_patient(), headers=desk)
    ).json()
    dashed = f"{record['mrn'][:3]}-{record['mrn'][3:6]}-{record['mrn'][6:9]}-{record['mrn'][9]}"

    created = await client.post("/api/v1/auth/register", json=_account(dashed))

    assert created.status_code == 201, created.text
    assert created.json()["patient_id"] == record["id"]
    assert created.json()["mrn"] == record["mrn"]
    mine = await client.get("/api/v1/me/patient", headers=await bearer(client, "chloe"))
    assert mine.json()["id"] == record["id"]
    assert mine.json()["phone"] == "+33 6 12 34 56 78"
    listed = await client.get("/api/v1/patients", params={"q": "lefevre"}, headers=desk)
    assert listed.json()["total"] == 1  # no second record


async def test_a_wrong_birth_date_or_an_unknown_mrn_links_nothing_and_creates_no_login(
    client, as_role
):
    desk = await as_role("receptionist")
    record = (
        await client.post("/api/v1/patients", json=_front_desk_patient(), headers=desk)
    ).json()
    for attempt in (
        _account(record["mrn"], date_of_birth="1991-05-07"),
        _account("1234567897"),
    ):
        refused = await client.post("/api/v1/auth/register", json=attempt)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "record_not_matched"
        assert refused.json()["errors"][0]["field"] == "mrn"
    signed_in = await client.post(
        "/api/v1/auth/login", json={"username": "chloe", "password": STRONG_PASSWORD}
    )
    assert signed_in.status_code == 401  # the refused registrations left no account behind


async def test_a_record_already_linked_cannot_be_claimed_again(client, as_role):
    desk = await as_role("receptionist")
    record = (
        await client.post("/api/v1/patients", json=_front_desk_patient(), headers=desk)
    ).json()
    first = await client.post("/api/v1/auth/register", json=_account(record["mrn"]))
    assert first.status_code == 201
    second = await client.post(
        "/api/v1/auth/register",
        json=_account(record["mrn"], username="impostor", full_name="Someone Else"),
    )
    assert second.status_code == 422 and second.json()["code"] == "record_not_matched"


async def test_the_registration_page_links_by_mrn(client, as_role):
    desk = await as_role("receptionist")
    record = (
        await client.post("/api/v1/patients", json=_front_desk_patient(), headers=desk)
    ).json()
    done = await submit(
        client,
        "/register",
        username="chloe",
        password=STRONG_PASSWORD,
        full_name="Chloé Lefèvre",
        date_of_birth="1991-05-06",
        sex="female",
        email="",
        phone="",
        mrn=record["mrn"],
    )
    assert done.status_code == 201, text_of(done.text)[:400]
    assert f"{record['mrn'][:3]}-{record['mrn'][3:6]}" in text_of(done.text)
