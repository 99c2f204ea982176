"""The patient search box in the top bar: for staff who may read patients, not for patients."""

from __future__ import annotations

import re

import pytest

from tests.web.pages import patient_form, sign_in, submit, text_of

SEARCH_BOX = re.compile(
    r'<form class="ow-header-search" method="get" action="/patients" role="search"'
    r'.*?<input[^>]*type="search"[^>]*name="q"',
    re.DOTALL,
)


@pytest.mark.parametrize("role", ["receptionist", "nurse", "doctor", "admin"])
async def test_staff_who_read_patients_have_a_search_box_in_the_header(client, make_user, role):
    user = await make_user(role)
    await sign_in(client, user.username)
    for path in ("/dashboard", "/account"):
        page = await client.get(path)
        assert SEARCH_BOX.search(page.text), (role, path)


@pytest.mark.parametrize("role", ["pharmacist", "lab_technician", "billing"])
async def test_staff_without_the_patient_list_have_no_search_box(client, make_user, role):
    user = await make_user(role)
    await sign_in(client, user.username)
    assert 'class="ow-header-search"' not in (await client.get("/dashboard")).text


async def test_a_patient_has_no_search_box(client):
    assert (await submit(client, "/register", **patient_form())).status_code == 201
    await sign_in(client, "paula")
    assert 'class="ow-header-search"' not in (await client.get("/dashboard")).text


async def test_the_header_search_finds_the_patient_by_name(client, make_user):
    assert (await submit(client, "/register", **patient_form())).status_code == 201
    desk = await make_user("receptionist")
    await sign_in(client, desk.username)
    found = await client.get("/patients", params={"q": "Fischer"})
    assert found.status_code == 200 and "Paula Fischer" in text_of(found.text)
