"""The password policy, with the message a person sees (pure: no database)."""

from __future__ import annotations

import pytest

from openward.identity.passwords import MIN_LENGTH, policy_problem

TOO_SHORT = "Use at least 10 characters."
HAS_USERNAME = "The password must not contain the username."
TOO_COMMON = "This password is too common and easy to guess; choose a less predictable one."


def test_the_minimum_length_is_ten_characters():
    assert MIN_LENGTH == 10
    assert policy_problem("Kx7#qLm2v", "nadia") == TOO_SHORT  # 9 characters
    assert policy_problem("Kx7#qLm2vR", "nadia") is None  # 10 characters


def test_length_counts_characters_not_bytes():
    assert policy_problem("Grüße-Köln", "nadia") is None  # 10 characters, 12 bytes
    assert policy_problem("Grüße-Köl", "nadia") == TOO_SHORT


def test_an_empty_password_is_too_short():
    assert policy_problem("", "nadia") == TOO_SHORT


@pytest.mark.parametrize(
    "password",
    ["my-nadia-password", "NADIA-rocks-2026", "xx-NaDiA-xx-9", "nadia12345"],
)
def test_a_password_containing_the_username_in_any_case_is_refused(password):
    assert policy_problem(password, "nadia") == HAS_USERNAME


def test_the_username_is_compared_without_surrounding_spaces_or_case():
    assert policy_problem("Lab-Tech-Lena-Shift", "  LENA ") == HAS_USERNAME


def test_a_password_that_is_part_of_a_long_username_is_refused():
    assert policy_problem("radiologist", "radiologist-on-call") == HAS_USERNAME


@pytest.mark.parametrize(
    "password",
    [
        "password123",
        "PASSWORD123",
        "Welcome123!",
        "welcome1234",
        "Password2024!",
        "qwertyuiop",
        "1234567890",
        "iloveyou123",
    ],
)
def test_very_common_passwords_are_refused_as_too_common(password):
    assert policy_problem(password, "nadia") == TOO_COMMON


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "abababababab", " " * 12])
def test_passwords_of_one_or_two_repeated_characters_are_refused(password):
    assert policy_problem(password, "nadia") == TOO_COMMON


def test_a_short_password_is_told_about_length_first():
    # One clear thing to fix at a time: the length, before commonness or the username.
    assert policy_problem("nadia1", "nadia") == TOO_SHORT
    assert policy_problem("password", "nadia") == TOO_SHORT


@pytest.mark.parametrize(
    "password",
    [
        "Night-Shift-Ward-7",
        "correct horse battery staple",
        "Tr0ub4dor&3xyz",
        "welcome-to-ward-9",  # a common word is fine inside a longer passphrase
    ],
)
def test_strong_passwords_pass(password):
    assert policy_problem(password, "nadia") is None
