"""A new patient who looks like a registered one is caught before saving: a name one letter
away with the same birth date and sex, or the given and family names swapped, answers 409
possible_duplicate naming the look-alike (API) or lists it on the registration form (page);
the desk can still register a true namesake on purpose."""

from __future__ import annotations

from tests.scheduling.factories import code, ids, new_patient, patient_body

AMARA = {
    "given_name": "Amara",
    "family_name": "Okonkwo",
    "date_of_birth": "1990-11-23",
    "sex": "female",
}


async def _register(client, headers, **fields):
    return await client.post("/api/v1/patients", headers=headers, json=patient_body(**fields))


async def _total(client, headers, q: str) -> int:
    response = await client.get("/api/v1/patients", headers=headers, params={"q": q})
    assert response.status_code == 200, response.text
    return response.json()["total"]


async def test_a_name_one_letter_away_with_the_same_birth_date_and_sex_returns_409(client, as_role):
    desk = await as_role("receptionist")
    first = await new_patient(client, desk, **AMARA)
    for given, family in [
        ("Amara", "Okonkow"),  # two letters swapped
        ("Amara", "Okonkwoo"),  # a letter added
        ("Amra", "Okonkwo"),  # a letter dropped
        ("Amara", "Okonkwu"),  # a letter changed
        ("AMARA", "Okónkwo"),  # case and accents are no difference at all
    ]:
        response = await _register(
            client, desk, **{**AMARA, "given_name": given, "family_name": family}
        )
        assert response.status_code == 409, (given, family, response.text)
        assert code(response) == "possible_duplicate"
        duplicates = response.json()["duplicates"]
        assert ids(duplicates) == [first["id"]], (given, family)
        assert duplicates[0]["mrn"] == first["mrn"]
        assert duplicates[0]["match"] in ("similar_name", "same_name"), duplicates[0]
    assert await _total(client, desk, "okonkwo") == 1  # nothing was saved


async def test_given_and_family_names_swapped_return_409_possible_duplicate(client, as_role):
    desk = await as_role("receptionist")
    first = await new_patient(client, desk, **AMARA)
    response = await _register(
        client, desk, **{**AMARA, "given_name": "Okonkwo", "family_name": "Amara"}
    )
    assert response.status_code == 409 and code(response) == "possible_duplicate"
    duplicates = response.json()["duplicates"]
    assert ids(duplicates) == [first["id"]]
    assert duplicates[0]["match"] == "swapped_names"

    typo_too = {**AMARA, "given_name": "Okonkow", "family_name": "Amara"}
    response = await _register(client, desk, **typo_too)
    assert response.status_code == 409 and ids(response.json()["duplicates"]) == [first["id"]]


async def test_a_similar_name_born_another_day_is_registered_without_a_question(client, as_role):
    desk = await as_role("receptionist")
    await new_patient(client, desk, **AMARA)
    for change in (
        {"family_name": "Okonkow", "date_of_birth": "1990-11-24"},
        {"given_name": "Okonkwo", "family_name": "Amara", "date_of_birth": "1991-11-23"},
    ):
        response = await _register(client, desk, **{**AMARA, **change})
        assert response.status_code == 201, (change, response.text)


async def test_a_name_one_letter_away_of_the_other_sex_is_not_a_look_alike(client, as_role):
    desk = await as_role("receptionist")
    await new_patient(
        client,
        desk,
        given_name="Jan",
        family_name="Kowalski",
        sex="male",
        date_of_birth="1960-05-01",
    )
    response = await _register(
        client,
        desk,
        given_name="Jana",
        family_name="Kowalski",
        sex="female",
        date_of_birth="1960-05-01",
    )
    assert response.status_code == 201, response.text


async def test_names_two_letters_apart_are_different_people(client, as_role):
    desk = await as_role("receptionist")
    await new_patient(client, desk, **AMARA)
    response = await _register(client, desk, **{**AMARA, "given_name": "Amanda"})
    assert response.status_code == 201, response.text


async def test_the_desk_can_register_a_true_namesake_on_purpose(client, as_role):
    desk = await as_role("receptionist")
    first = await new_patient(client, desk, **AMARA)
    look_alike = {**AMARA, "family_name": "Okonkow"}
    assert (await _register(client, desk, **look_alike)).status_code == 409
    saved = await _register(client, desk, **look_alike, allow_duplicate=True)
    assert saved.status_code == 201, saved.text
    assert saved.json()["id"] != first["id"] and saved.json()["mrn"] != first["mrn"]
    assert await _total(client, desk, "amara") == 2


async def test_the_same_phone_in_national_and_international_form_returns_409(client, as_role):
    desk = await as_role("receptionist")
    first = await new_patient(client, desk, phone="+44 7700 900321")
    response = await _register(client, desk, given_name="Other", phone="07700 900321")
    assert response.status_code == 409 and code(response) == "possible_duplicate"
    duplicates = response.json()["duplicates"]
    assert ids(duplicates) == [first["id"]] and duplicates[0]["match"] == "same_phone"


async def test_the_registration_form_lists_the_look_alike_before_anything_is_saved(
    client, make_user, as_role
):
    from tests.web.pages import csrf_of, sign_in, submit, text_of

    desk = await as_role("receptionist")
    first = await new_patient(client, desk, **AMARA, phone="+44 7700 900999")
    user = await make_user("receptionist")
    assert (await sign_in(client, user.username)).status_code == 303
    typed = {**AMARA, "given_name": "Okonkwo", "family_name": "Amara", "no_known_allergies": "1"}
    warned = await submit(client, "/patients/new", **typed)
    words = text_of(warned.text)
    assert "This patient may already be registered" in words
    assert f'href="/patients/{first["id"]}"' in warned.text
    assert "Amara Okonkwo" in words and "23 Nov 1990" in words
    assert "Register anyway" in words
    assert await _total(client, desk, "okonkwo") == 1

    saved = await client.post(
        "/patients/new", data={"csrf_token": csrf_of(warned.text), **typed, "allow_duplicate": "1"}
    )
    assert saved.status_code == 303, text_of(saved.text)[:300]
    assert await _total(client, desk, "okonkwo") == 2
