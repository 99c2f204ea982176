"""A form that needs correcting comes back with 200 and its message (the browser's console
stays clean); the JSON API keeps answering 422 for the same mistake."""

from __future__ import annotations

import re
from pathlib import Path

import openward
from tests.conftest import bearer
from tests.web.pages import beside, patient_form, sign_in, submit, text_of

SRC = Path(openward.__file__).parent


async def test_a_registration_with_mistakes_comes_back_with_200_and_the_messages(client):
    response = await submit(client, "/register", **patient_form(email="not-an-email"))
    assert response.status_code == 200
    assert "e-mail" in beside(response.text, "email")
    assert 'value="Paula Fischer"' in response.text


async def test_the_api_still_answers_422_for_the_same_mistake(client, make_user):
    await make_user("receptionist", username="rosa")
    headers = await bearer(client, "rosa")
    response = await client.post(
        "/api/v1/patients",
        headers=headers,
        json={"given_name": "Ana", "family_name": "López", "sex": "female"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_staff_form_with_a_taken_name_comes_back_with_200(client, make_user):
    await make_user("admin", username="chief")
    await sign_in(client, "chief")
    form = {"name": "Cardiology", "description": "", "location": "", "phone": ""}
    assert (await submit(client, "/departments", **form)).status_code == 303
    again = await submit(client, "/departments", **form)
    assert again.status_code == 200
    assert "already exists" in beside(again.text, "name")


async def test_a_wrong_password_shows_the_sign_in_form_again_with_200(client, make_user):
    await make_user("nurse", username="nadia")
    response = await sign_in(client, "nadia", "not-my-password")
    assert response.status_code == 200
    assert "Wrong username or password" in text_of(response.text)


def test_no_page_answers_a_form_with_a_4xx_status():
    """The pages' modules re-render forms with the default 200: none passes 422, 409 or the
    domain error's own status to the renderer."""
    offenders = []
    for module in sorted(SRC.glob("**/*.py")):
        if "pages" not in module.as_posix() or "/migrations/" in module.as_posix():
            continue
        text = module.read_text()
        for match in re.finditer(r"status_code=(422|409|401|429|exc\.status)\b", text):
            line = text.count("\n", 0, match.start()) + 1
            offenders.append(f"{module.relative_to(SRC)}:{line}: {match.group(0)}")
    assert offenders == []
