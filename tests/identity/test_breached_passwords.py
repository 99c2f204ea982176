"""Passwords seen in public breaches are refused (ASVS 2.1.7), from a list shipped with us."""

from __future__ import annotations

import gzip
import secrets
from importlib.resources import files

import pytest

from openward.identity.passwords import _breached_passwords, _common_passwords, policy_problem
from tests.conftest import STRONG_PASSWORD

BREACHED = "This password appears in a list of breached passwords; choose a different one."
# Ranks 90,211, 90,380, 90,411 and 99,389 of the 100,000 most frequent breached passwords:
# deep in the list, and on none of the short "too common" list.
DEEP_IN_THE_LIST = ["zn87x54mxma", "wolfenstein", "whiterabbit", "1302alex1994"]


def _shipped() -> list[str]:
    packed = files("openward.identity").joinpath("breached_passwords.txt.gz").read_bytes()
    return gzip.decompress(packed).decode("utf-8").splitlines()


def test_the_shipped_list_is_the_top_100000_lower_cased_and_sorted():
    lines = _shipped()
    assert len(lines) == 96_518  # 100,000 entries, some equal once lower-cased
    assert lines == sorted(set(lines))
    assert all(line == line.lower() and line for line in lines)
    assert {"123456", "password", "qwerty"} <= set(lines)


@pytest.mark.parametrize("password", DEEP_IN_THE_LIST)
def test_a_password_from_deep_in_the_breach_list_is_refused(password):
    assert password not in _common_passwords()
    assert policy_problem(password, "nadia") == BREACHED


def test_the_breach_list_is_compared_without_case():
    assert policy_problem("WhiteRabbit", "nadia") == BREACHED


@pytest.mark.parametrize("password", [STRONG_PASSWORD, "Night-Shift-Ward-7"])
def test_strong_passwords_are_not_on_the_breach_list(password):
    assert policy_problem(password, "nadia") is None


def test_a_strong_random_password_passes():
    assert policy_problem(secrets.token_urlsafe(18), "nadia") is None


def test_the_list_is_loaded_once_per_process():
    assert _breached_passwords() is _breached_passwords()


async def test_registering_with_a_breached_password_names_the_field_and_says_why(client):
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "username": "paula",
            "password": "whiterabbit",
            "full_name": "Paula Fischer",
            "email": "paula@example.org",
            "date_of_birth": "1984-03-14",
            "sex": "female",
        },
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert {"field": "password", "message": BREACHED} in [
        {"field": e["field"], "message": e["message"]} for e in errors
    ]
