"""Dates are typed the hospital's way (OPENWARD_LOCALE), whatever the browser's locale."""

from __future__ import annotations

import re
from datetime import date

import pytest

from openward.web.dates import entry_for
from tests.conftest import bearer
from tests.web.pages import beside, patient_form, submit

# The hidden field a date field brings with it (the browser posts it with the form).
DOB = "date_of_birth"


@pytest.mark.parametrize(
    ("locale", "hint", "typed"),
    [
        ("en-GB", "dd/mm/yyyy", "29/02/1984"),
        ("en-US", "mm/dd/yyyy", "02/29/1984"),
        ("de-DE", "dd.mm.yyyy", "29.02.1984"),
        ("nl-NL", "dd-mm-yyyy", "29-02-1984"),
        ("ja-JP", "yyyy-mm-dd", "1984-02-29"),
    ],
)
def test_each_locale_types_a_date_its_own_way(locale: str, hint: str, typed: str):
    entry = entry_for(locale)
    assert entry.hint == hint
    assert entry.to_iso(typed) == "1984-02-29"
    assert entry.show("1984-02-29") == typed
    assert entry.show(date(1984, 2, 29)) == typed
    assert re.fullmatch(entry.pattern, typed)
    assert entry.to_iso("1984-02-29") == "1984-02-29"  # ISO is always understood


def test_a_date_that_does_not_exist_is_left_for_the_form_to_refuse():
    gb = entry_for("en-GB")
    assert gb.to_iso("31/02/1984") == "31/02/1984"
    assert gb.to_iso("29/02/84") == "29/02/84"  # two-digit years are ambiguous
    assert gb.to_iso("yesterday") == "yesterday"
    assert gb.show("not a date") == "not a date"  # what was typed comes back as typed
    assert gb.to_iso(" 1/3/1984 ") == "1984-03-01"


async def test_the_registration_form_asks_for_dd_mm_yyyy_in_a_british_hospital(client):
    page = await client.get("/register")
    assert '<html lang="en-GB">' in page.text
    field = re.search(r'<input[^>]*name="date_of_birth"[^>]*>', page.text)
    assert field and 'type="text"' in field.group(0) and 'type="date"' not in page.text
    assert "Format: dd/mm/yyyy" in page.text
    assert '<input type="hidden" name="ow_date" value="date_of_birth">' in page.text


async def test_a_birth_date_typed_dd_mm_yyyy_is_saved_as_that_day(client):
    response = await submit(
        client, "/register", **patient_form(date_of_birth="14/03/1984"), ow_date=DOB
    )
    assert response.status_code == 201
    me = await client.get("/api/v1/me/patient", headers=await bearer(client, "paula"))
    assert me.json()["date_of_birth"] == "1984-03-14"


async def test_an_impossible_date_is_named_beside_the_field_and_kept_as_typed(client):
    response = await submit(
        client, "/register", **patient_form(date_of_birth="31/02/1984", email=""), ow_date=DOB
    )
    assert response.status_code == 200
    assert beside(response.text, "date_of_birth") == "Enter a valid date."
    assert 'value="31/02/1984"' in response.text


class TestAnAmericanHospital:
    @pytest.fixture
    def settings(self, settings_factory):
        return settings_factory(locale="en-US")

    async def test_dates_are_typed_month_first(self, client):
        page = await client.get("/register")
        assert '<html lang="en-US">' in page.text and "Format: mm/dd/yyyy" in page.text
        response = await submit(
            client, "/register", **patient_form(date_of_birth="03/14/1984"), ow_date=DOB
        )
        assert response.status_code == 201
        me = await client.get("/api/v1/me/patient", headers=await bearer(client, "paula"))
        assert me.json()["date_of_birth"] == "1984-03-14"

    async def test_a_re_shown_date_is_month_first_too(self, client):
        response = await submit(
            client, "/register", **patient_form(date_of_birth="2999-01-01", email=""), ow_date=DOB
        )
        assert response.status_code == 200
        assert 'value="01/01/2999"' in response.text
