"""Driving the HTML pages like a browser: fetch the form, echo its CSRF token, post."""

from __future__ import annotations

import html as html_module
import re

import httpx

from tests.conftest import STRONG_PASSWORD

# What Paula types into the patient registration form; tests change only what they test.
PATIENT_FORM = {
    "full_name": "Paula Fischer",
    "date_of_birth": "1984-03-14",
    "sex": "female",
    "email": "paula@example.org",
    "phone": "",
    "username": "paula",
    "password": STRONG_PASSWORD,
}


def patient_form(**changes: str) -> dict[str, str]:
    return {**PATIENT_FORM, **changes}


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no form with a CSRF token"
    return match.group(1)


async def submit(
    client: httpx.AsyncClient, form_page: str, action: str | None = None, **fields: str
) -> httpx.Response:
    page = await client.get(form_page)
    assert page.status_code == 200, page.text[:300]
    data = {"csrf_token": csrf_of(page.text), **fields}
    return await client.post(action or form_page, data=data)


async def sign_in(
    client: httpx.AsyncClient,
    username: str,
    password: str = STRONG_PASSWORD,
    next_url: str = "/dashboard",
) -> httpx.Response:
    return await submit(client, "/login", username=username, password=password, next=next_url)


def text_of(html: str) -> str:
    """The visible words of a page, whitespace folded (for asserting what a person reads)."""
    without_tags = re.sub(
        r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.DOTALL)
    )
    return re.sub(r"\s+", " ", html_module.unescape(without_tags)).strip()


def beside(html: str, field: str) -> str:
    """The error message shown under one form field (the macro gives it id="e-<field>")."""
    match = re.search(rf'id="e-{field}">([^<]*)<', html)
    assert match, f"no error shown beside {field}"
    return html_module.unescape(match.group(1))
