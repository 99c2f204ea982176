"""The front desk finds a patient by date of birth (as ISO, as the hospital writes it, or as
the pages print it) and by phone number in its national or international form, written with
spaces, dashes or brackets; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.scheduling.factories import ids, new_patient


async def _found(client, headers, q: str) -> list[int]:
    response = await client.get("/api/v1/patients", headers=headers, params={"q": q})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"]), q
    return ids(body["items"])


async def test_a_date_of_birth_typed_in_any_usual_form_finds_only_those_born_that_day(
    client, as_role
):
    desk = await as_role("receptionist")
    leap = await new_patient(client, desk, family_name="Okafor", date_of_birth="1984-02-29")
    other = await new_patient(client, desk, family_name="Okafor", date_of_birth="1984-02-28")
    for q in (
        "1984-02-29",
        "29/02/1984",
        "29.02.1984",
        "29-02-1984",
        "29 Feb 1984",
        "29 february 1984",
        "02/29/1984",  # month first: unambiguous, so read so even in a day-first region
    ):
        assert await _found(client, desk, q) == [leap["id"]], q
    assert await _found(client, desk, "28/02/1984") == [other["id"]]


async def test_a_name_with_a_date_of_birth_narrows_the_namesakes_to_that_day(client, as_role):
    desk = await as_role("receptionist")
    born_1984 = await new_patient(
        client, desk, given_name="Amara", family_name="Okafor", date_of_birth="1984-03-04"
    )
    await new_patient(
        client, desk, given_name="Amara", family_name="Okafor", date_of_birth="1990-03-04"
    )
    await new_patient(
        client, desk, given_name="Chidi", family_name="Eze", date_of_birth="1984-03-04"
    )
    assert await _found(client, desk, "okafor 04/03/1984") == [born_1984["id"]]
    assert await _found(client, desk, "1984-03-04 amara okafor") == [born_1984["id"]]


async def test_a_date_that_does_not_exist_finds_nobody_and_is_no_error(client, as_role):
    desk = await as_role("receptionist")
    await new_patient(client, desk, date_of_birth="1984-02-28")
    assert await _found(client, desk, "31/02/1984") == []


async def test_an_ambiguous_date_is_read_day_first_in_a_day_first_region(client, as_role):
    desk = await as_role("receptionist")  # OPENWARD_PHONE_REGION defaults to GB
    april = await new_patient(client, desk, date_of_birth="1984-04-03")
    await new_patient(client, desk, date_of_birth="1984-03-04")
    assert await _found(client, desk, "03/04/1984") == [april["id"]]


@pytest.mark.parametrize(
    "typed",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "(07700) 900 123",
        "+44 7700 900123",
        "+447700900123",
        "0044 7700 900 123",
        "+44 (0)7700 900123",
    ],
)
async def test_a_phone_saved_internationally_is_found_however_it_is_typed(client, as_role, typed):
    desk = await as_role("receptionist")
    patient = await new_patient(client, desk, phone="+44 7700 900123")
    await new_patient(client, desk, phone="+44 7700 900124")
    assert await _found(client, desk, typed) == [patient["id"]]


async def test_a_phone_saved_in_national_form_is_found_by_its_international_form(client, as_role):
    desk = await as_role("receptionist")
    patient = await new_patient(client, desk, phone="020 7946 0958")
    await new_patient(client, desk, phone="020 7946 0959")
    for q in ("+44 20 7946 0958", "+44-20-7946-0958", "0044 20 7946 0958", "020 7946 0958"):
        assert await _found(client, desk, q) == [patient["id"]], q


async def test_a_foreign_phone_is_found_in_its_international_forms(client, as_role):
    desk = await as_role("receptionist")
    patient = await new_patient(client, desk, phone="+34 600 123 456")
    for q in ("+34600123456", "0034 600-123-456", "+34 600 12 34 56"):
        assert await _found(client, desk, q) == [patient["id"]], q


async def test_the_patients_page_finds_a_patient_by_phone_and_by_date_of_birth(
    client, make_user, as_role
):
    from tests.web.pages import sign_in, text_of

    desk = await as_role("receptionist")
    await new_patient(
        client,
        desk,
        given_name="Amara",
        family_name="Okafor",
        date_of_birth="1990-11-23",
        phone="+44 7700 900555",
    )
    await new_patient(client, desk, given_name="Chidi", family_name="Eze")
    user = await make_user("receptionist")
    assert (await sign_in(client, user.username)).status_code == 303
    for q in ("07700 900555", "23/11/1990"):
        page = await client.get("/patients", params={"q": q})
        assert page.status_code == 200
        start = page.text.index('data-testid="patients-table"')
        table = text_of(page.text[start : page.text.index("</table>", start)])
        assert "Amara Okafor" in table and "Chidi Eze" not in table, q


class TestInAMonthFirstRegion:
    """A hospital in the United States (OPENWARD_PHONE_REGION=US)."""

    @pytest.fixture
    def settings(self, settings_factory):
        return settings_factory(phone_region="US")

    async def test_an_ambiguous_date_is_read_month_first(self, client, as_role):
        desk = await as_role("receptionist")
        march = await new_patient(client, desk, date_of_birth="1984-03-04")
        await new_patient(client, desk, date_of_birth="1984-04-03")
        assert await _found(client, desk, "03/04/1984") == [march["id"]]
        assert await _found(client, desk, "1984-03-04") == [march["id"]]

    async def test_a_national_phone_is_found_by_its_international_form(self, client, as_role):
        desk = await as_role("receptionist")
        patient = await new_patient(client, desk, phone="(202) 555-0143")
        await new_patient(client, desk, phone="(202) 555-0144")
        for q in ("+1 202 555 0143", "202-555-0143", "(202) 555-0143", "+1 (202) 555-0143"):
            assert await _found(client, desk, q) == [patient["id"]], q
