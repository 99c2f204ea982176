"""Names a search can find: people's names, addresses and ids are stored in NFC, and refused
with invisible (zero-width, bidirectional) or control characters, on the API and the pages;
a pasted query is normalised the same way so it finds the record."""

from __future__ import annotations

import unicodedata
from typing import Any

import httpx
import pytest

from tests.scheduling.factories import new_patient, patient_body
from tests.web.pages import beside, csrf_of, sign_in

HIDDEN = [
    pytest.param("Had\u200bdad", id="zero-width-space"),
    pytest.param("\u202eevil", id="right-to-left-override"),
    pytest.param("Had\u2066dad", id="bidi-isolate"),
    pytest.param("Had\x07dad", id="bell-control"),
    pytest.param("Had\tdad", id="tab-control"),
]
DECOMPOSED = "Ame\u0301lie"  # e + COMBINING ACUTE ACCENT
COMPOSED = "Am\u00e9lie"


def _refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_characters"
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["code"] == "invalid_characters"


@pytest.mark.parametrize("name", HIDDEN)
@pytest.mark.parametrize(
    "field", ["given_name", "family_name", "emergency_contact_name", "address", "national_id"]
)
async def test_registering_a_patient_with_hidden_characters_is_refused(
    client: httpx.AsyncClient, as_role: Any, name: str, field: str
):
    headers = await as_role("receptionist")
    response = await client.post(
        "/api/v1/patients", headers=headers, json=patient_body(**{field: name})
    )
    _refused(response, field)


@pytest.mark.parametrize("name", HIDDEN)
async def test_updating_a_patient_with_hidden_characters_is_refused(
    client: httpx.AsyncClient, as_role: Any, name: str
):
    headers = await as_role("receptionist")
    patient = await new_patient(client, headers, family_name="Haddad")
    response = await client.patch(
        f"/api/v1/patients/{patient['id']}", headers=headers, json={"family_name": name}
    )
    _refused(response, "family_name")
    kept = await client.get(f"/api/v1/patients/{patient['id']}", headers=headers)
    assert kept.json()["family_name"] == "Haddad"


async def test_a_nul_in_a_name_is_refused_naming_the_field(client: httpx.AsyncClient, as_role):
    headers = await as_role("receptionist")
    response = await client.post(
        "/api/v1/patients", headers=headers, json=patient_body(given_name="Had\x00dad")
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["given_name"]


async def test_an_address_keeps_its_line_breaks(client: httpx.AsyncClient, as_role: Any):
    headers = await as_role("receptionist")
    patient = await new_patient(client, headers, address="12 Rue Haute\r\n1000 Bruxelles")
    shown = await client.get(f"/api/v1/patients/{patient['id']}", headers=headers)
    assert shown.json()["address"] == "12 Rue Haute\n1000 Bruxelles"


async def test_a_decomposed_name_is_stored_composed_and_found_either_way(
    client: httpx.AsyncClient, as_role: Any
):
    headers = await as_role("receptionist")
    patient = await new_patient(client, headers, given_name=DECOMPOSED, family_name="Zoë-Tester")
    assert patient["given_name"] == COMPOSED
    assert unicodedata.is_normalized("NFC", patient["given_name"])
    for q in (COMPOSED, DECOMPOSED, f"{COMPOSED} Zoë-Tester"):
        found = await client.get("/api/v1/patients", headers=headers, params={"q": q})
        assert patient["id"] in [p["id"] for p in found.json()["items"]], q
    updated = await client.patch(
        f"/api/v1/patients/{patient['id']}",
        headers=headers,
        json={"family_name": "Zoe\u0308-Tester", "emergency_contact_name": DECOMPOSED},
    )
    assert updated.status_code == 200
    assert updated.json()["family_name"] == "Zo\u00eb-Tester"
    assert updated.json()["emergency_contact_name"] == COMPOSED


async def test_a_pasted_query_with_a_zero_width_space_finds_the_record(
    client: httpx.AsyncClient, as_role: Any
):
    headers = await as_role("receptionist")
    patient = await new_patient(client, headers, family_name="Haddadine")
    found = await client.get("/api/v1/patients", headers=headers, params={"q": "Had\u200bdadine"})
    assert [p["id"] for p in found.json()["items"]] == [patient["id"]]


# ---------------------------------------------------------------- user accounts


def _registration(**fields: Any) -> dict[str, Any]:
    body = {
        "username": f"pat-{abs(hash(str(fields))) % 10**8}",
        "password": "correct horse battery staple 42",
        "full_name": "Paula Fischer",
        "date_of_birth": "1984-03-14",
        "sex": "female",
    }
    body.update(fields)
    return body


@pytest.mark.parametrize("name", HIDDEN)
async def test_self_registration_with_a_hidden_character_in_the_name_is_refused(
    client: httpx.AsyncClient, name: str
):
    response = await client.post(
        "/api/v1/auth/register", json=_registration(full_name=f"Omar {name}")
    )
    _refused(response, "full_name")


async def test_self_registration_stores_the_composed_name(client: httpx.AsyncClient):
    body = _registration(full_name=f"{DECOMPOSED} Durand")
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    login = await client.post(
        "/api/v1/auth/login", json={"username": body["username"], "password": body["password"]}
    )
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.json()["full_name"] == f"{COMPOSED} Durand"


async def test_an_admin_cannot_give_a_user_a_name_with_hidden_characters(
    client: httpx.AsyncClient, as_role: Any, make_user: Any
):
    headers = await as_role("admin")
    nurse = await make_user("nurse")
    response = await client.patch(
        f"/api/v1/users/{nurse.id}", headers=headers, json={"full_name": "Nu\u200brse"}
    )
    _refused(response, "full_name")


# ---------------------------------------------------------------- pages


async def test_the_registration_page_explains_a_hidden_character_beside_the_name(
    client: httpx.AsyncClient,
):
    page = await client.get("/register")
    response = await client.post(
        "/register",
        data={"csrf_token": csrf_of(page.text), **_registration(full_name="Had\u200bdad Omar")},
    )
    assert response.status_code == 200  # the form again, with the message
    assert response.headers["content-type"].startswith("text/html")
    assert "invisible or control characters" in beside(response.text, "full_name")


async def test_the_front_desk_page_explains_a_hidden_character_beside_the_field(
    client: httpx.AsyncClient, make_user: Any
):
    desk = await make_user("receptionist")
    await sign_in(client, desk.username)
    page = await client.get("/patients/new")
    response = await client.post(
        "/patients/new",
        data={
            "csrf_token": csrf_of(page.text),
            **patient_body(given_name="Had\u200bdad", address="1 Main St\r\nTown"),
        },
    )
    assert response.status_code == 200
    assert "invisible or control characters" in beside(response.text, "given_name")
